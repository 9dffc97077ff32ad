"""The grid leader's map (网格图): one grid, its buildings by status, Party members, staff and gaps."""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
import shapely
from folium.utilities import JsCode

from gridsvc.analysis.gaps import GAP_KIND
from gridsvc.analysis.metrics import LABELS
from gridsvc.labels import STAFF_ROLE_LABEL, USE_LABEL
from gridsvc.rendering.common import (
    Basemap,
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
    _buildings(m, buildings)
    _gap_markers(m, for_display(data.gaps, basemap))
    _summary(m, data)
    statuses = style()["building_status"]
    legend(m, "楼栋状态", [(s["fill"], s["label"]) for s in statuses.values()] + [(layer["stroke"], layer["label"])])
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


def _buildings(m: folium.Map, buildings: gpd.GeoDataFrame) -> None:
    if buildings.empty:
        return
    statuses = style()["building_status"]
    b = buildings.copy()
    b["状态"] = b["status"].map(lambda s: statuses[s]["label"])
    b["用途"] = b["use"].map(USE_LABEL)
    b["名称"] = b["name"].fillna(b["id"])
    b["户数"] = b["households"].fillna(0).astype(int)
    b["正式党员"] = b["full_members"].fillna(0).astype(int)
    b["gs_kind"] = "building"
    fields = ["名称", "用途", "户数", "正式党员", "状态"]
    folium.GeoJson(
        geojson(b[["id", "status", "gs_kind", *fields, "geometry"]]),
        name="楼栋",
        style_function=lambda f: {
            "color": "#2c3e50",
            "weight": 1,
            "fillOpacity": 0.8,
            "fillColor": statuses[f["properties"]["status"]]["fill"],
        },
        tooltip=folium.GeoJsonTooltip(fields=["名称"], labels=False),
        popup=folium.GeoJsonPopup(fields=fields),
    ).add_to(m)
    # one layer of permanent labels (not a marker per building: each folium element costs a template)
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


def _summary(m: folium.Map, data: GridMapData) -> None:
    g = data.grid.iloc[0]
    layer_label = style()["layers"][g["layer"]]["label"]
    households = int(data.buildings["households"].fillna(0).sum())
    staff = "".join(
        f"<tr><td>{html.escape(STAFF_ROLE_LABEL.get(s['role'], s['role']))}"
        f"{'（专职）' if s['role'] == 'grid_worker' and s.get('fulltime') else ''}</td>"
        f"<td>{html.escape(s['name'])}</td><td>{html.escape(s.get('phone') or '')}</td></tr>"
        for s in data.staff
        if s["role"] in ("grid_leader", "grid_worker")
    )
    grid_gaps = data.gaps[data.gaps["object_type"] == "grid"]
    problems = "".join(f"<li>{html.escape(msg)}</li>" for msg in grid_gaps["message"])
    counts = data.gaps[data.gaps["object_type"] != "grid"].groupby("kind").size()
    problems += "".join(f"<li>{GAP_KIND[k].label}：{n}处（见地图上的圆点）</li>" for k, n in counts.items())
    body = (
        f"<h4>{html.escape(str(g['name'] or g['code']))}</h4>"
        f"<div>{html.escape(g['code'])} · {layer_label} · 楼栋{len(data.buildings)}栋 · {households}户</div>"
        f"<details open><summary>工作人员</summary><table>{staff or '<tr><td>无在岗网格长、网格员</td></tr>'}</table></details>"
        f"<details><summary>覆盖指标</summary>{metric_rows(data.metrics, LABELS)}</details>"
        f"<details open><summary>问题（{len(data.gaps)}）</summary><ul style='padding-left:16px;margin:2px 0'>"
        f"{problems or '<li>无</li>'}</ul></details>"
    )
    panel(m, "gs-summary", body)


def buildings_frame(units: pd.DataFrame, scene_buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grid's buildings (units with status) joined to their footprints and attributes."""
    attrs = scene_buildings.set_index("id")[["name", "use", "geometry"]]
    joined = units.join(attrs, on="id")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=4490)
