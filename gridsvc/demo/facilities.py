"""Generated service facilities (domain.md §8.4): a street centre per street, a community centre in
every community but one (the planted ``no_community_centre``), a station in every third staff-side
grid (none in that community, so some households are beyond a station's reach); each in the
building nearest the middle of its area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.demo.overlay import Plants

NO_CENTRE = 2  # the third community has no community centre


def place(communities: pd.DataFrame, rects: list, grids: gpd.GeoDataFrame, b: gpd.GeoDataFrame, plants: Plants, rng):
    """The facilities, in the buildings' metric CRS (id, name, level, floor_area, building_id, geometry)."""
    rows = []
    xy = b[["x", "y"]].to_numpy()

    def at(mask: np.ndarray, middle: tuple[float, float]) -> int | None:
        rows_ = np.flatnonzero(mask)
        if not len(rows_):
            return None
        return int(rows_[np.hypot(*(xy[rows_] - middle).T).argmin()])

    def add(fid: str, name: str, level: str, k: int | None, area: tuple[int, int]) -> None:
        if k is not None:
            rows.append(
                {
                    "id": fid,
                    "name": name,
                    "level": level,
                    "floor_area": int(rng.integers(*area)),
                    "building_id": b["id"].iloc[k],
                    "geometry": shapely.Point(xy[k]),
                }
            )

    for street, mine in communities.groupby("street_code", sort=True):
        box = shapely.union_all([shapely.box(*rects[i]) for i in mine.index]).centroid
        inside = b["community"].isin(mine["code"]).to_numpy()
        add(
            f"fac-{street}",
            f"{mine['street_name'].iloc[0]}街道党群服务中心",
            "street_centre",
            at(inside, (box.x, box.y)),
            (800, 2000),
        )
    for i, c in communities.iterrows():
        if i == NO_CENTRE:
            plants.add("no_community_centre", c["code"], "社区没有党群服务中心")
            continue
        middle = shapely.box(*rects[i]).centroid
        k = at((b["community"] == c["code"]).to_numpy(), (middle.x, middle.y))
        add(f"fac-{c['code']}", f"{c['name']}党群服务中心", "community_centre", k, (300, 800))
    side = grids[grids["layer"].isin(["governance", "unified"])].sort_values("code")
    bare = communities["code"].iloc[NO_CENTRE] if len(communities) > NO_CENTRE else None
    for n, g in enumerate(side.itertuples()):
        if n % 3 or g.community_code == bare:  # stations are few: households beyond reach show up
            continue
        middle = g.geometry.representative_point()
        k = at(shapely.contains(g.geometry, shapely.points(xy)), (middle.x, middle.y))
        add(f"fac-{g.code}", f"{g.name}党群服务站", "grid_station", k, (40, 150))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=grids.crs) if rows else None
