"""The plan map (方案图) of a redraw plan: the plan's grids coloured by their households against the
band, over today's two layers with a swipe between plan and today, the buildings that change grid,
the plan's problems where they are, and its scores beside the map."""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd

from gridsvc.analysis.scene import Thresholds, place_names
from gridsvc.labels import BAND_LABEL
from gridsvc.rendering import workbench
from gridsvc.rendering.alignment_map import Swipe
from gridsvc.rendering.common import Basemap, for_display, geojson, legend, new_map, notices, panel, style, total_bounds
from gridsvc.textual import grid_name, score


@dataclass
class PlanMapData:
    plan: dict  # id, name, layer, status
    communities: gpd.GeoDataFrame  # code, name, geometry
    live: gpd.GeoDataFrame  # today's grids of those communities: code, name, layer, geometry
    grids: gpd.GeoDataFrame  # the plan's grids: code, name, households, geometry
    buildings: gpd.GeoDataFrame  # id, name, address, geometry, change (None: stays; else the sentence)
    problems: gpd.GeoDataFrame  # rule, severity, message, grid, geometry (EPSG:4490; None where it has no place)
    scores: list[dict]  # plans.scores rows, with their figures
    limits: Thresholds
    generated: bool
    osm: bool
    editable: bool = False  # the caller may plan: the workbench's tools are on the page


def plan_map(data: PlanMapData, basemap: Basemap | None = None) -> folium.Map:
    basemap = basemap or Basemap()
    colours = style()["plan"]
    layers = style()["layers"]
    m = new_map(total_bounds(for_display(data.communities, basemap)), basemap, panels=True)
    folium.map.CustomPane("gs_plan", z_index=410).add_to(m)
    folium.map.CustomPane("gs_live", z_index=405).add_to(m)
    live = for_display(data.live, basemap).copy()
    live["网格"] = [grid_name(c, n) for c, n in zip(live["code"], live["name"], strict=True)]
    live["图层"] = [layers[x]["label"] for x in live["layer"]]
    live["gs_kind"] = "live_grid"
    folium.GeoJson(
        geojson(live[["code", "layer", "gs_kind", "网格", "图层", "geometry"]]),
        name="现状网格（滑块右侧）",
        pane="gs_live",
        style_function=lambda f: {
            "color": layers[f["properties"]["layer"]]["stroke"],
            "weight": 3,
            "dashArray": layers[f["properties"]["layer"]]["dash"],
            "fillOpacity": 0.05,
        },
        tooltip=folium.GeoJsonTooltip(fields=["网格", "图层"]),
    ).add_to(m)
    grids = for_display(data.grids, basemap).copy()
    grids["band"] = [data.limits.band(h) for h in grids["households"]]
    grids["网格"] = [grid_name(c, n) for c, n in zip(grids["code"], grids["name"], strict=True)]
    grids["户数"] = [f"{int(h):,}户" for h in grids["households"]]
    grids["gs_kind"] = "plan_grid"
    folium.GeoJson(
        geojson(grids[["code", "band", "gs_kind", "网格", "户数", "geometry"]]),
        name="方案网格（滑块左侧）",
        pane="gs_plan",
        style_function=lambda f: {
            "color": layers["unified"]["stroke"],
            "weight": 3,
            "fillColor": colours[f["properties"]["band"]]["fill"],
            "fillOpacity": 0.35,
        },
        tooltip=folium.GeoJsonTooltip(fields=["网格", "户数"]),
    ).add_to(m)
    _buildings(m, for_display(data.buildings, basemap))
    _problems(m, for_display(data.problems, basemap))
    _summary(m, data)
    facts = {"min": data.limits.households_min, "max": data.limits.households_max}
    legend(
        m,
        "图例",
        [(colours[k]["fill"], colours[k]["label"].format(**facts)) for k in ("below", "within", "above")]
        + [(colours[k]["fill"], colours[k]["label"]) for k in ("moved", "stays")]
        + [(colours["problem"]["stroke"], colours["problem"]["label"])]
        + [(layers[k]["stroke"], "现状" + layers[k]["label"]) for k in ("party", "governance")],
    )
    m.add_child(Swipe("gs_plan", "gs_live"))
    if data.editable and basemap.datum != "gcj02":  # the workbench draws lon/lat as stored
        m.get_root().header.add_child(folium.Element(workbench.CSS))
        m.add_child(
            workbench.Workbench(
                int(data.plan["id"]),
                {k: colours[k]["fill"] for k in BAND_LABEL},
                (data.limits.households_min, data.limits.households_max),
            )
        )
    notices(m, data.generated, data.osm)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _buildings(m: folium.Map, buildings: gpd.GeoDataFrame) -> None:
    colours = style()["plan"]
    b = buildings.copy()
    b["moved"] = b["change"].notna()
    b["gs_kind"] = ["move" if moved else "building" for moved in b["moved"]]
    b["楼栋"] = place_names(b)
    b["调整"] = b["change"].fillna("不换网格")
    folium.GeoJson(
        geojson(b[["id", "moved", "gs_kind", "楼栋", "调整", "geometry"]]),
        name="楼栋",
        style_function=lambda f: {
            "color": "#2c3e50",
            "weight": 1,
            "fillOpacity": 0.85,
            "fillColor": colours["moved" if f["properties"]["moved"] else "stays"]["fill"],
        },
        popup=folium.GeoJsonPopup(fields=["楼栋", "调整"]),
    ).add_to(m)


def _problems(m: folium.Map, problems: gpd.GeoDataFrame) -> None:
    """The problems that have a place (the summary counts them all)."""
    p = problems[problems.geometry.notna() & ~problems.geometry.is_empty].copy()
    if p.empty:
        return
    p["问题"] = p["message"]
    p["网格"] = p["grid"].fillna("—")
    p["级别"] = p["severity"].map({"error": "错误（不能生效）", "warning": "提醒"})
    p["gs_kind"] = "problem"
    folium.GeoJson(
        geojson(p[["rule", "gs_kind", "问题", "网格", "级别", "geometry"]]),
        name="方案的问题",
        style_function=lambda f: {
            "color": style()["plan"]["problem"]["stroke"],
            "weight": 3,
            "dashArray": "4 3",
            "fillOpacity": 0.1,
        },
        marker=folium.CircleMarker(radius=8, color=style()["plan"]["problem"]["stroke"], weight=3),
        popup=folium.GeoJsonPopup(fields=["问题", "网格", "级别"]),
    ).add_to(m)


def _summary(m: folium.Map, data: PlanMapData) -> None:
    plan = data.plan
    errors = int((data.problems["severity"] == "error").sum())
    warnings = len(data.problems) - errors
    moved = int(data.buildings["change"].notna().sum())
    parts = [
        f"<h4>方案 {int(plan['id'])} · {html.escape(str(plan.get('name') or ''))}</h4>",
        f"<div>{len(data.grids)} 个网格；换网格的楼栋 {moved} 栋；错误 {errors} 个、提醒 {warnings} 个</div>",
        "<div style='margin-top:6px'>左：方案 ⇄ 右：现状"
        "<input id='gs-swipe' type='range' min='0' max='100' value='50' style='width:100%'></div>",
    ]
    for n, row in enumerate(data.scores):
        cells = "".join(
            f"<tr><td title='{html.escape(f['meaning'])}'>{html.escape(f['label'])}</td>"
            + "".join(f"<td>{html.escape(score(f[k], f['kind']))}</td>" for k in ("before", "after", "best"))
            + "</tr>"
            for f in row["figures"]
        )
        parts.append(
            f"<details class='gs-scores'{' open' if n == 0 else ''}>"
            f"<summary>{html.escape(_community_name(data, row['community']))}"
            "：现状、方案与最好可能</summary>"
            f"<table><tr><th></th><th>现状</th><th>方案</th><th>最好</th></tr>{cells}</table></details>"
        )
    panel(m, "gs-summary", "".join(parts))


def _community_name(data: PlanMapData, code: str) -> str:
    found = data.communities.loc[data.communities["code"] == code, "name"]
    return f"{found.iloc[0]}（{code}）" if len(found) else code
