"""Generated Party organizations, organizations (两新组织/驻区单位) and staff, with planted gaps."""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.demo.overlay import Plants
from gridsvc.demo.people import org_name, person_name, phone

ORG_KINDS = ["enterprise", "enterprise", "enterprise", "social_org", "office_building", "market", "public_unit", "park"]
ORG_MEMBERS = [0, 0, 1, 1, 2, 2, 3, 4, 5, 7, 12]
START = dt.date(2023, 3, 1)


@dataclass
class Rows:
    """Rows of the attribute layers as they are built."""

    party_orgs: list[dict] = field(default_factory=list)
    scopes: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)

    def party_org(self, id_, name, kind, parent=None, members=None, *, targets=(), own=None):
        self.party_orgs.append(
            {
                "id": id_,
                "name": name,
                "kind": kind,
                "parent_id": parent,
                "full_members": members,
                "probationary_members": None,
                "founded": None,
                "has_committee": False,
            }
        )
        for target_type, target_id in targets:
            self.scopes.append(
                {
                    "party_org_id": id_,
                    "target_type": target_type,
                    "target_id": target_id,
                    "own": own if target_type == "organization" else None,
                }
            )

    def person(self, id_, role, rng, *, fulltime=None, target=None, start=START, end=None):
        self.staff.append(
            {"id": id_, "name": person_name(rng), "role": role, "fulltime": fulltime, "phone": phone(rng)}
        )
        if target is not None:
            self.assignments.append(
                {
                    "staff_id": id_,
                    "target_type": target[0],
                    "target_id": target[1],
                    "start_date": start,
                    "end_date": end,
                }
            )


def party_structure(
    rows: Rows,
    communities: pd.DataFrame,
    grids: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    plants: Plants,
    rng: np.random.Generator,
) -> None:
    """Street working committees, community committees, grid branches and building groups."""
    for street, names in communities.groupby("street_code", sort=True):
        rows.party_org(f"po-{street}", f"{names['street_name'].iloc[0]}街道党工委", "committee")
        for _, c in names.iterrows():
            rows.party_org(
                f"po-{c['code']}",
                f"{c['name'].removesuffix('社区')}社区党委",
                "committee",
                f"po-{street}",
                targets=[("community", c["code"])],
            )
    party_side = grids[grids["layer"].isin(["party", "unified"])]
    skip_branch = {_nth(party_side, communities, 4, 1), _nth(party_side, communities, 8, 0)}
    for _, g in party_side.iterrows():
        if g["code"] in skip_branch:
            plants.add("no_grid_branch", g["code"], "该党建网格未建网格党支部")
            continue
        rows.party_org(
            f"po-{g['code']}",
            f"{g['name']}党支部",
            "branch",
            f"po-{g['community_code']}",
            targets=[("grid", g["code"])],
        )
    _building_groups(rows, party_side, buildings, communities, plants, rng)


def _nth(grids: pd.DataFrame, communities: pd.DataFrame, community_index: int, n: int) -> str | None:
    if community_index >= len(communities):
        return None
    mine = grids[grids["community_code"] == communities["code"].iloc[community_index]]
    return mine["code"].iloc[min(n, len(mine) - 1)] if len(mine) else None


def _building_groups(rows, party_side, buildings, communities, plants, rng) -> None:
    eligible = buildings[
        (buildings["use"] == "residential") & (buildings["full_members"] >= 3) & buildings["party_grid"].notna()
    ]
    sparse = set(communities["code"].iloc[[5, 9]]) if len(communities) > 9 else set()
    branches = {r["id"] for r in rows.party_orgs if r["kind"] == "branch"}
    for grid_code, group in eligible.groupby("party_grid", sort=True):
        ids = group.sort_values("x")["id"].tolist()
        community = grid_code[:12]
        skip_rate = 0.45 if community in sparse else 0.04
        kept = [b for b in ids if rng.random() >= skip_rate]
        for b in sorted(set(ids) - set(kept)):
            plants.add("building_group_missing", b, "党员3名以上的楼栋未建楼栋党小组")
        parent = f"po-{grid_code}" if f"po-{grid_code}" in branches else f"po-{community}"
        homes = buildings[(buildings["use"] == "residential") & (buildings["party_grid"] == grid_code)]
        for n, members in enumerate(_with_neighbours(kept, homes.set_index("id")[["x", "y"]])):
            rows.party_org(
                f"po-{grid_code}-g{n + 1}",
                f"第{n + 1}楼栋党小组",
                "group",
                parent,
                targets=[("building", b) for b in members],
            )


def _with_neighbours(ids: list[str], homes: pd.DataFrame, reach_m: float = 60.0) -> list[list[str]]:
    """Building groups (楼栋党小组): each building, west to east, with its nearest residential
    neighbour not yet in a group (when one stands within ``reach_m``)."""
    taken: set[str] = set()
    groups = []
    for b in ids:
        if b in taken:
            continue
        free = homes.drop(index=[b, *taken], errors="ignore")
        gaps = np.hypot(*(free.to_numpy() - homes.loc[b].to_numpy()).T)
        members = [b] if not len(free) or gaps.min() > reach_m else [b, free.index[int(gaps.argmin())]]
        taken.update(members)
        groups.append(members)
    return groups


def organizations(
    rows: Rows, communities: pd.DataFrame, buildings: gpd.GeoDataFrame, plants: Plants, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """两新组织 and resident units, with their own or joint Party organizations, or none."""
    records = []
    for ci, code in enumerate(communities["code"]):
        here = buildings[buildings["community"] == code]
        hosts = here[here["use"] != "residential"]
        hosts = hosts if len(hosts) else here
        for n in range(int(rng.integers(6, 10))):
            host = hosts.iloc[int(rng.integers(0, len(hosts)))]
            kind = str(rng.choice(ORG_KINDS))
            records.append(
                {
                    "id": f"demo-org-{code}-{n + 1:02d}",
                    "name": org_name(kind, rng),
                    "kind": kind,
                    "employees": int(rng.integers(8, 300)),
                    "full_members": int(rng.choice(ORG_MEMBERS)),
                    "has_union": bool(rng.random() < 0.3),
                    "has_youth_league": bool(rng.random() < 0.12),
                    "building_id": host["id"],
                    "community": code,
                    "community_index": ci,
                    "geometry": shapely.Point(host["x"], host["y"]),
                }
            )
    orgs = gpd.GeoDataFrame(records, geometry="geometry", crs=buildings.crs)
    for code, group in orgs.groupby("community", sort=True):
        _org_party(rows, code, group, plants, rng)
    return orgs.drop(columns=["community", "community_index"])


def committees(rows: Rows, plants: Plants) -> None:
    """Rule 14 (domain.md §8.3): every branch with 7 full members or more has a branch committee,
    but the first of them (by id), planted without."""
    big = sorted(
        (r for r in rows.party_orgs if r["kind"] in ("branch", "joint_branch") and (r["full_members"] or 0) >= 7),
        key=lambda r: r["id"],
    )
    for n, r in enumerate(big):
        r["has_committee"] = n > 0
    if big:
        plants.add("branch_needs_committee", big[0]["id"], "正式党员7名以上的党支部未设支部委员会")


def oversized_and_short(rows: Rows, plants: Plants) -> None:
    """Rule 14 and 15 (domain.md §8.3): the branch with the most full members (the first by id among
    equals) has probationary members enough to pass 50 (planted ``branch_too_large``); the first joint
    branch records 2 full members, short of 3 (planted ``joint_branch_invalid``)."""
    branches = [r for r in rows.party_orgs if r["kind"] == "branch" and r["full_members"]]
    joint = sorted((r for r in rows.party_orgs if r["kind"] == "joint_branch"), key=lambda r: r["id"])
    if branches:
        big = min(branches, key=lambda r: (-r["full_members"], r["id"]))
        big["probationary_members"] = max(0, 51 - big["full_members"])
        plants.add("branch_too_large", big["id"], "党支部党员超过50名（含预备党员）")
    if joint:
        joint[0]["full_members"] = 2
        plants.add("joint_branch_invalid", joint[0]["id"], "联合党支部正式党员不足3名")


def misplaced_parent(rows: Rows, communities: pd.DataFrame, plants: Plants) -> None:
    """Rule 13 (属地管理, domain.md §8.3): one organization's branch in the sixth community is placed
    under the fifth community's Party committee."""
    if len(communities) < 6:
        return
    here, there = communities["code"].iloc[5], communities["code"].iloc[4]
    for r in rows.party_orgs:
        if r["id"].startswith(f"po-demo-org-{here}-") and r["kind"] == "branch":
            r["parent_id"] = f"po-{there}"
            plants.add("parent_outside_area", r["id"], "组织党支部隶属于另一个社区的党委")
            return


def _org_party(rows: Rows, community: str, orgs: pd.DataFrame, plants: Plants, rng) -> None:
    big = orgs[orgs["full_members"] >= 3]
    small = orgs[orgs["full_members"] < 3]
    ci = int(orgs["community_index"].iloc[0])
    for n, (_, o) in enumerate(big.iterrows()):
        if n == 0 and ci in (2, 7):
            plants.add("org_should_build", o["id"], "党员3名以上的组织未单独建立党组织")
            continue
        rows.party_org(
            f"po-{o['id']}",
            f"{o['name']}党支部",
            "branch",
            f"po-{community}",
            o["full_members"],
            targets=[("organization", o["id"])],
            own=True,
        )
    left_out = small.iloc[:2] if ci in (3, 8) else small.iloc[:0]
    joined = small.drop(left_out.index)
    for n, start in enumerate(range(0, len(joined), 5)):
        members = joined.iloc[start : start + 5]
        rows.party_org(
            f"po-{community}-j{n + 1}",
            f"第{n + 1}联合党支部",
            "joint_branch",
            f"po-{community}",
            int(members["full_members"].sum()),
            targets=[("organization", i) for i in members["id"]],
            own=False,
        )
    for k, (_, o) in enumerate(left_out.iterrows()):
        if k == 0:
            rows.person(f"demo-s-{o['id']}-li", "liaison", rng, fulltime=False, target=("organization", o["id"]))
        elif not (o["has_union"] or o["has_youth_league"]):
            plants.add("org_no_work_coverage", o["id"], "组织无党组织、无党建指导员、无工会和团组织")


def staff(
    rows: Rows,
    communities: pd.DataFrame,
    grids: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    plants: Plants,
    rng: np.random.Generator,
) -> None:
    """Grid leaders and workers for every staff-side grid, building leaders, planted gaps."""
    side = grids[grids["layer"].isin(["governance", "unified"])]
    special = {
        "no_grid_leader": _nth(side, communities, 3, 1),
        "multiple_grid_leaders": _nth(side, communities, 7, 0),
        "ended_leader": _nth(side, communities, 9, 0),
        "no_grid_worker": _nth(side, communities, 10, 0),
        "no_fulltime_worker": _nth(side, communities, 11, 1),
        "future_end": _nth(side, communities, 1, 0),
        "understaffed": communities["code"].iloc[4] if len(communities) > 4 else None,
    }
    households = buildings.groupby("staff_grid")["households"].sum()
    for _, g in side.iterrows():
        _grid_staff(rows, g["code"], int(households.get(g["code"], 0)), special, plants, rng)
    no_leaders = {c for c in [_nth(side, communities, 5, 1)] if c}
    residential = buildings[(buildings["use"] == "residential") & buildings["staff_grid"].notna()]
    for _, b in residential.iterrows():
        if b["staff_grid"] in no_leaders or rng.random() < 0.04:
            plants.add("no_building_leader", b["id"], "住宅楼栋没有在岗楼栋长")
            continue
        rows.person(
            f"demo-s-{b['id']}-bl",
            "building_leader",
            rng,
            fulltime=False,
            target=("building", b["id"]),
            start=_appointed(b["id"]),
        )


def _appointed(building_id: str) -> dt.date:
    """When a building's leader took office: spread over 2025-01 to 2026-09, so that coverage as of
    earlier dates (back-dated snapshots, the report's trend) rises as they were appointed. Drawn from
    the id, not the random generator, so the rest of the demo stays as it was."""
    return dt.date(2025, 1, 1) + dt.timedelta(days=zlib.crc32(building_id.encode()) % 638)


def _grid_staff(rows: Rows, code: str, households: int, special: dict, plants: Plants, rng) -> None:
    grid = ("grid", code)
    if code == special["no_grid_leader"]:
        plants.add("no_grid_leader", code, "网格没有网格长")
    elif code == special["ended_leader"]:
        rows.person(f"demo-s-{code}-l", "grid_leader", rng, fulltime=True, target=grid, end=dt.date(2025, 6, 30))
        plants.add("no_grid_leader", code, "原网格长已于2025-06-30离任，尚无接任")
    else:
        rows.person(f"demo-s-{code}-l", "grid_leader", rng, fulltime=True, target=grid)
    if code == special["multiple_grid_leaders"]:
        rows.person(f"demo-s-{code}-l2", "grid_leader", rng, fulltime=True, target=grid, start=dt.date(2024, 9, 1))
        plants.add("multiple_grid_leaders", code, "网格同时有两名在岗网格长")
    if code == special["no_grid_worker"]:
        plants.add("no_grid_worker", code, "网格没有网格员")
        return
    if code == special["no_fulltime_worker"]:
        rows.person(f"demo-s-{code}-w1", "grid_worker", rng, fulltime=False, target=grid)
        plants.add("no_fulltime_worker", code, "网格只有兼职网格员")
        return
    understaffed = special["understaffed"] is not None and code.startswith(special["understaffed"])
    workers = 1 if understaffed else max(1, math.ceil(households / 500))
    if households > 500 and workers == 1:
        plants.add("worker_overloaded", code, f"一名专职网格员服务{households}户，超过500户")
    end = dt.date(2027, 12, 31) if code == special["future_end"] else None
    for n in range(workers):
        rows.person(f"demo-s-{code}-w{n + 1}", "grid_worker", rng, fulltime=True, target=grid, end=end)
    if rng.random() < 0.4:
        rows.person(f"demo-s-{code}-w{workers + 1}", "grid_worker", rng, fulltime=False, target=grid)
