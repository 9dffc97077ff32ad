"""Unit tables: one row per building, organization, Party-side grid and staff-side grid, with the
facts the rules of domain.md §4 ask about each. Every metric and every gap is read off these.

Each row names its ``community`` and its grid(s), so any level's figure is a group-by sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridsvc.analysis.assignment import assign_buildings, assign_to_polygons
from gridsvc.analysis.cobuilding import cobuilding
from gridsvc.analysis.facilities import REACHED, within_reach
from gridsvc.analysis.scene import PARTY_SIDE, SIDES, STAFF_SIDE, Scene, Thresholds, counts, flags, text

# domain.md rule 8: which Party organizations cover a building they name in their scope
BUILDING_COVERING_KINDS = ("group", "branch", "joint_branch")
# rule 9: the kinds that count as a grid's branch
GRID_BRANCH_KINDS = ("branch", "general_branch")


@dataclass
class Units:
    buildings: pd.DataFrame
    organizations: pd.DataFrame
    party_grids: pd.DataFrame
    staff_grids: pd.DataFrame


def _code_at(codes: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The code of the polygon each point lies in (``where`` from assign_to_polygons; None: in none),
    also when there are no polygons at all (a scope without Party-layer grids)."""
    out = np.full(len(where), None, dtype=object)
    inside = where >= 0
    out[inside] = codes[where[inside]]
    return out


def building_units(scene: Scene, thresholds: Thresholds) -> pd.DataFrame:
    """Per building: community, grid and split flag per side, and the Party/staff facts."""
    b = scene.buildings
    rep = b["rep_point"].to_numpy()
    communities = scene.communities
    where = assign_to_polygons(rep, communities.geometry.values)
    out = pd.DataFrame(
        {
            "id": text(b["id"].to_numpy()),
            "community": text(_code_at(communities["code"].to_numpy(), where)),
        }
    )
    grids = scene.grids
    for side, layers in SIDES.items():
        mask = grids["layer"].isin(layers).to_numpy()
        codes, split = assign_buildings(
            rep,
            b.geometry.values.to_numpy(),
            grids["code"].to_numpy()[mask],
            grids.geometry.values.to_numpy()[mask],
            thresholds.split_fraction,
        )
        out[f"{side}_grid"], out[f"{side}_split"] = text(codes), split
        out[f"{side}_unassigned"] = pd.isna(codes)
    residential = (b["use"] == "residential").to_numpy()
    members = b["full_members"].fillna(0).to_numpy(dtype=int)
    ids = pd.Index(b["id"].to_numpy(dtype=object))  # one hash table of the ids, for both lookups below
    covered = _at_ids(ids, pd.Series(True, index=_covered_building_ids(scene)), False).astype(bool)
    out["residential"] = residential
    out["households"] = b["households"].fillna(0).to_numpy(dtype=int)
    out["full_members"] = np.where(residential, members, 0)
    out["eligible"] = residential & (members >= thresholds.building_group_min_members)
    out["covered"] = covered
    out["eligible_covered"] = out["eligible"] & covered
    out["covered_members"] = np.where(covered, out["full_members"], 0)
    leaders = _assigned(scene, "building_leader", "building")
    out["building_leaders"] = _at_ids(ids, leaders, 0).astype(int)
    out["has_leader"] = residential & (out["building_leaders"] > 0)
    # §8.1: in-service members living here, and those of them registered with the community
    out["in_service_members"] = counts(b, "in_service_members")
    out["in_service_registered"] = np.minimum(counts(b, "in_service_registered"), out["in_service_members"])
    # households within reach of a service facility (§8.4), counted only where facilities are held
    out["reach_base"] = out["households"] if scene.facility_data else 0
    for level, column in REACHED.items():
        out[column] = np.where(within_reach(scene, thresholds, level), out["reach_base"], 0)
    return out


def _at_ids(ids: pd.Index, values: pd.Series, missing) -> np.ndarray:
    """``values`` (by id) at each of ``ids``, ``missing`` where an id has none: as ``map``, through
    the ids' own hash table (``map`` built one of the values' index and probed it with 200,000 ids)."""
    if not ids.is_unique:  # a hand-made table may repeat an id
        return pd.Series(ids).map(values).fillna(missing).to_numpy()
    out = np.full(len(ids), missing, dtype=object if values.dtype == object else values.dtype)
    at = ids.get_indexer(values.index)
    out[at[at >= 0]] = values.to_numpy()[at >= 0]
    return out


def _covered_building_ids(scene: Scene) -> np.ndarray:
    """The buildings a Party group or building-level organization is scoped to (each id once)."""
    covering = scene.party_orgs.loc[scene.party_orgs["kind"].isin(BUILDING_COVERING_KINDS), "id"]
    s = scene.scopes
    mine = (s["target_type"].to_numpy(dtype=object) == "building") & s["party_org_id"].isin(covering).to_numpy()
    return pd.unique(s["target_id"].to_numpy(dtype=object)[mine])


def _assigned(scene: Scene, role: str, target_type: str, fulltime: bool | None = None) -> pd.Series:
    """How many active staff of ``role`` each target has."""
    a = scene.active_roles()
    mine = (a["role"] == role).to_numpy() & (a["target_type"] == target_type).to_numpy()
    if fulltime is not None:
        mine &= a["fulltime"].to_numpy() == fulltime
    # distinct (staff, target) pairs counted per target, on integer codes (a city's assignments:
    # hashing the pairs of strings took 0.25 s a role)
    staff, _ = pd.factorize(a["staff_id"].to_numpy(dtype=object)[mine], use_na_sentinel=False)
    target, targets = pd.factorize(a["target_id"].to_numpy(dtype=object)[mine])  # no target: not counted
    width = len(staff) + 1
    pairs = np.unique(target[target >= 0].astype(np.int64) * width + staff[target >= 0])
    per_target = np.bincount(pairs // width, minlength=len(targets))
    return pd.Series(per_target, index=pd.Index(targets, name="target_id"))


# domain.md §8.1/8.2: resident units (驻区单位) are counted under registration and co-building, not in
# the 两新 figures; the 两新 figures are also reported per sector (non-public enterprises, social organizations)
RESIDENT_KINDS = ("public_unit",)
SECTORS = ("enterprise", "social_org")
# the unit-table columns each organization metric counts, per sector (``column@sector``; ``@two_new``: all 两新)
SECTOR_COLUMNS = ("one", "should_build", "should_build_own", "own", "party_covered", "work_covered")
# §8.2: a Party organization scoped to a building that is not residential (楼宇党组织) covers the
# organizations located in it; a Party group does not
TENANT_COVERING_KINDS = ("committee", "general_branch", "branch", "joint_branch")


def organization_units(scene: Scene, thresholds: Thresholds) -> pd.DataFrame:
    """Per organization: community, Party-side grid, own/joint Party organization, work coverage,
    and whether it is a resident unit (not 两新) or of a sector (``…@enterprise``, ``…@social_org``)."""
    o = scene.organizations
    points = o.geometry.values
    where = assign_to_polygons(points, scene.communities.geometry.values)
    party = scene.grids[scene.grids["layer"].isin(PARTY_SIDE)]
    in_grid = assign_to_polygons(points, party.geometry.values)
    own, joint = _org_party(scene)
    out = pd.DataFrame(
        {
            "id": text(o["id"].to_numpy()),
            "community": text(_code_at(scene.communities["code"].to_numpy(), where)),
            "party_grid": text(_code_at(party["code"].to_numpy(), in_grid)),
            "full_members": o["full_members"].fillna(0).to_numpy(dtype=int),
            "one": 1,
        }
    )
    out["should_build"] = out["full_members"] >= thresholds.org_should_build_members
    out["own"] = out["id"].isin(own)
    out["joint"] = out["id"].isin(joint) & ~out["own"]
    out["should_build_own"] = out["should_build"] & out["own"]
    out["party_covered"] = out["own"] | out["joint"]
    liaison = _assigned(scene, "liaison", "organization")
    out["liaisons"] = out["id"].map(liaison).fillna(0).astype(int).to_numpy()
    union = o["has_union"].fillna(False).astype(bool).to_numpy()
    league = o["has_youth_league"].fillna(False).astype(bool).to_numpy()
    out["work_covered"] = out["party_covered"] | (out["liaisons"] > 0) | union | league
    kind = o["kind"].to_numpy(dtype=object)
    resident = flags(o, "resident_unit") | np.isin(kind, RESIDENT_KINDS)
    out["resident_unit"] = resident
    masks = {"two_new": ~resident} | {sector: (kind == sector) & ~resident for sector in SECTORS}
    for sector, mask in masks.items():
        for column in SECTOR_COLUMNS:
            out[f"{column}@{sector}"] = out[column].to_numpy() & mask
    _registration(scene, out)
    cobuilding(scene, out)
    return out


def _registration(scene: Scene, out: pd.DataFrame) -> None:
    """§8.1: a resident unit with its own Party organization should register with the community it
    stands in; judged only where registrations are held at all."""
    r = scene.registrations
    out["registrable"] = out["resident_unit"] & out["own"] & scene.registration_data
    home = set(zip(r["organization_id"], r["community_code"], strict=True))
    anywhere = set(r["organization_id"])
    here = np.array([(i, c) in home for i, c in zip(out["id"], out["community"], strict=True)], dtype=bool)
    out["registered_home"] = out["registrable"] & here
    out["registered_elsewhere"] = out["registrable"] & ~here & out["id"].isin(anywhere).to_numpy()


def _org_party(scene: Scene) -> tuple[set[str], set[str]]:
    """Organizations with their own Party organization, and those in a joint one.

    ``own`` in the scope decides; where it is empty, a joint branch is joint and anything else own.
    """
    s = scene.scopes[scene.scopes["target_type"] == "organization"]
    kind_of = scene.party_orgs.set_index("id")["kind"]
    kinds = s["party_org_id"].map(kind_of)
    own_flag = s["own"].astype("boolean")
    is_own = own_flag.fillna(kinds != "joint_branch").astype(bool)
    return set(s.loc[is_own, "target_id"]), set(s.loc[~is_own, "target_id"]) | _tenants_covered(scene, kind_of)


def _tenants_covered(scene: Scene, kind_of: pd.Series) -> set[str]:
    """§8.2: the organizations located in a non-residential building (``building_id``) that a Party
    organization (not a group) names in its scope: a 楼宇党组织 covers its tenants, jointly."""
    o = scene.organizations
    if "building_id" not in o.columns or o["building_id"].isna().all():
        return set()
    s = scene.scopes[scene.scopes["target_type"] == "building"]
    s = s[s["party_org_id"].map(kind_of).isin(TENANT_COVERING_KINDS).to_numpy()]
    b = scene.buildings
    offices = set(b.loc[b["id"].isin(set(s["target_id"])).to_numpy() & (b["use"] != "residential").to_numpy(), "id"])
    return set(o.loc[o["building_id"].isin(offices).to_numpy(), "id"])


def party_grid_units(scene: Scene, buildings: pd.DataFrame) -> pd.DataFrame:
    """Per Party-side grid: how many grid branches name it, and its households."""
    grids = scene.grids[scene.grids["layer"].isin(PARTY_SIDE)]
    branches = scene.party_orgs.loc[scene.party_orgs["kind"].isin(GRID_BRANCH_KINDS), "id"]
    s = scene.scopes
    named = s[(s["target_type"] == "grid") & s["party_org_id"].isin(branches)].groupby("target_id").size()
    households = buildings.groupby("party_grid")["households"].sum()
    out = pd.DataFrame(
        {
            "grid": text(grids["code"].to_numpy()),
            "community": text(grids["community_code"].to_numpy()),
            "layer": text(grids["layer"].to_numpy()),
            "one": 1,
        }
    )
    out["branches"] = out["grid"].map(named).fillna(0).astype(int)
    out["has_branch"] = out["branches"] > 0
    out["households"] = out["grid"].map(households).fillna(0).astype(int)
    return out


def staff_grid_units(scene: Scene, buildings: pd.DataFrame) -> pd.DataFrame:
    """Per staff-side grid: active leaders, workers, full-time workers, households."""
    grids = scene.grids[scene.grids["layer"].isin(STAFF_SIDE)]
    households = buildings.groupby("governance_grid")["households"].sum()
    out = pd.DataFrame(
        {
            "grid": text(grids["code"].to_numpy()),
            "community": text(grids["community_code"].to_numpy()),
            "layer": text(grids["layer"].to_numpy()),
            "one": 1,
            "urban": grids["urban"].fillna(True).astype(bool).to_numpy(),
        }
    )
    for column, role, fulltime in (
        ("leaders", "grid_leader", None),
        ("workers", "grid_worker", None),
        ("fulltime_workers", "grid_worker", True),
    ):
        out[column] = out["grid"].map(_assigned(scene, role, "grid", fulltime)).fillna(0).astype(int)
    out["one_leader"] = out["leaders"] == 1
    out["has_worker"] = out["workers"] > 0
    out["households"] = out["grid"].map(households).fillna(0).astype(int)
    return out
