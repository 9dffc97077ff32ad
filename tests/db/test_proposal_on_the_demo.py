"""Issue: a proposal worth adopting. On every community of the demo district, the proposal against
the greedy repair of the governance layer (``plan create --adopt-governance --repair-band``): its
weighted cost is not higher, it opens no more grids, where nothing needs to move it leaves every
boundary as it is, and both plans validate."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import text

from gridsvc.analysis.boundaries import base_tiles
from gridsvc.analysis.proposal import propose_layout
from gridsvc.analysis.scene import Thresholds
from gridsvc.services import imports, plans, proposals
from tests.conftest import TABLES

STREETS = ["320199001", "320199002", "320199003"]  # the whole demo district


@pytest.fixture(scope="module")
def demo(engine):
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    imports.build_demo(engine, 20240501)
    return engine


def test_the_proposal_is_held_to_the_greedy_repair(demo):
    rows = proposals.compare(demo, STREETS, Thresholds())
    assert len(rows) == 12
    for row in rows:
        proposal, repair = row["proposal"], row["repair"]
        assert proposal["cost"] <= repair["cost"] + 1e-6, row
        assert proposal["grids"] <= repair["grids"], row
        assert proposal["outside_band"] <= repair["outside_band"], row
        assert proposal["governance"] + proposal["party"] >= row["lower_bound"], row


def test_where_nothing_needs_to_move_every_boundary_stays(demo):
    _, _, inputs = proposals.community_inputs(demo, STREETS, Thresholds())
    still = 0
    for data in inputs:
        layout = propose_layout(data, 300, 500)
        if layout.cost["governance"] or layout.cost["party"]:
            continue
        still += 1
        tiles = base_tiles(data.area, data.governance_geoms)
        shapes = {layout.candidates[k].governance: g for k, g in layout.geoms.items()}
        assert set(shapes) == set(tiles), data.community
        for code, tile in tiles.items():
            assert shapely.symmetric_difference(shapes[code], tile).area < 0.01 * tile.length, (data.community, code)
    assert still >= 1  # 320199001003: its two layers already agree and every grid is in the band


def test_both_plans_validate(demo):
    limits = Thresholds()
    proposal, _ = proposals.propose(demo, STREETS, limits)
    repaired = proposals.repaired(demo, STREETS, limits)
    for plan_id in (proposal, repaired):
        review = plans.validate(demo, plan_id, limits)
        assert review.errors == [], (plan_id, review.errors)
    scores = {r["community"]: r for r in plans.scores(demo, proposal, limits)}
    assert scores["320199001003"]["above_lower_bound"] == 0 and scores["320199001003"]["weighted_cost"] == 0
    assert all(r["above_lower_bound"] >= 0 for r in scores.values())
    governance_only = proposals.repaired(demo, ["320199001003"], limits, layer="governance")
    assert plans.show_plan(demo, governance_only)[0]["layer"] == "governance"  # --layer is not ignored
