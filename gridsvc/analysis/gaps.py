"""The typed gap list: one row per gap, with a sentence a grid leader understands.

Each kind's severity and wording are defined here once; the rows are read off the unit tables
and the topology records, so a gap and the metric it lowers always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridsvc.analysis.scene import LAYER_WORD, Scene, Thresholds, place_names, text
from gridsvc.analysis.units import Units

SIDE_LABEL = LAYER_WORD | {None: ""}
SEVERITY_LABEL = {"high": "高", "medium": "中", "low": "低"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class GapKind:
    kind: str
    severity: str
    label: str
    object_type: str  # building, grid, community, organization, party_org, item (a co-building list's), area
    action: str = ""  # what to do about it, as a to-do list and a report say it


GAP_KINDS: tuple[GapKind, ...] = (
    GapKind("building_no_grid", "high", "楼栋不在网格内", "building", "把楼栋划入网格"),
    GapKind("grid_gap_area", "medium", "网格空白区域", "community", "调整网格边界，补上空白"),
    GapKind("grid_overlap", "medium", "网格重叠", "grid", "调整网格边界，消除重叠"),
    GapKind("grid_outside_community", "medium", "网格超出社区边界", "grid", "把网格收回社区界内"),
    GapKind("bad_grid_code", "high", "网格编码不规范", "grid", "按规范重新编码"),
    GapKind("split_building", "low", "楼栋被网格线切分", "building", "调整网格线，不切分楼栋"),
    GapKind("household_band", "low", "网格户数超出标准", "grid", "调整网格规模（300–500户）"),
    GapKind("no_grid_branch", "high", "网格未建党支部", "grid", "在网格建立党支部"),
    GapKind("multiple_grid_branches", "medium", "网格有多个党支部", "grid", "明确一个网格党支部"),
    GapKind(
        "left_on_closed_grid", "high", "党组织或人员仍在已撤销网格", "grid", "确定原网格的去向，党组织和人员随之迁移"
    ),
    GapKind("building_group_missing", "medium", "楼栋党小组应建未建", "building", "组建楼栋党小组"),
    GapKind("org_should_build", "high", "组织应建未建党组织", "organization", "指导组织建立党组织"),
    GapKind("org_no_work_coverage", "high", "组织工作未覆盖", "organization", "选派党建指导员"),
    GapKind("unit_not_registered", "medium", "驻区单位党组织未到社区报到", "organization", "督促到所在社区报到"),
    GapKind("unit_registered_elsewhere", "medium", "驻区单位党组织报到社区有误", "organization", "改到所在社区报到"),
    GapKind("need_unmet", "medium", "共建需求超过90天未认领", "item", "对接驻区单位资源，认领需求"),
    GapKind("no_unit_seat", "low", "社区党组织无驻区单位兼职委员", "community", "吸收驻区单位党组织负责人任兼职委员"),
    GapKind("joint_branch_invalid", "medium", "联合党支部不符合条件", "party_org", "调整联合党支部的组成"),
    GapKind("branch_too_large", "low", "党支部党员超过50名", "party_org", "分设党支部或升格为党总支"),
    GapKind("branch_needs_committee", "low", "党支部应设支委会未设", "party_org", "选举产生支部委员会"),
    GapKind("parent_outside_area", "low", "上级党组织不在属地", "party_org", "按属地调整隶属关系"),
    GapKind("no_grid_leader", "high", "网格无网格长", "grid", "配备网格长"),
    GapKind("multiple_grid_leaders", "medium", "网格有多名网格长", "grid", "明确一名网格长"),
    GapKind("no_grid_worker", "high", "网格无网格员", "grid", "配备网格员"),
    GapKind("no_fulltime_worker", "medium", "网格无专职网格员", "grid", "配备专职网格员"),
    GapKind("worker_overloaded", "medium", "专职网格员服务户数超标", "grid", "增配专职网格员"),
    GapKind("no_building_leader", "low", "楼栋无楼栋长", "building", "选定楼栋长"),
    GapKind("no_community_centre", "medium", "社区没有党群服务中心", "community", "建立社区党群服务中心"),
    GapKind("target_missed", "medium", "目标逾期未达标", "area", "对照目标查找差距，限期整改"),
)
GAP_KIND = {k.kind: k for k in GAP_KINDS}
SORTED_BY = ("community", "grid", "object_id")  # within a kind
COLUMNS = [
    "kind",
    "severity",
    "layer",
    "district",
    "street",
    "community",
    "grid",
    "object_type",
    "object_id",
    "message",
    "geometry",
]


class Namer:
    """Readable names for codes and ids in sentences: '春晖社区党建网格001（…001）', '春晖社区'."""

    def __init__(self, scene: Scene):
        self.grids = dict(zip(scene.grids["code"], scene.grids["name"].fillna(""), strict=True))
        self.communities = dict(zip(scene.communities["code"], scene.communities["name"], strict=True))
        self.scene = scene
        self.orgs = dict(zip(scene.organizations["id"], scene.organizations["name"], strict=True))

    def grid(self, code) -> str:
        name = self.grids.get(code) or ""
        return f"{name}（{code}）" if name else f"网格{code}"

    def community(self, code) -> str:
        return self.communities.get(code) or f"社区{code}"

    def buildings(self, positions: np.ndarray) -> list:
        """Name (or address, or None) of the buildings at these positions of the scene's table: only
        those a sentence needs (a city's gaps name a sixth of its buildings)."""
        b = self.scene.buildings
        return place_names(b[[c for c in ("id", "name", "address") if c in b]].iloc[positions], fallback=None)


def object_names(object_types, object_ids, scene: Scene) -> list:
    """What each gap is about, as people name it: a building's name or address, an organization's,
    a Party organization's, a grid's or a community's name; the id only where nothing names it (the
    gap list's ``object_name``)."""
    names = {
        "building": dict(zip(scene.buildings["id"], place_names(scene.buildings), strict=True)),
        "organization": dict(zip(scene.organizations["id"], scene.organizations["name"], strict=True)),
        "grid": dict(zip(scene.grids["code"], scene.grids["name"], strict=True)),
        "community": dict(zip(scene.communities["code"], scene.communities["name"], strict=True)),
        "party_org": dict(zip(scene.party_orgs["id"], scene.party_orgs["name"], strict=True)),
        "item": dict(zip(scene.items["id"], scene.items["description"], strict=True)),
    }
    return [names.get(t, {}).get(i) or i for t, i in zip(object_types, object_ids, strict=True)]


def gap_row(kind: str, community, grid, object_id, message: str, geometry, layer=None) -> dict:
    return {
        "kind": kind,
        "severity": GAP_KIND[kind].severity,
        "layer": layer,
        "community": community,
        "grid": grid,
        "object_type": GAP_KIND[kind].object_type,
        "object_id": object_id,
        "message": message,
        "geometry": geometry,
    }


def topology_gaps(problems: list[dict], to_lonlat, n: Namer) -> list[dict]:
    rows = []
    for p in problems:
        side = SIDE_LABEL[p["side"]]
        geom = to_lonlat(p["geometry"])
        if p["kind"] == "grid_gap_area":
            text = f"{n.community(p['community'])}{side}网格之间有约{p['area_m2']:.0f}平方米未划入任何网格，请补划。"
            rows.append(gap_row("grid_gap_area", p["community"], None, p["community"], text, geom, p["side"]))
        elif p["kind"] == "grid_overlap":
            text = f"{n.grid(p['grid'])}与{n.grid(p['other'])}重叠约{p['area_m2']:.0f}平方米，请调整边界。"
            rows.append(gap_row("grid_overlap", p["community"], p["grid"], p["grid"], text, geom, p["side"]))
        elif p["kind"] == "grid_outside_community":
            text = f"{n.grid(p['grid'])}有约{p['area_m2']:.0f}平方米超出{n.community(p['community'])}边界。"
            rows.append(gap_row("grid_outside_community", p["community"], p["grid"], p["grid"], text, geom, p["side"]))
        elif p["kind"] == "bad_grid_code":
            text = f"网格编码{p['grid']}不规范：应为15位数字，前12位为所属社区编码{p['community']}。"
            rows.append(gap_row("bad_grid_code", p["community"], p["grid"], p["grid"], text, geom, p["side"]))
    return rows


def _rows(
    kind: str, units: pd.DataFrame, grid: str | None, message, geometry: np.ndarray, layer: str | None
) -> pd.DataFrame:
    """Gap rows for the units selected, built column by column (tens of thousands at a time).

    ``geometry`` is row-aligned with the whole unit table (units keep its positional index)."""
    return _frame(
        {
            "kind": kind,
            "severity": GAP_KIND[kind].severity,
            "layer": layer,
            "community": units["community"].to_numpy(),
            "grid": units[grid].to_numpy() if grid else None,
            "object_type": GAP_KIND[kind].object_type,
            "object_id": units["id"].to_numpy(),
            "message": np.asarray(message, dtype=object),
            "geometry": geometry[units.index.to_numpy()],
        },
        len(units),
    )


def _frame(columns: dict, length: int) -> pd.DataFrame:
    """A frame of object columns: pandas would otherwise turn text into Arrow strings and every later
    step back (a city's gap list is hundreds of thousands of rows)."""
    return pd.DataFrame(
        {k: text(np.asarray(v, dtype=object) if np.ndim(v) else [v] * length) for k, v in columns.items()}
    )


def _labels(ids: pd.Series, names: list, fallback: str) -> pd.Series:
    """How a sentence names each object: '3号楼' (its name, or its address; ``names`` in the order of
    ``ids``), else '编号为b3的楼栋' (an id only where nothing else names it).

    >>> _labels(pd.Series(["b1", "b2"]), ["1号楼", None], "楼栋").tolist()
    ['1号楼', '编号为b2的楼栋']
    """
    label = np.asarray(names, dtype=object).copy()
    unnamed = np.fromiter((not (isinstance(v, str) and v) for v in label), bool, len(label))
    label[unnamed] = "编号为" + ids.to_numpy(dtype=object)[unnamed] + ("的" + fallback)
    return text(label, ids.index)


def building_gaps(units: Units, scene: Scene, n: Namer, t: Thresholds) -> list[pd.DataFrame]:
    b = units.buildings
    grid_label = {code: n.grid(code) for code in scene.grids["code"]}
    masks = {
        ("building_no_grid", side): b[f"{side}_unassigned"] & b["community"].notna() for side in ("party", "governance")
    }
    masks |= {("split_building", side): b[f"{side}_split"] for side in ("party", "governance")}
    masks[("building_group_missing", "party")] = b["eligible"] & ~b["covered"]
    masks[("no_building_leader", "governance")] = b["residential"] & ~b["has_leader"]
    hit = b[np.logical_or.reduce([m.to_numpy() for m in masks.values()])]
    label = _labels(hit["id"], n.buildings(hit.index.to_numpy()), "楼栋")
    geom = scene.buildings.geometry.values.to_numpy()
    frames = []
    for (kind, side), mask in masks.items():
        rows, names = hit[mask[hit.index]], label[mask[hit.index]]
        if kind == "building_no_grid":
            text, grid = names + f"不在任何{SIDE_LABEL[side]}网格内，请划入相邻网格。", None
        elif kind == "split_building":
            grid = f"{side}_grid"
            text = names + "被" + rows[grid].map(grid_label) + f"的边界切开，超过{t.split_fraction:.0%}的面积在网格外。"
        elif kind == "building_group_missing":
            text, grid = (
                names + "住有正式党员" + rows["full_members"].astype(str) + "名，应建未建楼栋党小组。",
                "party_grid",
            )
        else:
            text, grid = names + "没有在岗楼栋长。", "governance_grid"
        frames.append(_rows(kind, rows, grid, text, geom, side))
    return frames


def organization_gaps(units: Units, scene: Scene, n: Namer) -> list[pd.DataFrame]:
    o = units.organizations
    geom = scene.organizations.geometry.values.to_numpy()
    label = _labels(o["id"], [n.orgs.get(i) for i in o["id"]], "组织")
    unbuilt = o["should_build"] & ~o["own"]
    uncovered = ~o["work_covered"]
    return [
        _rows(
            "org_should_build",
            o[unbuilt],
            "party_grid",
            label[unbuilt] + "有正式党员" + o.loc[unbuilt, "full_members"].astype(str) + "名，应单独建立党组织。",
            geom,
            "party",
        ),
        _rows(
            "org_no_work_coverage",
            o[uncovered],
            "party_grid",
            label[uncovered] + "既无党组织，也无党建指导员、工会或团组织，工作未覆盖。",
            geom,
            "party",
        ),
        *_registration_gaps(o, label, geom, scene),
    ]


def _registration_gaps(o: pd.DataFrame, label: pd.Series, geom, scene: Scene) -> list[pd.DataFrame]:
    """§8.1: a resident unit with its own Party organization not registered with the community it
    stands in — nowhere (``unit_not_registered``), or only with another (``unit_registered_elsewhere``)."""
    names = dict(zip(scene.communities["code"], scene.communities["name"], strict=True))
    r = scene.registrations
    where = r["community_code"].map(lambda c: names.get(c, c)).groupby(r["organization_id"].to_numpy()).agg("、".join)
    home = o["community"].map(lambda c: names.get(c, c))
    missing = o["registrable"] & ~o["registered_home"] & ~o["registered_elsewhere"]
    away = o["registered_elsewhere"]
    return [
        _rows(
            "unit_not_registered",
            o[missing],
            "party_grid",
            label[missing] + "已建立党组织，尚未到所在的" + home[missing] + "报到。",
            geom,
            "party",
        ),
        _rows(
            "unit_registered_elsewhere",
            o[away],
            "party_grid",
            label[away]
            + "位于"
            + home[away]
            + "，却向"
            + pd.Series([where.get(i, "") for i in o.loc[away, "id"]], index=o.index[away], dtype=object)
            + "报到，应到所在社区报到。",
            geom,
            "party",
        ),
    ]


def _most_severe_first(frame: pd.DataFrame) -> np.ndarray:
    """Row order of the gap list: by severity, kind (as listed), community, grid, object id; missing
    codes first; a stable sort (Arrow's, on the text as it is: code point order, as Python's)."""
    rank = {k.kind: SEVERITY_ORDER[k.severity] * len(GAP_KINDS) + i for i, k in enumerate(GAP_KINDS)}
    at, kinds = pd.factorize(frame["kind"].to_numpy(dtype=object))
    columns = {"rank": pa.array(np.array([rank[k] for k in kinds], np.int32)[at])}
    columns |= {c: pa.array(frame[c].to_numpy(dtype=object), pa.string(), from_pandas=True) for c in SORTED_BY}
    keys = [(c, "ascending", "at_start") for c in columns]
    return pc.sort_indices(pa.table(columns), sort_keys=keys).to_numpy()


def gap_frame(rows: list[dict], frames: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    """Rows and frames of rows as one GeoDataFrame (EPSG:4490), most severe first, then by place."""
    columns = [c for c in COLUMNS if c not in ("district", "street")]
    parts = [_frame({c: [r[c] for r in rows] for c in columns}, len(rows)), *(f for f in frames if len(f))]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    at, communities = pd.factorize(frame["community"].to_numpy(dtype=object))  # missing: -1, the last below
    for position, (column, length) in enumerate((("district", 6), ("street", 9))):
        cut = np.array([c[:length] for c in communities] + [None], dtype=object)[at]
        frame.insert(3 + position, column, text(cut, frame.index))
    frame = frame.take(_most_severe_first(frame)).reset_index(drop=True)
    for column in frame.columns.drop("geometry"):  # missing is None, not NaN
        values = frame[column].to_numpy(dtype=object)
        if (missing := pd.isna(values)).any():
            frame[column] = text(np.where(missing, None, values), frame.index)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.asarray(frame["geometry"], dtype=object), crs=4490))
