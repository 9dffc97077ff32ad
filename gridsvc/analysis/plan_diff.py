"""What applying a plan changes: buildings changing grid, Party organizations and staff affected,
and every coverage metric before and after (the same engine run on the scene after applying)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gridsvc.analysis.coverage import Coverage
from gridsvc.analysis.plans import Remap

CHANGE_LABEL = {
    "remapped": "随网格调整",
    "undecided": "待人工确定",
    "moves": "整体换网格",
    "splits": "被拆分到多个网格",
    "grid_disappears": "所在网格被撤销",
    "building_changes_grid": "楼栋换网格",
}


def plan_diff(before: Coverage, after: Coverage, communities: list[str], remap: Remap, effective: dt.date) -> dict:
    """The diff as JSON-ready data; ``before``/``after`` cover the same buildings."""
    b0, b1 = before.units.buildings, after.units.buildings
    mine = b0["community"].isin(communities).to_numpy()
    return {
        "effective": effective.isoformat(),
        "buildings": _buildings(before, b0[mine], b1[mine], remap),
        "party_orgs": _grid_scopes(before, remap) + _building_scopes(before, b0[mine], b1[mine]),
        "staff": _grid_staff(before, remap, effective) + _building_leaders(before, b0[mine], b1[mine]),
        "metrics": {c: _metrics(before.metrics(c), after.metrics(c)) for c in communities},
        "undecided": [
            {"grid": g, "landing": remap.candidates.get(g, {})} for g, t in remap.target.items() if t is None
        ],
    }


def _buildings(before: Coverage, b0: pd.DataFrame, b1: pd.DataFrame, remap: Remap) -> list[dict]:
    """Buildings that leave their grid's successor (the new grid taking most of its households) on
    either side: a building following its renamed grid has not moved."""
    names = dict(zip(before.scene.buildings["id"], before.scene.buildings["name"], strict=True))
    after = {
        old: max((n for n in landing if n != "—"), key=landing.get, default=None)
        for old, landing in remap.candidates.items()
    }
    out = []
    for row0, row1 in zip(b0.itertuples(), b1.itertuples(), strict=True):
        stays = [
            after.get(g0, g0) == g1
            for g0, g1 in ((row0.party_grid, row1.party_grid), (row0.governance_grid, row1.governance_grid))
        ]
        if all(stays):
            continue
        out.append(
            {
                "building_id": row0.id,
                "name": _text(names.get(row0.id)),
                "households": int(row0.households),
                "party": [_text(row0.party_grid), _text(row1.party_grid)],
                "governance": [_text(row0.governance_grid), _text(row1.governance_grid)],
            }
        )
    return out


def _org_facts(before: Coverage) -> dict[str, tuple[str, str]]:
    p = before.scene.party_orgs
    return {i: (n, k) for i, n, k in zip(p["id"], p["name"], p["kind"], strict=True)}


def _grid_scopes(before: Coverage, remap: Remap) -> list[dict]:
    s = before.scene.scopes
    facts = _org_facts(before)
    named = s[(s["target_type"] == "grid") & s["target_id"].isin(remap.target)]
    out = []
    for org, grid in zip(named["party_org_id"], named["target_id"], strict=True):
        to = remap.target[grid]
        if to == grid:
            continue
        name, kind = facts.get(org, ("", ""))
        change = "remapped" if to else "undecided"
        out.append(
            {
                "party_org_id": org,
                "name": name,
                "kind": kind,
                "change": change,
                "label": CHANGE_LABEL[change],
                "from": [grid],
                "to": [to] if to else sorted(remap.candidates.get(grid, {})),
            }
        )
    return out


def _building_scopes(before: Coverage, b0: pd.DataFrame, b1: pd.DataFrame) -> list[dict]:
    """Party organizations naming buildings whose Party grids change: moved whole, or split."""
    s = before.scene.scopes
    facts = _org_facts(before)
    named = s[(s["target_type"] == "building") & s["target_id"].isin(set(b0["id"]))]
    grid0 = dict(zip(b0["id"], b0["party_grid"], strict=True))
    grid1 = dict(zip(b1["id"], b1["party_grid"], strict=True))
    out = []
    for org, buildings in named.groupby("party_org_id")["target_id"]:
        was = sorted({grid0[b] for b in buildings if pd.notna(grid0[b])})
        now = sorted({grid1[b] for b in buildings if pd.notna(grid1[b])})
        if was == now:
            continue
        change = "splits" if len(now) > 1 else "moves"
        name, kind = facts.get(org, ("", ""))
        out.append(
            {
                "party_org_id": org,
                "name": name,
                "kind": kind,
                "change": change,
                "label": CHANGE_LABEL[change],
                "from": was,
                "to": now,
            }
        )
    return out


def _staff_facts(before: Coverage) -> dict[str, tuple[str, str]]:
    st = before.scene.staff
    return {i: (n, r) for i, n, r in zip(st["id"], st["name"], st["role"], strict=True)}


def _grid_staff(before: Coverage, remap: Remap, effective: dt.date) -> list[dict]:
    a = before.scene.assignments
    end = pd.to_datetime(a["end_date"])
    current = (
        (a["target_type"] == "grid")
        & a["target_id"].isin(remap.target)
        & (end.isna() | (end > pd.Timestamp(effective)))
    )
    facts = _staff_facts(before)
    out = []
    for staff, grid in zip(a.loc[current, "staff_id"], a.loc[current, "target_id"], strict=True):
        to = remap.target[grid]
        if to == grid:
            continue
        change = "remapped" if to else "grid_disappears"
        name, role = facts.get(staff, ("", ""))
        out.append(
            {
                "staff_id": staff,
                "name": name,
                "role": role,
                "change": change,
                "label": CHANGE_LABEL[change],
                "from": grid,
                "to": to,
            }
        )
    return out


def _building_leaders(before: Coverage, b0: pd.DataFrame, b1: pd.DataFrame) -> list[dict]:
    """Building leaders (楼栋长) whose building changes governance grid."""
    a = before.scene.active_assignments()
    facts = _staff_facts(before)
    leaders = {s for s, (_, role) in facts.items() if role == "building_leader"}
    moved = {
        r0.id: (r0.governance_grid, r1.governance_grid)
        for r0, r1 in zip(b0.itertuples(), b1.itertuples(), strict=True)
        if r0.governance_grid != r1.governance_grid
    }
    held = a[(a["target_type"] == "building") & a["target_id"].isin(moved) & a["staff_id"].isin(leaders)]
    return [
        {
            "staff_id": s,
            "name": facts[s][0],
            "role": "building_leader",
            "change": "building_changes_grid",
            "label": CHANGE_LABEL["building_changes_grid"],
            "building_id": b,
            "from": _text(moved[b][0]),
            "to": _text(moved[b][1]),
        }
        for s, b in zip(held["staff_id"], held["target_id"], strict=True)
    ]


def _metrics(before: dict, after: dict) -> dict:
    return {key: {"before": before.get(key), "after": after.get(key)} for key in sorted(set(before) | set(after))}


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
