"""The gap list's order and missing values, checked by hand and against pandas' own multi-column sort
(what gap_frame used before it sorted with Arrow)."""

import random

import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.gaps import GAP_KINDS, SEVERITY_ORDER, gap_frame, gap_row


def _row(kind, community, grid, object_id):
    return gap_row(kind, community, grid, object_id, f"{kind} {object_id}", shapely.Point(0, 0))


def test_most_severe_first_then_kind_then_place_with_missing_codes_first():
    rows = [
        _row("no_building_leader", "320199001001", "320199001001002", "b2"),  # low
        _row("no_grid_leader", "320199001001", "320199001001001", "320199001001001"),  # high
        _row("no_building_leader", "320199001001", None, "b1"),  # low, no grid: before the one with a grid
        _row("building_no_grid", None, None, "b9"),  # high, outside every community: first of its kind
        _row("building_no_grid", "320199001001", None, "b3"),
        _row("grid_overlap", "320199001001", "320199001001001", "320199001001001"),  # medium
    ]
    frame = gap_frame(rows, [])
    assert frame["object_id"].tolist() == ["b9", "b3", "320199001001001", "320199001001001", "b1", "b2"]
    assert frame["kind"].tolist()[2:4] == ["no_grid_leader", "grid_overlap"]
    assert frame.loc[0, "community"] is None and frame.loc[0, "district"] is None and frame.loc[0, "street"] is None
    assert frame.loc[1, "district"] == "320199" and frame.loc[1, "street"] == "320199001"
    assert frame.loc[4, "grid"] is None and frame.crs.to_epsg() == 4490


def test_order_equals_pandas_sort_on_random_rows():
    rnd = random.Random(7)
    codes = [None, "320199001001", "320199001002", "320199002001"]
    ids = [None, "b1", "b10", "b2", "楼3", "B1", "b1 "]
    rows = [
        _row(rnd.choice(GAP_KINDS).kind, c, rnd.choice([None, (c or "320199009009") + "001", "x"]), rnd.choice(ids))
        for c in (rnd.choice(codes) for _ in range(400))
    ]
    got = gap_frame(rows, [])
    kinds = {k.kind: i for i, k in enumerate(GAP_KINDS)}
    want = pd.DataFrame(rows).astype(object)
    want["_order"] = want["kind"].map(lambda k: SEVERITY_ORDER[next(g.severity for g in GAP_KINDS if g.kind == k)])
    want["_kind"] = want["kind"].map(kinds)
    want = want.sort_values(["_order", "_kind", "community", "grid", "object_id"], na_position="first", kind="stable")
    assert got["message"].tolist() == want["message"].tolist()
    assert not any(isinstance(v, float) and np.isnan(v) for c in got.columns.drop("geometry") for v in got[c])
