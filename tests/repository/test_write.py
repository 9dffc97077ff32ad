"""The writer's EWKB is byte for byte what shapely writes with an SRID."""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.repository.write import ewkb_hex


def test_ewkb_hex_matches_shapely_with_srid():
    geoms = np.array(
        [
            shapely.Point(118.78, 32.04),
            shapely.box(118.78, 32.04, 118.79, 32.05),
            shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
            shapely.MultiLineString([[(0, 0), (1, 1)]]),
            None,
        ],
        dtype=object,
    )
    expected = [
        None if g is None else shapely.to_wkb(shapely.set_srid(g, 4490), hex=True, include_srid=True) for g in geoms
    ]
    assert ewkb_hex(geoms).to_pylist() == expected


def test_ewkb_hex_drops_z():
    assert ewkb_hex(np.array([shapely.Point(1, 2, 3)]))[0].as_py() == shapely.to_wkb(
        shapely.set_srid(shapely.Point(1, 2), 4490), hex=True, include_srid=True
    )
