"""Maps as the CLI writes them and the API serves them: data from coverage, drawing from rendering."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from gridsvc.analysis.gaps import object_names
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import STAFF_ROLE_LABEL, no_code
from gridsvc.rendering.common import Basemap
from gridsvc.rendering.grid_map import GridMapData, buildings_frame, grid_map
from gridsvc.rendering.offline import finalize
from gridsvc.repository import read as repo
from gridsvc.services import coverage as coverage_service
from gridsvc.services.access import principal_of
from gridsvc.settings import Settings

CONTEXT_MARGIN_DEG = 0.002  # roads drawn this far around the grid (≈ 200 m)


def basemap_from(settings: Settings, kind: str | None = None) -> Basemap:
    kind = kind or settings.basemap
    if kind not in ("none", "xyz", "tianditu", "amap"):
        raise InvalidInput(f"未知底图 {kind!r}；应为 none、xyz、tianditu 或 amap")
    if kind == "xyz" and not settings.basemap_url:
        raise InvalidInput("xyz 底图需要设置 GRIDSVC_BASEMAP_URL（{z}/{x}/{y} 瓦片地址模板）")
    if kind == "tianditu" and not settings.tianditu_key:
        raise InvalidInput("天地图底图需要密钥：请设置 GRIDSVC_TIANDITU_KEY")
    return Basemap(kind, settings.basemap_url, settings.tianditu_key)


def grid_staff(scene, code: str) -> list[dict]:
    """The staff actively assigned to grid ``code``, leaders first, from the coverage scene."""
    a = scene.active_assignments()
    ids = a.loc[(a["target_type"] == "grid") & (a["target_id"] == code), "staff_id"]
    staff = scene.staff[scene.staff["id"].isin(ids)]
    order = {"grid_leader": 0, "grid_worker": 1}
    rows = staff.assign(_o=staff["role"].map(order).fillna(2)).sort_values(["_o", "id"]).drop(columns="_o")
    return rows.to_dict("records")


def grid_map_html(
    engine: Engine,
    code: str,
    basemap: Basemap,
    inline: bool = True,
    limits: Thresholds | None = None,
    editable: bool = False,
) -> str:
    """The grid leader's map of grid ``code`` as an HTML page; ``editable``: with the forms that
    record fixes (a served page, for a caller who may edit)."""
    with engine.connect() as conn:
        if not repo.grid_exists(conn, code):
            raise NotFound(no_code(code, "current_grid"))
    cov = coverage_service.coverage(engine, code, limits=limits)
    scene = cov.scene
    grid = scene.grids[scene.grids["code"] == code]
    community = scene.communities[scene.communities["code"] == grid["community_code"].iloc[0]]
    buildings = buildings_frame(cov.grid_buildings(code), scene.buildings)
    west, south, east, north = grid.total_bounds
    with engine.connect() as conn:
        roads = repo.roads(
            conn,
            repo.BBox(
                west - CONTEXT_MARGIN_DEG,
                south - CONTEXT_MARGIN_DEG,
                east + CONTEXT_MARGIN_DEG,
                north + CONTEXT_MARGIN_DEG,
            ),
        )
    staff, a = grid_staff(scene, code), scene.active_assignments()
    seen = list(zip(a["staff_id"], a["target_type"], a["target_id"], strict=True))
    principal = principal_of(engine)
    phones = principal.phones([s["id"] for s in staff], [s["phone"] for s in staff], seen)
    active = [s | {"phone": phone} for s, phone in zip(staff, phones, strict=True)]
    buildings = buildings.join(building_people(scene, buildings, lambda ids, ph: principal.phones(ids, ph, seen)))
    gaps = named_gaps(cov.gap_list(code), scene)
    metrics = {k: v for k, v in cov.metrics(code).items() if scene.facility_data or not k.startswith("facility_")}
    data = GridMapData(grid, community, buildings, active, gaps, metrics, roads, scene.generated, scene.osm)
    if scene.facility_data:
        mine = cov.units.buildings["id"].isin(buildings["id"]).to_numpy()
        data.facilities, data.beyond_reach = facility_features(cov, mine, limits or Thresholds())
    if editable:
        data.editable, data.people = True, grid_people(scene, code, buildings)
    return finalize(grid_map(data, basemap).get_root().render(), inline=inline)


def building_people(scene, buildings, phones) -> pd.DataFrame:
    """Per building (indexed like ``buildings``): its Party group, its building leader with phone (as
    ``phones(ids, numbers)`` lets the caller see it) and the branch of its Party grid, by name."""
    orgs = scene.party_orgs.set_index("id")
    scopes = scene.scopes.join(orgs[["name", "kind"]], on="party_org_id")
    groups = scopes[(scopes["target_type"] == "building") & (scopes["kind"] == "group")]
    branches = scopes[(scopes["target_type"] == "grid") & scopes["kind"].isin(["branch", "joint_branch"])]
    a = scene.active_assignments()
    staff = scene.staff.set_index("id")
    held = a[(a["target_type"] == "building") & a["staff_id"].map(staff["role"]).eq("building_leader")]
    held = held.drop_duplicates("target_id")
    numbers = dict(
        zip(
            held["target_id"],
            phones(held["staff_id"].tolist(), held["staff_id"].map(staff["phone"]).tolist()),
            strict=True,
        )
    )
    return pd.DataFrame(
        {
            "group": buildings["id"].map(groups.drop_duplicates("target_id").set_index("target_id")["name"]),
            "leader": buildings["id"].map(held.set_index("target_id")["staff_id"].map(staff["name"])),
            "leader_phone": buildings["id"].map(numbers),
            "branch": buildings["party_grid"].map(branches.drop_duplicates("target_id").set_index("target_id")["name"]),
        },
        index=buildings.index,
    )


def grid_people(scene, code: str, buildings) -> list[list[str]]:
    """[id, name, role label] of the staff working in grid ``code`` or on its buildings, for the forms."""
    a = scene.active_assignments()
    mine = ((a["target_type"] == "grid") & (a["target_id"] == code)) | (
        (a["target_type"] == "building") & a["target_id"].isin(buildings["id"])
    )
    staff = scene.staff[scene.staff["id"].isin(a.loc[mine, "staff_id"])].sort_values(["role", "name"])
    return [
        [i, n, STAFF_ROLE_LABEL.get(r, r)] for i, n, r in zip(staff["id"], staff["name"], staff["role"], strict=True)
    ]


def named_gaps(gaps, scene):
    """The gap list with ``object_name``: how a person finds the building or organization (its name,
    else its address), or the grid's name."""
    return gaps.assign(object_name=object_names(gaps["object_type"], gaps["object_id"], scene))


DEFAULT_METRIC = "building_group_coverage"


def coverage_map_html(
    engine: Engine,
    area: str,
    basemap: Basemap,
    metric: str = DEFAULT_METRIC,
    inline: bool = True,
    tiles_url: str | None = None,
    limits: Thresholds | None = None,
    editable: bool = False,
    joint_branches: bool | None = None,
) -> str:
    """The coverage-gap map of a community, street or district as an HTML page; ``editable``: with the
    forms that record organizations' liaisons and flags (a served page, for a caller who may);
    ``joint_branches``: with the suggested joint branches (default: for a community or a street; a
    district's take seconds)."""
    from gridsvc.analysis.metrics import METRIC_BY_KEY
    from gridsvc.rendering.coverage_map import CoverageMapData, coverage_map, grid_values

    if metric not in METRIC_BY_KEY or METRIC_BY_KEY[metric].grid is None:
        choices = ", ".join(k for k, m in METRIC_BY_KEY.items() if m.grid is not None)
        raise InvalidInput(f"指标 {metric!r}：网格只能按 {choices} 着色")
    cov = coverage_service.coverage(engine, coverage_service.check_area(area, "覆盖地图"), limits=limits)
    scene = cov.scene
    grids = grid_values(scene.grids, cov.figures["grid"], metric)
    data = CoverageMapData(
        cov.tree(area)["area"],
        cov.metrics(area),
        metric,
        grids,
        scene.communities,
        named_gaps(cov.gap_list(area), scene),
        scene.generated,
        scene.osm,
        tiles_url,
    )
    if scene.facility_data:
        inside = cov.units.buildings["community"].fillna("").str.startswith(area).to_numpy()
        data.facilities, data.beyond_reach = facility_features(cov, inside, limits or Thresholds())
    if joint_branches if joint_branches is not None else data.area["level"] != "district":
        data.joint_branches = joint_branch_features(engine, area, scene, limits)
    if editable:
        liaisons = scene.staff[scene.staff["role"] == "liaison"].sort_values("name")
        data.editable = True
        data.people = [
            [i, n, STAFF_ROLE_LABEL["liaison"], "liaison"]
            for i, n in zip(liaisons["id"], liaisons["name"], strict=True)
        ]
    return finalize(coverage_map(data, basemap).get_root().render(), inline=inline)


def facility_features(cov, mine, limits: Thresholds):
    """The service facilities around the scene (name and level in one line) and the buildings beyond
    reach of a level among ``mine`` (a mask over the unit table; footprints with the sentence the map
    shows), as map frames."""
    import geopandas as gpd

    from gridsvc.analysis.facilities import LEVEL_LABEL, beyond_reach

    scene = cov.scene
    f = scene.facilities
    facilities = gpd.GeoDataFrame(
        {
            "gs_kind": "facility",
            "level": f["level"].to_numpy(),
            "设施": [
                f"{name or i}（{LEVEL_LABEL.get(level, level)}）"
                for i, name, level in zip(f["id"], f["name"], f["level"], strict=True)
            ],
        },
        geometry=f.geometry.values,
        crs=4490,
    )
    units = cov.units.buildings
    far = beyond_reach(scene, units[mine], limits)
    names = dict(zip(far["id"], object_names(["building"] * len(far), far["id"], scene), strict=True))
    footprints = scene.buildings.set_index("id").geometry.reindex(far["id"])
    beyond = gpd.GeoDataFrame(
        {
            "gs_kind": "beyond_reach",
            "可达": [f"{names[i]}：{t}" for i, t in zip(far["id"], far["sentence"], strict=True)],
        },
        geometry=footprints.values,
        crs=4490,
    )
    return facilities, beyond


def joint_branch_features(engine: Engine, area: str, scene, limits: Thresholds | None):
    """The suggested joint branches of ``area`` as map features: per group, lines from its centre to
    its units; per unit no valid group can take, its point; each with the sentence its popup shows."""
    import geopandas as gpd
    import shapely

    from gridsvc.services import suggestions

    found = suggestions.joint_branches(engine, area, limits)
    at = dict(zip(scene.organizations["id"], scene.organizations.geometry, strict=True))
    rows = []
    for n, g in enumerate(found["groups"], start=1):
        points = [at[u] for u in g["units"]]
        centre = shapely.centroid(shapely.MultiPoint(points))
        text = (
            f"联合党支部建议{n}：{'、'.join(x or u for x, u in zip(g['names'], g['units'], strict=True))}；"
            f"正式党员{g['members']}名；组内两两距离之和{g['distance_m']:,.0f}米"
        )
        rows.append(("joint_branch", text, shapely.MultiLineString([[centre, p] for p in points])))
    for u in found["unplaceable"]:
        rows.append(("no_joint_branch", f"{u['name'] or u['id']}：附近没有可共建联合党支部的单位", at[u["id"]]))
    return gpd.GeoDataFrame(rows, columns=["kind", "建议", "geometry"], geometry="geometry", crs=4490)


def alignment_map_html(
    engine: Engine, community: str, basemap: Basemap, inline: bool = True, limits: Thresholds | None = None
) -> str:
    """The two layers of ``community`` over each other, as an HTML page."""
    from gridsvc.rendering.alignment_map import AlignmentMapData, alignment_map

    cov = coverage_service.coverage(engine, coverage_service.check_community(community), limits=limits)
    result = cov.alignment(community)
    scene = cov.scene
    inside = cov.units.buildings["community"] == community
    buildings = scene.buildings[inside.to_numpy()][["id", "name", "address", "geometry"]]
    data = AlignmentMapData(
        scene.communities[scene.communities["code"] == community],
        scene.grids[scene.grids["community_code"] == community],
        buildings,
        result.as_json(),
        scene.generated,
        scene.osm,
    )
    return finalize(alignment_map(data, basemap).get_root().render(), inline=inline)


def plan_map_html(
    engine: Engine,
    plan_id: str | int,
    basemap: Basemap,
    inline: bool = True,
    limits: Thresholds | None = None,
    editable: bool = False,
) -> str:
    """The plan map of plan ``plan_id`` as an HTML page: the plan over today's layers, with its
    buildings that change grid, its problems and its scores."""
    import geopandas as gpd

    from gridsvc.rendering.plan_map import PlanMapData, plan_map
    from gridsvc.services import plans
    from gridsvc.services.plan_scores import score_rows

    limits = limits or Thresholds()
    checked = plans.validate(engine, _plan_id(plan_id), limits)
    plan, before, after = checked.plan, checked.before, checked.after
    communities = list(plan["communities"])
    scene = before.scene
    live = scene.grids[scene.grids["community_code"].isin(communities)]
    planned = after.scene.grids[
        (after.scene.grids["source"] == "plan") & after.scene.grids["community_code"].isin(communities)
    ]
    side = after.units.staff_grids if plan["layer"] == "governance" else after.units.party_grids
    households = dict(zip(side["grid"], side["households"], strict=True))
    planned = planned.assign(households=[int(households.get(c, 0)) for c in planned["code"]])
    names = dict(zip(live["code"], live["name"], strict=True)) | dict(
        zip(planned["code"], planned["name"], strict=True)
    )
    changes = {b["building_id"]: _change(b, names) for b in checked.diff()["buildings"]}
    inside = before.units.buildings["community"].isin(communities).to_numpy()
    buildings = scene.buildings[inside][["id", "name", "address", "geometry"]]
    buildings = buildings.assign(change=[changes.get(i) for i in buildings["id"]])
    problems = gpd.GeoDataFrame(
        [{k: p.get(k) for k in ("rule", "severity", "message", "grid")} for p in checked.problems],
        columns=["rule", "severity", "message", "grid"],
        geometry=gpd.GeoSeries([p["geometry"] for p in checked.problems], crs=scene.crs).to_crs(4490),
    )
    data = PlanMapData(
        {k: plan[k] for k in ("id", "name", "layer", "status")},
        scene.communities[scene.communities["code"].isin(communities)],
        live,
        planned,
        buildings,
        problems,
        score_rows(checked, limits),
        limits,
        scene.generated,
        scene.osm,
        editable,
    )
    return finalize(plan_map(data, basemap).get_root().render(), inline=inline)


def _plan_id(plan_id: str | int) -> int:
    try:
        return int(plan_id)
    except ValueError:
        raise InvalidInput(f"{plan_id!r} 不是方案编号（应为整数）") from None


def _change(building: dict, names: dict) -> str:
    """'党建网格 P2（…002）→ G1（…003）；10户' for a building of the plan's diff."""
    from gridsvc.textual import grid_name

    def grid(code):
        return "无" if code is None else grid_name(code, names.get(code))

    moves = [
        f"{word}网格 {grid(old)} → {grid(new)}"
        for word, (old, new) in (("党建", building["party"]), ("治理", building["governance"]))
        if old != new
    ]
    return "；".join(moves) + f"；{building['households']}户"
