"""The grid leader's map (网格图): one grid, its buildings by status, Party members, staff and gaps."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from gridsvc.analysis.gaps import GAP_KIND, SEVERITY_ORDER
from gridsvc.analysis.metrics import LABELS
from gridsvc.labels import STAFF_ROLE_LABEL, USE_LABEL, place_names
from gridsvc.rendering import edit_forms
from gridsvc.rendering.common import (
    Basemap,
    FeaturePopups,
    for_display,
    geojson,
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

LABEL_ZOOM = 18  # "党员N" labels from this zoom on: below it they would cover the buildings they name


@dataclass
class GridMapData:
    grid: gpd.GeoDataFrame  # one row: code, name, layer, geometry
    community: gpd.GeoDataFrame  # one row: code, name, geometry
    buildings: gpd.GeoDataFrame  # id, name, use, households, full_members, status, geometry
    staff: list[dict]  # name, role, fulltime, phone (already masked)
    gaps: gpd.GeoDataFrame  # the grid's gap list
    metrics: dict
    roads: gpd.GeoDataFrame
    generated: bool
    osm: bool
    editable: bool = False  # served to a caller who may edit: the popups and to-do rows open forms
    people: list = field(default_factory=list)  # [id, name, role label] the leader form offers
    facilities: gpd.GeoDataFrame | None = None  # service facilities around (None: none are held)
    beyond_reach: gpd.GeoDataFrame | None = None  # the grid's buildings beyond reach of a facility level


def grid_map(data: GridMapData, basemap: Basemap | None = None) -> folium.Map:
    basemap = basemap or Basemap()
    grid = for_display(data.grid, basemap)
    buildings = for_display(data.buildings, basemap)
    m = new_map(total_bounds(grid), basemap, panels=True)
    _context(m, for_display(data.community, basemap), for_display(data.roads, basemap))
    layer = style()["layers"][grid["layer"].iloc[0]]
    folium.GeoJson(
        geojson(grid[["code", "name", "geometry"]].assign(gs_kind="grid")),
        name="网格边界",
        style_function=lambda _: {"color": layer["stroke"], "weight": 3, "fill": False, "dashArray": layer["dash"]},
    ).add_to(m)
    gaps = for_display(data.gaps, basemap)
    _buildings(m, buildings, data.editable)
    _gap_markers(m, gaps)
    if data.facilities is not None:
        facilities, beyond = for_display(data.facilities, basemap), for_display(data.beyond_reach, basemap)
        facility_layers(m, facilities, beyond, over_buildings=True)
    _summary(m, data, gaps)
    if data.editable:
        m.get_root().header.add_child(folium.Element(edit_forms.CSS))
        named = place_names(data.buildings)
        g = data.grid.iloc[0]
        m.add_child(
            edit_forms.EditForms(
                data.people,
                [[i, n] for i, n in zip(data.buildings["id"], named, strict=True)],
                (g["code"], str(g["name"] or g["code"])),
            )
        )
    m.add_child(MapHelpers(LABEL_ZOOM))
    statuses = style()["building_status"]
    items = [(s["fill"], s["label"]) for s in statuses.values()] + [(layer["stroke"], layer["label"])]
    legend(m, "楼栋状态", items + facility_legend(data.facilities))
    notices(m, data.generated, data.osm)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _context(m: folium.Map, community: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> None:
    ctx = style()["context"]
    if len(roads):
        folium.GeoJson(
            geojson(roads[["name", "geometry"]].fillna("")),
            name="道路",
            control=False,
            style_function=lambda _: {"color": ctx["road"]["stroke"], "weight": ctx["road"]["weight"]},
        ).add_to(m)
    folium.GeoJson(
        geojson(community[["code", "name", "geometry"]]),
        name="社区边界",
        style_function=lambda _: {
            "color": ctx["community"]["stroke"],
            "weight": ctx["community"]["weight"],
            "fill": False,
            "dashArray": "8 6",
        },
    ).add_to(m)


def _buildings(m: folium.Map, buildings: gpd.GeoDataFrame, editable: bool = False) -> folium.GeoJson | None:
    if buildings.empty:
        return None
    statuses = style()["building_status"]
    b = buildings.copy()
    b["状态"] = b["status"].map(lambda s: statuses[s]["label"])
    b["用途"] = b["use"].map(USE_LABEL)
    b["名称"] = place_names(b)
    b["户数"] = b["households"].fillna(0).astype(int)
    b["正式党员"] = b["full_members"].fillna(0).astype(int)
    b["党小组"] = _column(b, "group")
    b["楼栋长"] = _column(b, "leader").fillna("未配备") + _column(b, "leader_phone").map(
        lambda p: f"（{p}）" if p else ""
    )
    b["网格党支部"] = _column(b, "branch")
    b["tel"] = _column(b, "leader_phone")
    b["gs_kind"] = "building"
    fields = ["名称", "用途", "户数", "正式党员", "党小组", "楼栋长", "网格党支部", "状态"]
    layer = folium.GeoJson(
        geojson(b[["id", "status", "gs_kind", "tel", *fields, "geometry"]]),
        name="楼栋",
        style_function=lambda f: {
            "color": "#2c3e50",
            "weight": 1,
            "fillOpacity": 0.8,
            "fillColor": statuses[f["properties"]["status"]]["fill"],
        },
        tooltip=folium.GeoJsonTooltip(fields=["名称"], labels=False),
    ).add_to(m)
    actions = (
        [("leader", "登记楼栋长"), ("group", "组建党小组"), ("figures", "修改数据"), ("history", "变更记录")]
        if editable
        else []
    )
    m.add_child(FeaturePopups(layer, fields, "gs-building-popup", tel="tel", actions=actions))
    # one layer of labels (not a marker per building: each folium element costs a template), shown
    # from LABEL_ZOOM on and never over a gap marker or another label
    with_members = b[b["正式党员"] > 0]
    labels = gpd.GeoDataFrame(
        {"label": "党员" + with_members["正式党员"].astype(str), "gs_kind": "members"},
        geometry=shapely.point_on_surface(with_members.geometry.values.to_numpy()),
        crs=4490,
    )
    if len(labels):
        folium.GeoJson(
            geojson(labels),
            name="党员人数",
            marker=folium.CircleMarker(radius=1, opacity=0, fill_opacity=0),
            on_each_feature=JsCode(
                "function (feature, layer) { layer.bindTooltip(feature.properties.label, "
                "{permanent: true, direction: 'center', className: 'gs-label'}); }"
            ),
        ).add_to(m)
    return layer


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), None)


def _gap_markers(m: folium.Map, gaps: gpd.GeoDataFrame) -> None:
    """A dot per building or organization gap, coloured by severity, with the sentence in its popup."""
    pointed = gaps[gaps["object_type"].isin(["building", "organization"])]
    if pointed.empty:
        return
    folium.GeoJson(
        geojson(gap_points(pointed)),
        name="问题",
        marker=folium.CircleMarker(radius=6, fill=True),
        style_function=_severity_style,
        popup=folium.GeoJsonPopup(fields=["问题"], labels=False),
    ).add_to(m)


def gap_points(gaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Gaps as points (inside their object) carrying kind, severity and sentence."""
    points = shapely.point_on_surface(gaps.geometry.values.to_numpy())
    return gpd.GeoDataFrame(
        {
            "id": gaps["object_id"].astype(str).to_numpy(),
            "name": (gaps["object_name"] if "object_name" in gaps else gaps["object_id"]).astype(str).to_numpy(),
            "kind": gaps["kind"].to_numpy(),
            "severity": gaps["severity"].to_numpy(),
            "问题": gaps["message"].to_numpy(),
            "gs_kind": "gap",
        },
        geometry=points,
        crs=4490,
    )


def _severity_style(feature: dict) -> dict:
    color = style()["severity"][feature["properties"]["severity"]]["color"]
    return {"color": "#ffffff", "weight": 1.5, "fillColor": color, "fillOpacity": 0.95}


def _summary(m: folium.Map, data: GridMapData, gaps: gpd.GeoDataFrame) -> None:
    g = data.grid.iloc[0]
    layer_label = style()["layers"][g["layer"]]["label"]
    households = int(data.buildings["households"].fillna(0).sum())
    staff = "".join(
        f"<tr><td>{html.escape(STAFF_ROLE_LABEL.get(s['role'], s['role']))}"
        f"{'（专职）' if s['role'] == 'grid_worker' and s.get('fulltime') else ''}</td>"
        f"<td>{html.escape(s['name'])}</td><td>{_phone(s.get('phone'))}</td>"
        + (
            f'<td><button type="button" class="gs-act" data-gs-action="leave" data-id="{html.escape(s["id"])}" '
            f'data-name="{html.escape(s["name"])}">离任</button></td>'
            if data.editable
            else ""
        )
        + "</tr>"
        for s in data.staff
        if s["role"] in ("grid_leader", "grid_worker")
    )
    if data.editable:
        staff += (
            '<tr><td colspan="4"><button type="button" class="gs-act" data-gs-action="grid_staff" '
            'data-role="grid_leader">任命网格长</button><button type="button" class="gs-act" '
            'data-gs-action="grid_staff" data-role="grid_worker">增配网格员</button>'
            f'<button type="button" class="gs-act" data-gs-action="history" data-kind="grid" '
            f'data-id="{html.escape(str(g["code"]))}" data-name="{html.escape(str(g["name"] or g["code"]))}">'
            "变更记录</button></td></tr>"
        )
    body = (
        f"<h4>{html.escape(str(g['name'] or g['code']))}</h4>"
        f"<div>{html.escape(g['code'])} · {layer_label} · 楼栋{len(data.buildings)}栋 · {households}户</div>"
        f"<details open><summary>待办（{len(data.gaps)}）</summary>{todo_list(gaps, data.editable)}</details>"
        f"<details><summary>工作人员</summary><table>{staff or '<tr><td>无在岗网格长、网格员</td></tr>'}</table></details>"
        f"<details><summary>覆盖指标</summary>{metric_rows(data.metrics, LABELS)}</details>"
    )
    panel(m, "gs-summary", body)


def _phone(phone: str | None) -> str:
    """A whole number as a ``tel:`` link; a masked one as text."""
    if not phone:
        return ""
    text = html.escape(phone)
    return f'<a href="tel:{text}">{text}</a>' if phone.replace("-", "").lstrip("+").isdigit() else text


def todo_list(gaps: gpd.GeoDataFrame, editable: bool = False) -> str:
    """The grid's gaps as things to do, grouped by kind (most severe first): the grid's own as
    sentences, each building's or organization's as a row with its name that flies the map to it."""
    if gaps.empty:
        return "<p>没有待办事项。</p>"
    parts = []
    order = gaps.assign(_s=gaps["severity"].map(SEVERITY_ORDER)).sort_values(["_s", "kind"])
    for kind, group in order.groupby("kind", sort=False):
        spec = GAP_KIND[kind]
        head = f"<div><b>{html.escape(spec.label)}</b>（{len(group)}）：{html.escape(spec.action)}</div>"
        if spec.object_type in ("building", "organization"):
            points = shapely.point_on_surface(group.geometry.values.to_numpy())
            rows = "".join(
                f'<li><a href="#" class="gs-todo" data-id="{html.escape(str(oid))}" data-lat="{p.y:.6f}" '
                f'data-lng="{p.x:.6f}">{html.escape(str(name))}</a>'
                + (_fix_button(kind, oid, name) if editable else "")
                + "</li>"
                for oid, name, p in zip(group["object_id"], group["object_name"], points, strict=True)
            )
        else:
            rows = "".join(f"<li>{html.escape(msg)}</li>" for msg in group["message"])
        parts.append(f"{head}<ol class='gs-todo-list'>{rows}</ol>")
    return "".join(parts)


_FIXES = {"no_building_leader": ("leader", "登记"), "building_group_missing": ("group", "组建")}


def _fix_button(kind: str, object_id, name) -> str:
    """The button that opens the form fixing a gap of ``kind`` (none for kinds fixed elsewhere)."""
    if kind not in _FIXES:
        return ""
    action, label = _FIXES[kind]
    return (
        f' <button type="button" class="gs-act" data-gs-action="{action}" data-id="{html.escape(str(object_id))}" '
        f'data-name="{html.escape(str(name))}">{label}</button>'
    )


class MapHelpers(MacroElement):
    """The grid map's behaviour: a to-do row flies the map to its building (clear of the panel on a
    phone) and opens its popup; "党员N" labels show from ``min_zoom`` on, and never over a gap marker
    or another label (checked on the screen after every zoom and move)."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function () {
            const map = {{ this._parent.get_name() }}, phone = () => window.innerWidth <= 600;
            const layers = (kind) => { const out = [];
                map.eachLayer(l => { if (l.feature && l.feature.properties.gs_kind === kind) out.push(l); }); return out; };
            document.querySelectorAll(".gs-todo").forEach(a => a.addEventListener("click", function (e) {
                e.preventDefault();
                const at = L.latLng(+a.dataset.lat, +a.dataset.lng);
                const pad = phone() ? {paddingTopLeft: [10, 60], paddingBottomRight: [10, Math.round(window.innerHeight * 0.45)]}
                                    : {paddingTopLeft: [390, 20], paddingBottomRight: [20, 20]};
                map.flyToBounds(at.toBounds(60), Object.assign({maxZoom: 19, duration: 0.6}, pad));
                map.once("moveend", () => {
                    const b = layers("building").find(l => l.feature.properties.id === a.dataset.id);
                    if (b) b.openPopup(at); else L.popup().setLatLng(at).setContent(a.textContent).openOn(map);
                });
            }));
            function declutter() {
                const box = map.getContainer().getBoundingClientRect(), taken = [];
                for (const g of layers("gap")) {
                    const p = map.latLngToContainerPoint(g.getLatLng());
                    taken.push([box.left + p.x - 9, box.top + p.y - 9, box.left + p.x + 9, box.top + p.y + 9]);
                }
                const show = map.getZoom() >= {{ this.min_zoom }};
                for (const l of layers("members")) {
                    const el = l.getTooltip() && l.getTooltip().getElement();
                    if (!el) continue;
                    el.style.visibility = "hidden";
                    if (!show) continue;
                    for (const [dx, dy] of [[0, 0], [0, -16], [0, 16], [30, 0], [-30, 0]]) {  // beside a marker
                        el.style.marginLeft = dx + "px";
                        el.style.marginTop = dy + "px";
                        const r = el.getBoundingClientRect(), rect = [r.left, r.top, r.right, r.bottom];
                        if (!taken.some(t => rect[0] < t[2] && t[0] < rect[2] && rect[1] < t[3] && t[1] < rect[3])) {
                            el.style.visibility = "visible";
                            taken.push(rect);
                            break;
                        }
                    }
                }
            }
            map.on("zoomend moveend", declutter);
            map.whenReady(() => setTimeout(declutter, 0));
        })();
    {% endmacro %}""")

    def __init__(self, min_zoom: int):
        super().__init__()
        self._name = "MapHelpers"
        self.min_zoom = int(min_zoom)


def buildings_frame(units: pd.DataFrame, scene_buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grid's buildings (units with status) joined to their footprints and attributes."""
    attrs = scene_buildings.set_index("id")[[c for c in ("name", "address", "use", "geometry") if c in scene_buildings]]
    joined = units.join(attrs, on="id")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=4490)
