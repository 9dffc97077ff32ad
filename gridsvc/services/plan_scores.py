"""Scoring a plan (``plan scores``): per community, households moved against their lower bound, the
weighted cost of :mod:`gridsvc.analysis.objective` and each figure today, with the plan and at best."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from gridsvc.analysis import plans as rules
from gridsvc.analysis.objective import Weights
from gridsvc.analysis.plan_scores import score_figures, staff_side
from gridsvc.analysis.scene import Thresholds
from gridsvc.services.plans import Review, get_plan, review

WEIGHTS = Weights()  # what planners value: governance moves 2, Party moves 1, a grid opened or closed 100


def scores(engine: Engine, plan_id: int, limits: Thresholds, boundary_weight: float | None = None) -> list[dict]:
    """Per community: the plan beside the live layers, on (a)–(e) of the proposal's aims; households
    moved against their lower bound (today's mismatch) and the weighted cost of
    :mod:`gridsvc.analysis.objective` (grids counted by code; boundary priced at ``boundary_weight``,
    by default the weight the plan was proposed with); ``figures``: each figure today, with the
    plan and at best, with what it means (:mod:`gridsvc.analysis.plan_scores`)."""
    with engine.connect() as conn:
        checked = review(conn, get_plan(conn, plan_id), limits, dt.date.today())
    return score_rows(checked, limits, boundary_weight)


def plan_weights(plan: dict, boundary_weight: float | None = None) -> Weights:
    """The weights a plan is priced at: :data:`WEIGHTS` with the boundary priced as given, else as
    the plan was proposed (``plan create --propose --boundary-weight``; 0 for other plans)."""
    chosen = (plan.get("boundary_weight") or 0.0) if boundary_weight is None else boundary_weight
    return dataclasses.replace(WEIGHTS, boundary=float(chosen))


def score_rows(checked: Review, limits: Thresholds, boundary_weight: float | None = None) -> list[dict]:
    """:func:`scores` of a plan already reviewed."""
    plan = checked.plan
    weights = plan_weights(plan, boundary_weight)
    b0 = checked.before.units.buildings
    b1 = checked.after.units.buildings
    out = []
    for community in plan["communities"]:
        mine = (b0["community"] == community).to_numpy()
        live = b0[mine][["households", "party_grid", "governance_grid"]]
        planned = live.assign(plan=b1["party_grid"][mine].to_numpy())
        problems = [
            p for p in checked.problems if p["community"] == community or (p["grid"] or "").startswith(community)
        ]
        counts = pd.Series([p["rule"] for p in problems]).value_counts().to_dict()
        alignment = checked.before.metrics(community).get("alignment_rate", {})
        bound = int(live["households"].sum()) - rules.kept_households(live, "party_grid", "governance_grid")
        moved = rules.households_moved(planned, "plan")
        today, planned_side = staff_side(checked.before, community), staff_side(checked.after, community)
        beyond = planned_side.boundary - today.boundary
        plan_codes = {c for c in set(b1["party_grid"][mine].dropna()) if c.startswith(community)}
        changed = len(plan_codes - today.codes) + len(today.codes - plan_codes)
        out.append(
            {
                "community": community,
                "alignment_before": alignment.get("value"),
                "households": int(live["households"].sum()),
                # the lower bound: no layout moves fewer households off governance plus off Party
                "live_unmatched_households": bound,
                **moved,
                "above_lower_bound": moved["moved_from_governance"] + moved["moved_from_party"] - bound,
                "grids_opened_or_closed": changed,
                "boundary_beyond_today_m": round(beyond, 1),
                "boundary_weight": weights.boundary,
                "weighted_cost": weights.total(
                    moved["moved_from_governance"], moved["moved_from_party"], changed, 0, beyond
                ),
                "problems": counts,
                "figures": score_figures(
                    checked.before,
                    checked.after,
                    community,
                    int(live["households"].sum()),
                    moved,
                    bound,
                    limits,
                    (today.compactness, planned_side.compactness),
                ),
            }
        )
    return out
