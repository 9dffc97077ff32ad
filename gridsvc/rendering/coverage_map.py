"""The coverage-gap map (覆盖缺口图) of a community, street or district: grids coloured by a metric,
uncovered and overlapping areas, gap markers by kind (one switchable layer each), the area's summary.

Large areas stay light: a kind with more markers than ``MAX_POINTS`` is drawn as one marker per grid
with its count, and building footprints come as vector tiles from ``/tiles`` when a server is there.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gridsvc.analysis.gaps import GAP_KIND
from gridsvc.analysis.metrics import HEADLINE, LABELS, METRIC_BY_KEY, METRICS
from gridsvc.labels import LEVEL_LABEL, USE_LABEL
from gridsvc.rendering import edit_forms
from gridsvc.rendering.common import (
    Basemap,
    FeaturePopups,
    for_display,
    geojson,
    layer_list,
    legend,
    metric_rows,
    new_map,
    notices,
    panel,
    style,
    total_bounds,
)
from gridsvc.rendering.facility_layer import facility_layers
from gridsvc.rendering.facility_layer import legend_items as facility_legend
from gridsvc.rendering.grid_map import gap_points
from gridsvc.rendering.offline import VECTORGRID_JS, asset_url
from gridsvc.textual import figure

MAX_POINTS = 2000
AREA_KINDS = ("grid_gap_area", "grid_overlap", "grid_outside_community")
SUMMARY_KEYS = (*HEADLINE, "facility_reach_rate", "facility_reach_rate@grid_station")
SUMMARY_KEYS += ("gap_area_m2.party", "gap_area_m2.governance")
# domain.md §8.1: shown where the area has something to count (resident units, in-service members)
BEYOND_KEYS = ("unit_registration_rate", "member_registration_rate", "cobuilding_rate")
SUMMARY_KEYS += BEYOND_KEYS


@dataclass
class CoverageMapData:
    area: dict  # code, level, name
    metrics: dict  # the area's metrics
    metric: str  # the key the grids are coloured by
    grids: gpd.GeoDataFrame  # code, name, layer, value, numerator, denominator, geometry
    communities: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    generated: bool
    osm: bool
    tiles_url: str | None = None  # e.g. "/tiles/buildings/{z}/{x}/{y}.pbf" when served
    editable: bool = False  # served to a caller who may record organizations' liaisons and flags
    people: list = field(default_factory=list)  # [id, name, role label, role] the liaison form offers
    joint_branches: gpd.GeoDataFrame | None = None  # suggested groups (lines) and units left (points)
    facilities: gpd.GeoDataFrame | None = None  # service facilities (None: none are held)
    beyond_reach: gpd.GeoDataFrame | None = None  # buildings beyond reach of a facility level


def scale(metric: str) -> dict:
    """The colour scale of a metric's kind: rates in %, households per full-time worker against the
    500 limit (no worker is a gap colour)."""
    return style()["choropleth"][METRIC_BY_KEY[metric].kind]


def color_for(value: float | None, metric: str = "grid_leader_coverage") -> str:
    ramp = scale(metric)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ramp["missing"]
    side = "left" if ramp.get("upper_inclusive") else "right"
    return ramp["colors"][int(np.searchsorted(ramp["breaks"], value, side=side))]


def legend_items(metric: str) -> list[tuple[str, str]]:
    """(colour, label) from the best class down, then the missing colour, in the metric's units."""
    ramp = scale(metric)
    if "labels" in ramp:
        items = list(zip(ramp["colors"], ramp["labels"], strict=True))
        return [*items, (ramp["missing"], ramp["missing_label"])]
    bounds = [0, *ramp["breaks"], 1]
    items = [(c, f"{lo:.0%}–{hi:.0%}") for c, lo, hi in zip(ramp["colors"], bounds[:-1], bounds[1:], strict=True)]
    return [*reversed(items), (ramp["missing"], ramp["missing_label"])]


def coverage_map(data: CoverageMapData, basemap: Basemap | None = None) -> folium.Map:
    basemap = basemap or Basemap()
    grids = for_display(data.grids, basemap)
    communities = for_display(data.communities, basemap)
    m = new_map(total_bounds(communities if len(communities) else grids), basemap, panels=True, right_panel=300)
    names = dict(zip(communities["code"], communities["name"], strict=True))
    _choropleth(m, grids, data.metric, names, linked=data.tiles_url is not None)
    folium.GeoJson(  # lines only, and never in the way: hovering and clicking reach the grids below
        geojson(communities[["code", "name", "geometry"]]),
        name="社区边界",
        style_function=lambda _: {"color": style()["context"]["community"]["stroke"], "weight": 2.5, "fill": False},
        interactive=False,
    ).add_to(m)
    if data.tiles_url:
        m.add_child(BuildingTiles(data.tiles_url))
        m.add_child(MetricChoice())
    gaps = for_display(data.gaps, basemap)
    _gap_areas(m, gaps[gaps["kind"].isin(AREA_KINDS)])
    _gap_markers(m, gaps[~gaps["kind"].isin(AREA_KINDS)], grids, data.editable)
    if data.joint_branches is not None and len(data.joint_branches):
        _joint_branches(m, for_display(data.joint_branches, basemap))
    if data.facilities is not None:
        facility_layers(m, for_display(data.facilities, basemap), for_display(data.beyond_reach, basemap))
    if data.editable:
        m.get_root().header.add_child(folium.Element(edit_forms.CSS))
        m.add_child(edit_forms.EditForms(data.people))
    _summary(m, data)
    legend(
        m,
        LABELS.get(data.metric, data.metric),
        legend_items(data.metric)
        + [(s["color"], f"问题（严重程度{s['label']}）") for s in style()["severity"].values()]
        + ([(JOINT_BRANCH_COLOR, "联合党支部建议（虚线连到组内单位）")] if data.joint_branches is not None else [])
        + facility_legend(data.facilities),
    )
    notices(m, data.generated, data.osm)
    layer_list(m)
    return m


JOINT_BRANCH_COLOR = "#8e44ad"


def _joint_branches(m: folium.Map, found: gpd.GeoDataFrame) -> None:
    """Suggested joint branches (domain.md rule 16): each group's units joined to its centre, a popup
    naming them; units no valid group can take as grey dots."""
    f = found.copy()
    f["gs_kind"] = f["kind"]
    folium.GeoJson(
        geojson(f[["gs_kind", "建议", "geometry"]]),
        name="联合党支部建议",
        style_function=lambda feature: {
            "color": JOINT_BRANCH_COLOR if feature["properties"]["gs_kind"] == "joint_branch" else "#7f8c8d",
            "weight": 3,
            "dashArray": "6 4",
        },
        marker=folium.CircleMarker(radius=6, color="#7f8c8d", fill=True, fill_color="#bdc3c7", fill_opacity=0.9),
        popup=folium.GeoJsonPopup(fields=["建议"], labels=False),
    ).add_to(m)


def _choropleth(m: folium.Map, grids: gpd.GeoDataFrame, metric: str, communities: dict, linked: bool) -> None:
    """Grids filled by the metric's scale; hover shows the figure, a click opens a popup with a link
    to the grid's own map (when served)."""
    g = grids.copy()
    g["gs_kind"] = "grid"
    g["fill"] = [color_for(v, metric) for v in g["value"]]
    g["网格"] = g["name"].fillna("") + "（" + g["code"] + "）"
    g["社区"] = g["community_code"].map(communities).fillna(g["community_code"])
    g[LABELS[metric]] = [
        figure({"value": _none(v), "numerator": _none(n), "denominator": _none(d)}, digits=0, key=metric)
        for v, n, d in zip(g["value"], g["numerator"], g["denominator"], strict=True)
    ]
    layer_style = style()["layers"]
    layer = folium.GeoJson(
        geojson(g[["code", "layer", "fill", "gs_kind", "网格", "社区", LABELS[metric], "geometry"]]),
        name=f"网格：{LABELS[metric]}",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.55,
            "weight": 1.2,
            "color": layer_style[f["properties"]["layer"]]["stroke"],
        },
        highlight_function=lambda _: {"weight": 3, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=["网格", "社区", LABELS[metric]]),
    ).add_to(m)
    m.add_child(
        FeaturePopups(
            layer,
            ["网格", "社区", LABELS[metric]],
            "gs-grid-popup",
            link=("../grids/", "打开网格图 →") if linked else None,
        )
    )


def _none(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x


def _gap_areas(m: folium.Map, gaps: gpd.GeoDataFrame) -> None:
    if gaps.empty:
        return
    spec = style()["gap_areas"]
    frame = gpd.GeoDataFrame(
        {"问题": gaps["message"].to_numpy(), "gs_kind": "gap_area"}, geometry=gaps.geometry.values, crs=4490
    )
    folium.GeoJson(
        geojson(frame),
        name="空白、重叠与越界区域",
        style_function=lambda _: {
            "color": spec["stroke"],
            "fillColor": spec["fill"],
            "fillOpacity": spec["opacity"],
            "weight": 1.5,
            "dashArray": "4 3",
        },
        popup=folium.GeoJsonPopup(fields=["问题"], labels=False),
    ).add_to(m)


ORG_FIXES = {
    "org_no_work_coverage": [("liaison", "选派党建指导员"), ("flags", "工会/团组织"), ("party_org", "建立党组织")],
    "org_should_build": [("party_org", "建立党组织")],
}


def _gap_markers(m: folium.Map, gaps: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, editable: bool = False) -> None:
    """One switchable layer per kind; a kind with too many markers is summed per grid instead. For an
    editor an organization's marker opens the forms that fix its work coverage."""
    severity = style()["severity"]
    for kind, group in gaps.groupby("kind", sort=False):
        label = f"{GAP_KIND[kind].label}（{len(group)}）"
        single = len(group) <= MAX_POINTS
        points = gap_points(group) if single else _per_grid(group, grids, kind)
        layer = folium.GeoJson(
            geojson(points),
            name=label,
            show=GAP_KIND[kind].severity != "low",
            marker=folium.CircleMarker(radius=6, fill=True),
            style_function=lambda f: {
                "color": "#ffffff",
                "weight": 1.5,
                "fillOpacity": 0.95,
                "fillColor": severity[f["properties"]["severity"]]["color"],
            },
        ).add_to(m)
        actions = ORG_FIXES.get(kind, []) if editable and single else []
        m.add_child(FeaturePopups(layer, ["问题"], "gs-gap-popup", actions=actions, name_field="name"))


def _per_grid(gaps: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    counts = gaps.groupby(gaps["grid"].fillna(gaps["community"])).size()
    where = grids.set_index("code").reindex(counts.index)
    centres = np.where(where.geometry.isna(), None, shapely.point_on_surface(where.geometry.values.to_numpy()))
    frame = gpd.GeoDataFrame(
        {
            "kind": kind,
            "severity": GAP_KIND[kind].severity,
            "gs_kind": "gap_group",
            "问题": [f"{code}：{GAP_KIND[kind].label}{n}处" for code, n in counts.items()],
        },
        geometry=gpd.GeoSeries(centres, crs=4490),
    )
    return frame[frame.geometry.notna()]


def _summary(m: folium.Map, data: CoverageMapData) -> None:
    level = LEVEL_LABEL[data.area["level"]]
    counts = data.gaps.groupby("kind").size().sort_values(ascending=False)
    gaps = "".join(f"<li>{GAP_KIND[k].label}：{n}</li>" for k, n in counts.items())
    shown = {k: data.metrics[k] for k in SUMMARY_KEYS if k in data.metrics and _shown(k, data)}
    body = (
        f"<h4>{html.escape(data.area['name'])}</h4><div>{html.escape(data.area['code'])} · {level} · "
        f"{len(data.grids)}个网格</div><div>{metric_choice(data.metric, data.tiles_url is not None)}</div>"
        f"<details open><summary>覆盖指标</summary>{metric_rows(shown, LABELS)}</details>"
        f"<details><summary>问题（{len(data.gaps)}）</summary><ul style='padding-left:16px;margin:2px 0'>"
        f"{gaps or '<li>无</li>'}</ul></details>"
    )
    panel(m, "gs-summary", body)


def _shown(key: str, data: CoverageMapData) -> bool:
    """Facility reach only where facilities are held; registration and co-building where counted."""
    if key in BEYOND_KEYS:
        return bool(data.metrics[key].get("denominator"))
    return data.facilities is not None or not key.startswith("facility_")


def metric_side(metric: str) -> tuple[str, ...]:
    """The grid layers a grid-level metric is about."""
    m = METRIC_BY_KEY[metric]
    party = m.grid == "party_grid" or m.table == "party_grids"
    return ("party", "unified") if party else ("governance", "unified")


def grid_values(grids: gpd.GeoDataFrame, figures: dict, metric: str) -> gpd.GeoDataFrame:
    """The grids of the metric's side with the metric's value, numerator and denominator."""
    g = grids[grids["layer"].isin(metric_side(metric))].copy()
    values = pd.DataFrame(
        [figures.get(c, {}).get(metric, {"value": None, "numerator": 0, "denominator": 0}) for c in g["code"]],
        index=g.index,
    )
    return g.join(values)


class BuildingTiles(MacroElement):
    """Building footprints as Mapbox vector tiles from gridsvc's /tiles (Leaflet.VectorGrid)."""

    _template = Template("""{% macro script(this, kwargs) %}
        const map = {{ this._parent.get_name() }}, uses = {{ this.uses|tojson }};
        L.vectorGrid.protobuf({{ this.url|tojson }}, {
            minZoom: 15, maxNativeZoom: 17, interactive: true, rendererFactory: L.canvas.tile,
            vectorTileLayerStyles: {buildings: {weight: 0.6, color: "#566573", fill: true, fillColor: "#aab7b8",
                                                fillOpacity: 0.7}}
        }).on("click", function (e) {  // tile text is raw: it goes in as text, never as HTML
            const p = e.layer.properties || {}, box = document.createElement("div");
            const lines = [p.name || "（未命名楼栋）", uses[p.use] || p.use || "",
                           p.households != null ? "户数：" + p.households : "",
                           p.full_members != null ? "党员：" + p.full_members : ""];
            for (const text of lines.filter(Boolean)) {
                const row = document.createElement("div");
                row.textContent = text;
                box.appendChild(row);
            }
            L.popup().setLatLng(e.latlng).setContent(box).openOn(map);
        }).addTo(map);
    {% endmacro %}""")

    def __init__(self, url: str):
        super().__init__()
        self._name = "BuildingTiles"
        self.url = url
        self.uses = USE_LABEL

    def render(self, **kwargs):
        self.get_root().header.add_child(folium.JavascriptLink(asset_url(VECTORGRID_JS)), name="vectorgrid")
        super().render(**kwargs)


class MetricChoice(MacroElement):
    """The summary's metric selector reloads a served map with ``?metric=`` (keeping the base map)."""

    _template = Template("""{% macro script(this, kwargs) %}
        document.getElementById("gs-metric").addEventListener("change", function (e) {
            const url = new URL(window.location.href);
            url.searchParams.set("metric", e.target.value);
            window.location.assign(url.toString());
        });
    {% endmacro %}""")

    def __init__(self):
        super().__init__()
        self._name = "MetricChoice"


def metric_choice(metric: str, served: bool) -> str:
    """The panel's line saying what colours the grids: a selector when served, else the CLI option."""
    if not served:
        return f"着色：{html.escape(LABELS[metric])}（其他指标：--metric）"
    options = "".join(
        f"<option value='{m.key}'{' selected' if m.key == metric else ''}>{html.escape(m.label)}</option>"
        for m in METRICS
        if m.grid is not None
    )
    return f"<label>着色：<select id='gs-metric' aria-label='着色指标'>{options}</select></label>"
