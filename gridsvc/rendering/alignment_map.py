"""The alignment map (两网对照图) of one community: Party and governance grids over each other, matched
pairs with their overlap (重合度, IoU), the buildings to move, and a swipe between the two layers."""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gridsvc.analysis.alignment import DISTURB_LABEL
from gridsvc.analysis.scene import place_names
from gridsvc.labels import IOU_LABEL
from gridsvc.rendering.common import (
    Basemap,
    for_display,
    geojson,
    legend,
    new_map,
    notices,
    panel,
    style,
    total_bounds,
)


@dataclass
class AlignmentMapData:
    community: gpd.GeoDataFrame  # one row: code, name, geometry
    grids: gpd.GeoDataFrame  # the community's grids: code, name, layer, geometry
    buildings: gpd.GeoDataFrame  # id, name, geometry
    alignment: dict  # Alignment.as_json()
    generated: bool
    osm: bool


def alignment_map(data: AlignmentMapData, basemap: Basemap | None = None) -> folium.Map:
    basemap = basemap or Basemap()
    grids = for_display(data.grids, basemap)
    m = new_map(total_bounds(for_display(data.community, basemap)), basemap, panels=True)
    for pane in ("party", "governance"):
        folium.map.CustomPane(f"gs_{pane}", z_index=410 if pane == "party" else 405).add_to(m)
    layers = style()["layers"]
    iou = {p["party"]: p for p in data.alignment["pairs"]} | {p["governance"]: p for p in data.alignment["pairs"]}
    for side, members in (("governance", ("governance", "unified")), ("party", ("party", "unified"))):
        frame = grids[grids["layer"].isin(members)].copy()
        frame["gs_kind"] = f"{side}_grid"
        frame["配对"] = [_pair_text(code, iou.get(code), side) for code in frame["code"]]
        frame["网格"] = frame["name"].fillna("") + "（" + frame["code"] + "）"
        spec = layers[side]
        folium.GeoJson(
            geojson(frame[["code", "layer", "gs_kind", "网格", "配对", "geometry"]]),
            name=spec["label"],
            pane=f"gs_{side}",
            style_function=lambda f, s=spec: {
                "color": layers[f["properties"]["layer"]]["stroke"],
                "weight": 3,
                "dashArray": s["dash"],
                "fillColor": s["fill"],
                "fillOpacity": 0.12,
            },
            tooltip=folium.GeoJsonTooltip(fields=["网格", "配对"]),
        ).add_to(m)
    _buildings(m, for_display(data.buildings, basemap), data.alignment["moves"])
    _iou_labels(m, grids, data.alignment["pairs"])
    _summary(m, data)
    legend(
        m,
        "图例",
        [
            (layers["party"]["stroke"], "党建网格（滑块左侧）"),
            (layers["governance"]["stroke"], "治理网格（滑块右侧）"),
            (layers["unified"]["stroke"], layers["unified"]["label"]),
            ("#e67e22", "需调整的楼栋"),
            ("#bdc3c7", "其他楼栋"),
        ],
    )
    m.add_child(Swipe("gs_party", "gs_governance"))
    notices(m, data.generated, data.osm)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _pair_text(code: str, pair: dict | None, side: str) -> str:
    if pair is None:
        return "未配对"
    side_name = "governance" if side == "party" else "party"
    other = pair.get(f"{side_name}_name") or pair[side_name]  # the grid's name (named_alignment), else its code
    return f"配对{other}，{IOU_LABEL} {pair['iou']:.2f}，{pair['households']}户"


def _buildings(m: folium.Map, buildings: gpd.GeoDataFrame, moves: list[dict]) -> None:
    move = {mv["building_id"]: mv for mv in moves}
    b = buildings.copy()
    b["gs_kind"] = ["move" if i in move else "building" for i in b["id"]]
    b["楼栋"] = place_names(b)
    b["调整"] = [_move_text(move[i]) if i in move else "无需调整" for i in b["id"]]
    folium.GeoJson(
        geojson(b[["id", "gs_kind", "楼栋", "调整", "geometry"]]),
        name="楼栋",
        style_function=lambda f: {
            "color": "#2c3e50",
            "weight": 1,
            "fillOpacity": 0.85,
            "fillColor": "#e67e22" if f["properties"]["gs_kind"] == "move" else "#bdc3c7",
        },
        popup=folium.GeoJsonPopup(fields=["楼栋", "调整"]),
    ).add_to(m)


def _move_text(move: dict) -> str:
    """'由春晖社区党建网格007并入春晖社区党建网格006（10户）；影响 楼栋长换网格：梁杰' (names, codes only
    where a grid has no name)."""
    target = move.get("to_name") or move["to_grid"] or "（所在治理网格未配对，需人工确定）"
    source = move.get("from_name") or move["from_grid"] or "无党建网格"
    effects = "；".join(
        DISTURB_LABEL[d["type"]] + "：" + (d.get("name") or d.get("party_org_id") or d.get("staff_id"))
        for d in move["disturbs"]
    )
    return f"由{source}并入{target}（{move['households']}户）" + (f"；影响 {effects}" if effects else "")


def _iou_labels(m: folium.Map, grids: gpd.GeoDataFrame, pairs: list[dict]) -> None:
    geom = dict(zip(grids["code"], grids.geometry, strict=True))
    group = folium.FeatureGroup(name=f"配对与{IOU_LABEL}")
    for p in pairs:
        where = shapely.point_on_surface(shapely.intersection(geom[p["party"]], geom[p["governance"]]))
        if where.is_empty:
            where = shapely.point_on_surface(geom[p["party"]])
        folium.Marker(
            [where.y, where.x],
            icon=folium.DivIcon(
                html=f'<div class="gs-label">{IOU_LABEL} {p["iou"]:.2f}</div>', icon_size=(70, 14), icon_anchor=(35, 7)
            ),
        ).add_to(group)
    group.add_to(m)


def _summary(m: folium.Map, data: AlignmentMapData) -> None:
    a = data.alignment
    rate = a["alignment_rate"]
    value = "—" if rate["value"] is None else f"{rate['value']:.1%}"
    unmatched = "、".join(u.get("name") or u["grid"] for u in a["unmatched"]) or "无"
    name = data.community["name"].iloc[0]
    body = (
        f"<h4>{html.escape(name)} · 两网对照</h4>"
        f"<div>融合率（按户）{value}（{rate['numerator']:,}/{rate['denominator']:,}）</div>"
        f"<div>配对网格 {len(a['pairs'])} 对；未配对：{html.escape(unmatched)}</div>"
        f"<div>需调整楼栋 {len(a['moves'])} 栋，"
        f"共{sum(mv['households'] for mv in a['moves']):,}户</div>"
        "<div style='margin-top:6px'>左：党建网格 ⇄ 右：治理网格"
        "<input id='gs-swipe' type='range' min='0' max='100' value='50' style='width:100%'></div>"
    )
    panel(m, "gs-summary", body)


class Swipe(MacroElement):
    """Pane ``left`` left of the slider (``#gs-swipe``), pane ``right`` right of it (clips the two)."""

    def __init__(self, left: str, right: str):
        super().__init__()
        self.left, self.right = left, right

    _template = Template("""{% macro script(this, kwargs) %}
    (function () {
        const map = {{ this._parent.get_name() }};
        const slider = document.getElementById("gs-swipe");
        function clip() {
            const size = map.getSize(), nw = map.containerPointToLayerPoint([0, 0]);
            const se = map.containerPointToLayerPoint(size), x = nw.x + size.x * slider.value / 100;
            map.getPane({{ this.left|tojson }}).style.clip = `rect(${nw.y}px, ${x}px, ${se.y}px, ${nw.x}px)`;
            map.getPane({{ this.right|tojson }}).style.clip = `rect(${nw.y}px, ${se.x}px, ${se.y}px, ${x}px)`;
        }
        ["input", "mousedown", "touchstart", "pointerdown"].forEach(e => slider.addEventListener(e, ev => {
            ev.stopPropagation(); if (e === "input") clip(); }));
        L.DomEvent.disableClickPropagation(slider);
        map.on("move zoom resize", clip);
        clip();
    })();
    {% endmacro %}""")
