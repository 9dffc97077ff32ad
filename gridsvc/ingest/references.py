"""References between layers: every code or id a row names must exist in the file or the database."""

from __future__ import annotations

import dataclasses

import pandas as pd

from gridsvc.analysis.metrics import METRIC_BY_KEY
from gridsvc.dataset import Dataset
from gridsvc.errors import Problem
from gridsvc.ingest.schema import LAYER_BY_NAME
from gridsvc.labels import thing_word

# Which layer's key a reference points at, by the name of the key set.
KEY_SETS = {
    "community": ("communities", "code"),
    "grid": ("grids", "code"),
    "building": ("buildings", "id"),
    "organization": ("organizations", "id"),
    "party_org": ("party_orgs", "id"),
    "staff": ("staff", "id"),
}


def known_keys(dataset: Dataset, existing: dict[str, set[str]]) -> dict[str, set[str]]:
    """Keys in the file together with those already stored."""
    keys = {}
    for kind, (layer, column) in KEY_SETS.items():
        in_file = dataset.get(layer)
        file_keys = set(in_file[column].dropna()) if in_file is not None else set()
        keys[kind] = file_keys | existing.get(kind, set())
    keys["closed grid"] = existing.get("closed grid", set()) - keys["grid"]
    return keys


def check_references(dataset: Dataset, existing: dict[str, set[str]]) -> list[Problem]:
    keys = known_keys(dataset, existing)
    problems: list[Problem] = []
    problems += _grids(dataset.get("grids"), keys)
    problems += _simple(dataset.get("organizations"), "organizations", "building_id", "building", keys)
    problems += _simple(dataset.get("facilities"), "facilities", "building_id", "building", keys)
    problems += _simple(dataset.get("party_orgs"), "party_orgs", "parent_id", "party_org", keys)
    problems += _simple(dataset.get("party_org_scope"), "party_org_scope", "party_org_id", "party_org", keys)
    problems += _targets(dataset.get("party_org_scope"), "party_org_scope", keys)
    problems += _simple(dataset.get("assignments"), "assignments", "staff_id", "staff", keys)
    problems += _targets(dataset.get("assignments"), "assignments", keys)
    problems += _set_targets(dataset.get("targets"), keys)
    registrations = dataset.get("unit_registrations")
    problems += _simple(registrations, "unit_registrations", "organization_id", "organization", keys)
    problems += _simple(registrations, "unit_registrations", "community_code", "community", keys)
    problems += _in_service(dataset.get("buildings"))
    keys["street or community"] = {c[:n] for c in keys["community"] for n in (9, 12)}
    for layer in ("cobuilding_agreements", "cobuilding_items"):
        problems += _simple(dataset.get(layer), layer, "area_code", "street or community", keys)
        problems += _simple(dataset.get(layer), layer, "organization_id", "organization", keys)
    problems += _simple(dataset.get("cobuilding_items"), "cobuilding_items", "building_id", "building", keys)
    problems += _simple(dataset.get("unit_seats"), "unit_seats", "community_code", "community", keys)
    problems += _simple(dataset.get("unit_seats"), "unit_seats", "organization_id", "organization", keys)
    problems += _agreement_dates(dataset.get("cobuilding_agreements"))
    return [_in_sheet(p, dataset.get(p.layer)) for p in problems]


def _in_sheet(problem: Problem, layer: pd.DataFrame | None) -> Problem:
    """A problem of a layer read from a ledger's sheet, named by that sheet and its headers (as the
    ledger names its own problems), not by the exchange layer and field."""
    if layer is None or "sheet" not in layer.attrs:
        return problem
    column = layer.attrs["headers"].get(problem.column, problem.column)
    return dataclasses.replace(problem, layer=layer.attrs["sheet"], column=column, sheet=True)


def _agreement_dates(agreements: pd.DataFrame | None) -> list[Problem]:
    """An agreement ends on or after the day it starts."""
    if agreements is None or "valid_to" not in agreements.columns:
        return []
    names = _names(agreements)
    start, end = agreements["valid_from"], agreements["valid_to"]
    bad = (pd.to_datetime(end) < pd.to_datetime(start)).to_numpy(dtype=bool)  # a missing date compares False
    return [
        Problem("cobuilding_agreements", names.loc[i], "valid_to", f"结束于 {end.loc[i]}，早于开始日期 {start.loc[i]}")
        for i in agreements.index[bad]
    ]


def _in_service(buildings: pd.DataFrame | None) -> list[Problem]:
    """§8.1: no more in-service members registered than live in the building."""
    if buildings is None or not {"in_service_members", "in_service_registered"} <= set(buildings.columns):
        return []
    names = _names(buildings)
    members, registered = buildings["in_service_members"], buildings["in_service_registered"]
    bad = (registered.fillna(0) > members.fillna(0)).to_numpy(dtype=bool)
    return [
        Problem(
            "buildings",
            names.loc[i],
            "in_service_registered",
            f"报到 {registered.loc[i]} 人，但这里只住着 {members.loc[i] if pd.notna(members.loc[i]) else 0} 名在职党员",
        )
        for i in buildings.index[bad]
    ]


def _set_targets(targets: pd.DataFrame | None, keys: dict[str, set[str]]) -> list[Problem]:
    """A target's area must be known (a community, or the street or district above one), and a rate's
    target lie between 0 and 1 (0%–100%)."""
    if targets is None:
        return []
    areas = {c[:n] for c in keys["community"] for n in (6, 9, 12)}
    names = _names(targets)
    problems = []
    for i, area, metric, value in zip(
        targets.index, targets["area_code"], targets["metric"], targets["value"], strict=True
    ):
        if isinstance(area, str) and area not in areas:
            problems.append(Problem("targets", names.loc[i], "area_code", f"未知区域 {area}"))
        if metric in METRIC_BY_KEY and METRIC_BY_KEY[metric].kind == "rate" and value is not None and value > 1:
            problems.append(
                Problem("targets", names.loc[i], "value", f"{value:g} 大于 1：比率的目标应为 0–1 或 0%–100%")
            )
    return problems


def _names(df: pd.DataFrame) -> pd.Series:
    return df.attrs.get("feature_names", pd.Series([f"#{i}" for i in df.index], index=df.index))


def _grids(grids: pd.DataFrame | None, keys: dict[str, set[str]]) -> list[Problem]:
    if grids is None:
        return []
    names = _names(grids)
    problems = []
    for i, code, community in zip(grids.index, grids["code"], grids["community_code"], strict=True):
        if not isinstance(community, str) or not isinstance(code, str):
            continue  # a missing or malformed value, reported by the value checks
        if community not in keys["community"]:
            problems.append(Problem("grids", names.loc[i], "community_code", f"未知社区 {community}"))
        elif not code.startswith(community):
            problems.append(
                Problem(
                    "grids",
                    names.loc[i],
                    "code",
                    f"网格编码 {code} 不以所属社区编码 {community} 开头",
                )
            )
    return problems


def _simple(df: pd.DataFrame | None, layer: str, column: str, kind: str, keys: dict[str, set[str]]) -> list[Problem]:
    if df is None or column not in df.columns:
        return []
    names = _names(df)
    values = df[column]
    bad = values.notna() & ~values.isin(keys[kind])
    return [Problem(layer, names.loc[i], column, f"未知{thing_word(kind)} {values.loc[i]!r}") for i in df.index[bad]]


def _targets(df: pd.DataFrame | None, layer: str, keys: dict[str, set[str]]) -> list[Problem]:
    if df is None:
        return []
    names = _names(df)
    problems = []
    for i, kind, target in zip(df.index, df["target_type"], df["target_id"], strict=True):
        if kind in keys and isinstance(target, str) and target not in keys[kind]:
            reason = f"未知{thing_word(kind)} {target!r}"
            if kind == "grid" and target in keys["closed grid"]:  # a plan closed it; its successor is undecided
                reason = f"网格 {target!r} 已撤销（方案应用后待人工确定）：请改为现有网格，或用 gridsvc plan settle 定下它的去向"
            problems.append(Problem(layer, names.loc[i], "target_id", reason))
    return problems


def outside_references(dataset: Dataset, closed_grids: set[str]) -> list[Problem]:
    """What ``dataset`` names that it does not hold (checked as an import into an empty database
    would check it): an exported file that a new database would refuse, said at export. Rows are
    named by their key (``party_org_id=po-1``): the file's feature numbers are the writer's."""
    named = {}
    for name, frame in dataset.layers.items():
        key = LAYER_BY_NAME[name].key[0] if name in LAYER_BY_NAME else None
        named[name] = frame.copy(deep=False)
        if key in frame.columns:
            named[name].attrs["feature_names"] = key + "=" + frame[key].astype("string").fillna("")
    return check_references(Dataset(named, dataset.source), {"closed grid": closed_grids})
