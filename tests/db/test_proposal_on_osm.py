"""The proposal on real OpenStreetMap footprints and roads (the second demo, built on the shared
nanjing-xinjiekou.osm extract). There cells cut along the roads carried stray lines, and pieces of
street block unnoded edges, and ``plan create --propose`` ended in a raw GEOSException."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from gridsvc.analysis.assignment import outside_fraction
from gridsvc.analysis.boundaries import base_tiles
from gridsvc.analysis.cells import building_cells
from gridsvc.analysis.proposal import BAND_UNMET, propose_layout
from gridsvc.analysis.scene import Thresholds
from gridsvc.services import imports, proposals
from tests.conftest import TABLES

SPLIT = Thresholds().split_fraction


@pytest.fixture(scope="module")
def osm_inputs(engine, osm_file):
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    imports.build_demo(engine, 7, osm_file)
    with engine.connect() as conn:
        streets = conn.execute(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalars().all()
    _, _, inputs = proposals.community_inputs(engine, streets[:1], Thresholds())
    assert inputs and all(data.roads is not None and len(data.roads) for data in inputs)  # real roads loaded
    return inputs


def test_cells_along_real_roads_are_polygons_that_tile_the_community(osm_inputs):
    for data in osm_inputs:
        b = data.buildings.reset_index(drop=True)
        cells = building_cells(data.area, b.geometry.values, b["rep_point"].to_numpy(), data.roads)
        assert np.isin(shapely.get_type_id(cells.geoms), (3, 6)).all(), data.community
        assert abs(shapely.area(cells.geoms).sum() - data.area.area) < 1.0, data.community


def test_the_proposal_runs_on_real_footprints_and_roads(osm_inputs):
    layouts, kept = [], []
    for data in osm_inputs:
        layout = propose_layout(data, 300, 500, time_limit=30)
        layouts.append(layout)
        geoms = list(layout.geoms.values())
        assert np.isin(shapely.get_type_id(geoms), (3, 6)).all(), data.community
        assert abs(shapely.union_all(geoms).area - data.area.area) < 1.0, data.community  # no gap, no overlap
        assert abs(sum(g.area for g in geoms) - data.area.area) < 1.0, data.community
        if layout.baseline:
            assert layout.cost["cost"] <= layout.baseline["cost"] + 1e-6, data.community
        # no building split (rule 5), but those the community's own outline cuts: where today's
        # lines cross a house (two in 320198001002) they bend around it
        footprints = data.buildings.geometry.values
        within = outside_fraction(footprints, [data.area] * len(footprints)) <= SPLIT
        split = outside_fraction(footprints, [layout.geoms[k] for k in layout.grid_of_building]) > SPLIT
        assert not (split & within).any(), (data.community, list(data.buildings["id"][split & within]))
        if sorted(layout.candidates[k].governance or "" for k in layout.geoms) == sorted(data.governance_grids):
            kept.append(_kept(data, geoms))  # the same grids: today's lines stay but where houses move
        if not layout.band_met:  # said to the planner in Chinese (320198001002: too few households)
            assert BAND_UNMET.format(lo=300, hi=500) in layout.notes, layout.notes
    assert not all(layout.band_met for layout in layouts)
    # 320198001002 moves 26 of 1,410 households and keeps 78 % of today's lines (bent around 2 houses
    # they cut); drawn from whole cells (the fallback when a grid would come in pieces: a notch and the
    # land across the line did not join) it kept none. (320198001004 moves houses all along its line.)
    assert kept and max(kept) > 0.5, kept


def _kept(data, geoms) -> float:
    """The share of today's lines between governance grids that a layout's boundaries keep."""
    tiles = base_tiles(data.area, data.governance_geoms).values()
    today = shapely.difference(shapely.union_all([t.boundary for t in tiles]), data.area.boundary.buffer(0.01))
    drawn = shapely.union_all([g.boundary for g in geoms])
    return shapely.intersection(today, drawn.buffer(0.01)).length / today.length


def test_a_community_that_cannot_be_cut_is_named_not_a_traceback(osm_inputs, settings, monkeypatch):
    from click.testing import CliRunner

    from gridsvc.analysis import proposal
    from gridsvc.cli import main

    def broken(*args, **kwargs):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(proposal, "building_cells", broken)
    community = osm_inputs[0].community
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    run = CliRunner().invoke(main, ["plan", "create", "-c", community, "--propose"], env=env)
    assert run.exit_code != 0 and "Traceback" not in run.output, run.output
    assert community in run.output and "无法切分" in run.output and "side location conflict" in run.output
