"""Gaps of the grids themselves (domain.md §4–5): no grid Party branch or more than one, households
outside the band, no grid leader or more than one, no grid worker, no full-time worker in a city
grid, a full-time worker serving more households than the threshold; and a closed grid that Party
organizations or staff still name (a plan left it 待人工确定)."""

from __future__ import annotations

import pandas as pd

from gridsvc.analysis.gaps import GAP_KIND, Namer, gap_row
from gridsvc.analysis.scene import Scene, Thresholds
from gridsvc.analysis.units import Units


def grid_gaps(units: Units, scene: Scene, n: Namer, t: Thresholds) -> list[dict]:
    geom = dict(zip(scene.grids["code"], scene.grids.geometry.values.to_numpy(), strict=True))
    stranded = scene.stranded
    waiting = set(stranded.loc[stranded["kind"] == "party_org", "community_code"])  # a branch may be coming
    hint = f"（本社区有原网格的党组织待定去向，见“{GAP_KIND['left_on_closed_grid'].label}”）"
    rows = []
    for r in units.party_grids.itertuples():
        if r.branches == 0:
            text = f"{n.grid(r.grid)}尚未建立网格党支部。" + (hint if r.community in waiting else "")
            rows.append(gap_row("no_grid_branch", r.community, r.grid, r.grid, text, geom[r.grid], "party"))
        elif r.branches > 1:
            rows.append(
                gap_row(
                    "multiple_grid_branches",
                    r.community,
                    r.grid,
                    r.grid,
                    f"{n.grid(r.grid)}有{r.branches}个网格党支部，应为一个。",
                    geom[r.grid],
                    "party",
                )
            )
    rows += _band(units.party_grids, "party", n, t, geom)
    for r in units.staff_grids.itertuples():
        rows += _staff_rows(r, n, t, geom[r.grid])
    rows += _band(units.staff_grids[units.staff_grids["layer"] != "unified"], "governance", n, t, geom)
    return rows


def _band(grids: pd.DataFrame, side: str, n: Namer, t: Thresholds, geom: dict) -> list[dict]:
    out = grids[t.outside_band(grids["households"])]
    return [
        gap_row(
            "household_band",
            r.community,
            r.grid,
            r.grid,
            f"{n.grid(r.grid)}有{r.households}户，不在{t.households_min}–{t.households_max}户的标准范围内。",
            geom[r.grid],
            None if r.layer == "unified" else side,
        )
        for r in out.itertuples()
    ]


def _staff_rows(r, n: Namer, t: Thresholds, geometry) -> list[dict]:
    rows = []
    if r.leaders == 0:
        rows.append(
            gap_row("no_grid_leader", r.community, r.grid, r.grid, f"{n.grid(r.grid)}没有在岗网格长。", geometry)
        )
    elif r.leaders > 1:
        rows.append(
            gap_row(
                "multiple_grid_leaders",
                r.community,
                r.grid,
                r.grid,
                f"{n.grid(r.grid)}有{r.leaders}名在岗网格长，应为一名。",
                geometry,
            )
        )
    if r.workers == 0:
        rows.append(
            gap_row("no_grid_worker", r.community, r.grid, r.grid, f"{n.grid(r.grid)}没有在岗网格员。", geometry)
        )
    elif r.fulltime_workers == 0 and r.urban:
        rows.append(
            gap_row(
                "no_fulltime_worker",
                r.community,
                r.grid,
                r.grid,
                f"{n.grid(r.grid)}只有兼职网格员，城市网格应至少配备一名专职网格员。",
                geometry,
            )
        )
    if r.fulltime_workers > 0 and r.households / r.fulltime_workers > t.households_per_fulltime_worker:
        per = r.households / r.fulltime_workers
        rows.append(
            gap_row(
                "worker_overloaded",
                r.community,
                r.grid,
                r.grid,
                f"{n.grid(r.grid)}每名专职网格员服务{per:.0f}户，超过{t.households_per_fulltime_worker}户。",
                geometry,
            )
        )
    return rows


def stranded_gaps(scene: Scene) -> list[dict]:
    """``left_on_closed_grid``: a closed grid that no live grid succeeds still scopes a Party
    organization or holds a running assignment (``Scene.stranded``): who waits, and how to settle it
    (``gridsvc plan settle`` with the plan that left it, else by a file pointing them at a live grid)."""
    rows = []
    for code, held in scene.stranded.groupby("grid", sort=True):
        first = held.iloc[0]
        orgs, staff = (list(held.loc[held["kind"] == kind, "name"]) for kind in ("party_org", "staff"))
        who = [f"党组织 {'、'.join(orgs)} 的范围"] * bool(orgs) + [f"人员 {'、'.join(staff)} 的分配"] * bool(staff)
        how = (
            f"gridsvc plan settle {int(first['plan_id'])} {code} 新网格"
            if pd.notna(first["plan_id"])
            else "导入时改为现有网格"
        )
        text = (
            f"已撤销的网格 {first['grid_name'] or code}（{code}，{first['closed_on']} 撤销）仍是{'、'.join(who)}，"
            f"待人工确定新网格：{how}。"
        )
        rows.append(gap_row("left_on_closed_grid", first["community_code"], None, code, text, first["geometry"]))
    return rows
