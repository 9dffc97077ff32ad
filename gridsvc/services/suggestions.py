"""Suggestions for organization departments: joint Party branches for small uncovered units
(domain.md rule 16), from the same coverage as every other figure."""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy import Engine

from gridsvc.analysis.joint_branches import (
    KINDS,
    MAX_UNITS,
    MEMBERS_NEEDED,
    NEIGHBOURS,
    OTHER_KIND_M,
    REACH_M,
    candidate_units,
    suggest_joint_branches,
)
from gridsvc.analysis.scene import Thresholds
from gridsvc.labels import ORG_KIND_LABEL
from gridsvc.services import coverage as coverage_service

METHOD = (
    f"候选：未被党组织覆盖、正式党员少于{MEMBERS_NEEDED}名的两新组织（{'、'.join(ORG_KIND_LABEL[k] for k in KINDS)}）。"
    f"每组不超过{MAX_UNITS}个单位、合计正式党员不少于{MEMBERS_NEEDED}名、每个单位与组内另一单位相距不超过"
    f"{REACH_M:.0f}米、同一社区或相邻社区。先使纳入的单位最多，再使组内两两距离之和最小"
    f"（不同行业的两个单位按多{OTHER_KIND_M:.0f}米计）；在每个单位最近的{NEIGHBOURS}个邻居所成的候选组中求得最优（HiGHS）。"
)


def joint_branches(engine: Engine, area: str, limits: Thresholds | None = None) -> dict:
    """The suggested joint branches of ``area`` (a district, street or community) as JSON-ready data."""
    coverage_service.check_area(area, "联合党支部建议")
    cov = coverage_service.coverage(engine, area, limits=limits)
    scene = cov.scene
    units = candidate_units(scene.organizations, cov.units.organizations)  # the scene holds just the area
    metric = units.assign(geometry=gpd.GeoSeries(list(units["geometry"]), crs=4490).to_crs(scene.crs).to_numpy())
    communities = scene.communities.to_crs(scene.crs)
    found = suggest_joint_branches(metric, communities)
    names = dict(zip(units["id"], units["name"], strict=True))
    return {
        "area": area,
        "units": len(units),
        "groups": found.groups,
        "unplaceable": [{"id": i, "name": names[i]} for i in found.unplaceable],
        "left_out": [{"id": i, "name": names[i]} for i in found.left_out],
        "candidate_groups": found.candidates,
        "optimal": found.optimal,
        "method": METHOD,
    }
