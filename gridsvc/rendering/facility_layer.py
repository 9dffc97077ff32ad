"""Service facilities on the coverage map (domain.md §8.4): each facility as a marker by level, and the
buildings with households beyond reach of a community centre or a grid station, filled in orange.

Names come from the database: they reach the page through ``geojson``, which escapes every text.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from gridsvc.analysis.facilities import LEVEL_LABEL
from gridsvc.rendering.common import geojson

COLOR = {  # blues: apart from the gap markers' reds, oranges and greys
    "street_centre": "#1b2631",
    "community_centre": "#1f4e9c",
    "grid_station": "#2e86c1",
    "building_point": "#85c1e9",
}
BEYOND_COLOR = "#e67e22"


def legend_items(facilities: gpd.GeoDataFrame | None) -> list[tuple[str, str]]:
    """What the facility layers add to the legend: the levels shown (nothing where none are held)."""
    if facilities is None:
        return []
    shown = set(facilities["level"])
    levels = [(COLOR[k], label) for k, label in LEVEL_LABEL.items() if k in shown]
    return [*levels, (BEYOND_COLOR, "服务中心/站可达范围外的楼栋")]


def facility_layers(
    m: folium.Map, facilities: gpd.GeoDataFrame, beyond: gpd.GeoDataFrame, over_buildings: bool = False
) -> None:
    """``facilities``: level, 设施 (name and level), geometry; ``beyond``: 可达 (the sentence), footprints.
    ``over_buildings``: the map draws the buildings itself (the grid map), so the buildings beyond
    reach are outlined only, and let hovers and taps through to the buildings' own popups."""
    if len(beyond):
        look = {"color": BEYOND_COLOR, "weight": 2, "fillColor": BEYOND_COLOR, "fillOpacity": 0.35}
        if over_buildings:
            look |= {"weight": 3, "fillOpacity": 0, "dashArray": "4 3"}
        folium.GeoJson(
            geojson(beyond[["gs_kind", "可达", "geometry"]]),
            name=f"服务设施可达范围外的楼栋（{len(beyond)}）",
            style_function=lambda _: look,
            tooltip=None if over_buildings else folium.GeoJsonTooltip(fields=["可达"], labels=False),
            interactive=not over_buildings,
        ).add_to(m)
    if len(facilities):
        folium.GeoJson(
            geojson(facilities[["gs_kind", "level", "设施", "geometry"]]),
            name=f"党群服务中心/站（{len(facilities)}）",
            marker=folium.CircleMarker(radius=7, fill=True),
            style_function=lambda f: {
                "color": "#ffffff",
                "weight": 2,
                "fillOpacity": 1,
                "fillColor": COLOR.get(f["properties"]["level"], "#555555"),
            },
            tooltip=folium.GeoJsonTooltip(fields=["设施"], labels=False),
        ).add_to(m)
