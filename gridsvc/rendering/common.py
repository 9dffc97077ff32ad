"""What every map shares: styles from ``rendering/styles.json`` (package data), base maps, panels, the generated-data notice.

Rendering takes GeoDataFrames and dicts and returns folium maps; it never reads the database.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gridsvc.analysis.crs import wgs84_to_datum
from gridsvc.rendering.offline import OfflineMap
from gridsvc.textual import figure

STYLES = Path(__file__).resolve().parent / "styles.json"


@functools.cache
def style() -> dict:
    """The map styles, defined once as data (colours, legends, base maps)."""
    return json.loads(STYLES.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Basemap:
    """``none`` (a plain background), ``xyz`` (``url``), ``tianditu`` (needs ``key``) or ``amap``."""

    kind: str = "none"
    url: str | None = None
    key: str | None = None

    @property
    def datum(self) -> str:
        return style()["basemaps"].get(self.kind, {}).get("datum", "wgs84")

    @property
    def tile_url(self) -> str | None:
        """The tile URL template the map loads, None without a base map."""
        if self.kind == "xyz":
            return self.url
        return style()["basemaps"].get(self.kind, {}).get("url") if self.kind in ("tianditu", "amap") else None


DISPLAY_DECIMALS = 6  # 1e-6 degree is about 10 cm: finer than any screen shows, and pages stay small


def for_display(frame: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoDataFrame:
    """Geometry as the base map needs it (shifted to GCJ-02 for AMap), rounded for drawing."""
    if frame.empty:
        return frame
    geoms = frame.geometry.values.to_numpy()
    if basemap.datum == "gcj02":
        geoms = wgs84_to_datum(geoms, "gcj02")
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, DISPLAY_DECIMALS))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=4490))


def new_map(
    bounds: tuple[float, float, float, float], basemap: Basemap, panels: bool = False, right_panel: int = 20
) -> OfflineMap:
    """A map fitted to ``bounds`` (lon/lat) with the chosen base map; with ``panels`` the fit leaves
    room for the summary panel (on the left of a wide screen, at the bottom of a phone)."""
    west, south, east, north = bounds
    m = OfflineMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=16,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    spec = style()["basemaps"]
    if basemap.kind == "xyz" and basemap.url:
        folium.TileLayer(basemap.url, attr=spec["xyz"]["label"], name="底图").add_to(m)
    elif basemap.kind == "tianditu" and basemap.key:
        folium.TileLayer(
            spec["tianditu"]["url"].replace("{key}", basemap.key),
            attr=spec["tianditu"]["attribution"],
            subdomains=spec["tianditu"]["subdomains"],
            name="天地图",
        ).add_to(m)
    elif basemap.kind == "amap":
        folium.TileLayer(
            spec["amap"]["url"],
            attr=spec["amap"]["attribution"],
            subdomains=spec["amap"]["subdomains"],
            name="高德地图",
        ).add_to(m)
    m.get_root().header.add_child(folium.Element(_CSS.replace("{background}", style()["context"]["background"])))
    m.fit_bounds([[south, west], [north, east]])
    if panels:
        m.add_child(FitAroundPanels([[south, west], [north, east]], right_panel))
        m.add_child(PhoneLayout())
    m.add_child(ChineseControls())
    return m


class ChineseControls(MacroElement):
    """Leaflet's zoom buttons, layer list and credit titled in Chinese (放大、缩小、图层: shown on hover,
    read out by screen readers), set where Leaflet made them."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function (map) {
            const title = function (element, words) {
                if (element) { element.title = words; element.setAttribute("aria-label", words); }
            };
            if (map.zoomControl) {
                title(map.zoomControl._zoomInButton, "放大");
                title(map.zoomControl._zoomOutButton, "缩小");
            }
            setTimeout(function () {  // folium writes a map's layer list after every other element
                title(map.getContainer().querySelector(".leaflet-control-layers-toggle"), "图层");
            }, 0);
            const credit = map.attributionControl;  // its prefix, kept when credits are added later
            if (credit && typeof credit.options.prefix === "string") {
                credit.setPrefix(credit.options.prefix.replace(/title="[^"]*"/, 'title="Leaflet：开源的交互地图 JavaScript 库"'));
            }
        })({{ this._parent.get_name() }});
    {% endmacro %}""")


class FitAroundPanels(MacroElement):
    _template = Template("""{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds }}, window.innerWidth > 600
            ? {paddingTopLeft: [390, 20], paddingBottomRight: [{{ this.right }}, 20]}
            : {paddingTopLeft: [10, 60], paddingBottomRight: [10, Math.round(window.innerHeight * 0.4)]});
    {% endmacro %}""")

    def __init__(self, bounds: list, right: int = 20):
        super().__init__()
        self.bounds = json.dumps(bounds)
        self.right = int(right)


_CSS = """<style>
.leaflet-container, .gs-panel { font-family: system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif; }
.leaflet-container { background: {background}; }
.leaflet-control-scale-line + .leaflet-control-scale-line { display: none; }  /* metres only, no feet */
.leaflet-control-attribution { max-width: calc(100vw - 120px); white-space: normal; }  /* beside the scale */
.gs-panel { position: absolute; z-index: 1000; background: rgba(255,255,255,.95); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); padding: 8px 10px; font-size: 13px; line-height: 1.45; max-width: 320px; }
.gs-panel h4 { margin: 0 0 4px; font-size: 14px; }
.gs-panel table { border-collapse: collapse; } .gs-panel td { padding: 1px 6px 1px 0; vertical-align: top; }
.gs-panel details summary { cursor: pointer; font-weight: bold; }
.gs-summary { top: 10px; left: 50px; max-height: 45vh; overflow: auto; }
.gs-legend { bottom: 24px; right: 10px; }
.gs-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
  border: 1px solid rgba(0,0,0,.3); }
.gs-notice { top: 10px; left: 50%; transform: translateX(-50%); background: #fff3cd; color: #7a5b00;
  font-weight: bold; max-width: 60vw; text-align: center; }
.gs-label { font-size: 11px; font-weight: bold; color: #1b2631; text-shadow: 0 0 3px #fff, 0 0 3px #fff;
  white-space: nowrap; }
.leaflet-tooltip.gs-label { background: transparent; border: 0; box-shadow: none; padding: 0; }
.leaflet-tooltip.gs-label::before { display: none; }
.gs-tel, .gs-grid-link { display: inline-block; margin-top: 6px; padding: 6px 10px; border-radius: 4px;
  background: #1f618d; color: #fff !important; text-decoration: none; }
.gs-todo-list { margin: 2px 0 6px; padding-left: 18px; }
.gs-todo-list a { display: inline-block; padding: 3px 0; color: #1f618d; }
@media (max-width: 600px) {
  .gs-panel { font-size: 12px; max-width: 75vw; }
  .gs-summary { top: auto; bottom: var(--gs-above-credit, 64px); left: 10px; max-height: 35vh; }  /* above the credit */
  .gs-legend { bottom: auto; top: 54px; right: 10px; }
  .gs-notice { top: 10px; max-width: 70vw; font-size: 11px; }
}
</style>"""


def panel(m: folium.Map, css_class: str, body: str) -> None:
    m.get_root().html.add_child(folium.Element(f'<div class="gs-panel {css_class}">{body}</div>'))


def notices(m: folium.Map, generated: bool, osm: bool) -> None:
    """Say so on the map when it shows generated data; credit OSM footprints in the attribution."""
    if generated:
        panel(m, "gs-notice", html.escape(style()["generated_notice"]))
    credit = [style()["generated_notice"]] if generated else []
    credit += [style()["osm_attribution"]] if osm else []
    for text in credit:
        m.add_child(Attribution(text))


class Attribution(MacroElement):
    """A line in the map's attribution control, added once the map exists."""

    _template = Template("""{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text }});
    {% endmacro %}""")

    def __init__(self, text: str):
        super().__init__()
        self.text = json.dumps(text, ensure_ascii=False)


class FeaturePopups(MacroElement):
    """A popup per feature of ``layer``, built in the browser: one row per field (values already
    escaped by ``geojson``), a ``tel:`` link for a whole phone number in ``tel`` (a masked one stays
    text), buttons opening the edit forms (``actions``: (action, label)), and an optional link made
    of ``link_prefix`` and the feature's ``code``."""

    _template = Template(r"""{% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.eachLayer(function (l) {
            l.bindPopup(function () {
                const p = l.feature.properties, box = document.createElement("div");
                box.className = {{ this.css|tojson }};
                box.innerHTML = {{ this.fields|tojson }}.filter(f => p[f] !== null && p[f] !== "")
                    .map(f => "<div><b>" + f + "</b>：" + p[f] + "</div>").join("");
                const phone = {{ this.tel|tojson }} && p[{{ this.tel|tojson }}];
                if (phone && /^\+?[0-9-]{5,}$/.test(phone)) {
                    const a = document.createElement("a");
                    a.href = "tel:" + phone;
                    a.textContent = "拨打 " + phone;
                    a.className = "gs-tel";
                    box.appendChild(a);
                }
                for (const [action, label] of {{ this.actions|tojson }}) {  // the edit forms (rendering.edit_forms)
                    const b = document.createElement("button");
                    Object.assign(b, {type: "button", className: "gs-act", textContent: label});
                    Object.assign(b.dataset, {gsAction: action, id: p.id, name: p[{{ this.name_field|tojson }}] || p.id});
                    box.appendChild(b);
                }
                if ({{ this.link_prefix|tojson }}) {
                    const a = document.createElement("a");
                    a.href = {{ this.link_prefix|tojson }} + encodeURIComponent(p.code);
                    a.textContent = {{ this.link_text|tojson }};
                    a.className = "gs-grid-link";
                    box.appendChild(a);
                }
                return box;
            }, {maxWidth: 280});
        });
    {% endmacro %}""")

    def __init__(
        self,
        layer,
        fields: list[str],
        css: str,
        tel: str | None = None,
        link: tuple[str, str] | None = None,
        actions: list[tuple[str, str]] = (),
        name_field: str | None = None,
    ):
        super().__init__()
        self._name = "FeaturePopups"
        self.layer, self.fields, self.css, self.tel = layer, [html.escape(f) for f in fields], css, tel
        self.link_prefix, self.link_text = link or (None, None)
        self.actions = [list(a) for a in actions]
        self.name_field = html.escape(name_field or (fields[0] if fields else "id"))


class PhoneLayout(MacroElement):
    """On a phone the legend (and a plan's scores) start folded, and when a popup opens the panels fold (the legend and the
    summary's sections), so that neither covers it; a tap on a heading unfolds them again. The panels at the
    bottom stand above the credit and the scale however many lines the credit wraps to (``--gs-above-credit``:
    an OpenStreetMap credit takes three on a phone)."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function () {
            const fold = (which) => document.querySelectorAll(which).forEach(d => { d.open = false; });
            const map = {{ this._parent.get_name() }}, corner = map.getContainer().querySelector(".leaflet-bottom.leaflet-right");
            const rise = () => { const bottom = map.getContainer().getBoundingClientRect().bottom;
                const tops = [...map.getContainer().querySelectorAll(".leaflet-bottom .leaflet-control")]
                    .map(c => c.getBoundingClientRect().top);
                document.documentElement.style.setProperty("--gs-above-credit", Math.ceil(bottom - Math.min(bottom, ...tops) + 6) + "px"); };
            rise();
            if (window.ResizeObserver && corner) new ResizeObserver(rise).observe(corner);
            if (window.innerWidth <= 600) {
                fold(".gs-legend details, .gs-summary details.gs-scores");  // a plan's scores too
                {{ this._parent.get_name() }}.on("popupopen", () => fold(".gs-legend details, .gs-summary details"));
            }
        })();
    {% endmacro %}""")


class LayersOpenOnWideScreens(MacroElement):
    """A layer list that stays open on a wide screen but folds to its button on a phone (tap to open),
    where the open list of a district's gap kinds would cover popups and their links."""

    _template = Template("""{% macro script(this, kwargs) %}
        setTimeout(function () {  // folium writes the layer control after every other element
            const control = {{ this.control.get_name() }}, map = {{ this._parent.get_name() }};
            if (window.innerWidth > 600) {
                control.expand();
                L.DomEvent.off(control.getContainer(), "mouseleave", control.collapse, control);
                map.off("click", control.collapse, control);
            }
        }, 0);
    {% endmacro %}""")

    def __init__(self, control: folium.LayerControl):
        super().__init__()
        self.control = control


def layer_list(m: folium.Map) -> None:
    """The map's layer list: open on a wide screen, folded on a phone."""
    control = folium.LayerControl(collapsed=True)
    control.add_to(m)
    m.add_child(LayersOpenOnWideScreens(control))


def legend(m: folium.Map, title: str, items: list[tuple[str, str]]) -> None:
    rows = "".join(f"<div><i style='background:{color}'></i>{html.escape(label)}</div>" for color, label in items)
    panel(m, "gs-legend", f"<details open><summary>{html.escape(title)}</summary>{rows}</details>")


def metric_rows(metrics: dict, labels: dict) -> str:
    rows = [
        f"<tr><td>{html.escape(labels.get(key, key))}</td><td>{html.escape(figure(m, digits=0, key=key))}</td></tr>"
        for key, m in metrics.items()
    ]
    return "<table>" + "".join(rows) + "</table>"


def total_bounds(*frames: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    return boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()


def geojson(frame: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection for folium, built column-wise (geopandas' row-by-row ``__geo_interface__``
    costs more than drawing the map). Properties must be JSON-ready: text, numbers, bools, None.

    Every text is HTML-escaped: it is shown by tooltips and popups, which take HTML, and it sits
    inside the page's ``<script>`` (an escaped text holds no ``</script>``)."""
    geometries = [
        json.loads(g) if g is not None else None for g in shapely.to_geojson(frame.geometry.values.to_numpy())
    ]
    properties = frame.drop(columns=frame.geometry.name)
    records = properties.astype(object).where(properties.notna(), None).to_dict("records")
    for record in records:  # Leaflet tooltips and popups set innerHTML: text arrives escaped, once, here
        for key, value in record.items():
            if isinstance(value, str):
                record[key] = html.escape(value)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": p, "geometry": g} for p, g in zip(records, geometries, strict=True)
        ],
    }
