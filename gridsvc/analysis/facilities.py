"""Service facilities (党群服务中心 / 站, domain.md §8.4): which buildings are within reach of a
facility of each level, and which communities have no community centre.

Reach is the walk from a building's representative point to the facility along the roads where the
scene has roads (``analysis.walking``), else the straight line; at most ``Thresholds.reach_community_centre_m`` (1,000 m)
for a community centre and ``reach_grid_station_m`` (500 m) for a grid station. Each level counts on
its own: a street centre is not a community centre's stand-in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.assignment import assign_to_polygons
from gridsvc.analysis.scene import Scene, Thresholds
from gridsvc.analysis.walking import RoadNetwork

LEVEL_LABEL = {
    "street_centre": "街道党群服务中心",
    "community_centre": "社区党群服务中心",
    "grid_station": "网格党群服务站",
    "building_point": "楼宇党群服务点",
}
REACHED = {"community_centre": "centre_reached", "grid_station": "station_reached"}  # unit-table columns


def reach_metres(level: str, thresholds: Thresholds) -> float:
    return {"community_centre": thresholds.reach_community_centre_m, "grid_station": thresholds.reach_grid_station_m}[
        level
    ]


def within_reach(scene: Scene, thresholds: Thresholds, level: str) -> np.ndarray:
    """Per building of ``scene``: whether a facility of ``level`` lies within its reach."""
    f = scene.facilities
    mine = (f["level"] == level).to_numpy()
    if not mine.any() or scene.buildings.empty:
        return np.zeros(len(scene.buildings), dtype=bool)
    points = scene.buildings.set_geometry("rep_point", crs=4490).to_crs(scene.crs).geometry.values.to_numpy()
    sites = f[mine].to_crs(scene.crs).geometry.values.to_numpy()
    limit = reach_metres(level, thresholds)
    network = road_network(scene)
    if network:
        return np.isfinite(network.distances(sites, points, limit))
    near, _ = shapely.STRtree(sites).query(points, predicate="dwithin", distance=limit)
    reached = np.zeros(len(points), dtype=bool)
    reached[near] = True
    return reached


def road_network(scene: Scene) -> RoadNetwork:
    """The scene's roads as a walking graph (empty without roads), built once per scene."""
    if scene._network is None:
        roads = scene.roads
        lines = roads.to_crs(scene.crs).geometry.values.to_numpy() if roads is not None and len(roads) else []
        scene._network = RoadNetwork(lines)
    return scene._network


def communities_without_centre(scene: Scene) -> list[str]:
    """Codes of the communities with no community centre inside their boundary."""
    f = scene.facilities
    centres = f[(f["level"] == "community_centre").to_numpy()].geometry.values.to_numpy()
    codes = scene.communities["code"].to_numpy()
    holding = assign_to_polygons(centres, scene.communities.geometry.values.to_numpy()) if len(centres) else []
    have = {codes[i] for i in holding if i >= 0}
    return [c for c in codes if c not in have]


def beyond_reach(scene: Scene, buildings: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """The buildings of the unit table ``buildings`` (analysis.units) whose households a level does
    not reach: id, households, and the sentence a map shows ("120户；距社区党群服务中心超过1000米")."""
    how = "步行" if road_network(scene) else "直线"
    counted = buildings[buildings["reach_base"].to_numpy() > 0]
    missing = {level: counted[column].to_numpy() == 0 for level, column in REACHED.items()}
    out = []
    for i, (building, households) in enumerate(zip(counted["id"], counted["households"], strict=True)):
        far = [
            f"{how}{reach_metres(level, thresholds):,.0f}米内没有{LEVEL_LABEL[level]}"
            for level in REACHED
            if missing[level][i]
        ]
        if far:
            out.append((building, int(households), f"{int(households)}户；" + "，".join(far)))
    return pd.DataFrame(out, columns=["id", "households", "sentence"])
