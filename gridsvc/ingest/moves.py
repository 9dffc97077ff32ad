"""Datum mistakes caught on update: many stored buildings shifted alike by a few hundred metres.

GCJ-02 (the datum of Gaode and Tencent maps) lies 100–700 m from CGCS2000/WGS84 across China, the
same way for every building of a town. So when an update moves many already-stored buildings by
one such offset, the file is almost surely in the other datum (``--datum`` missing, or given when
the file is already CGCS2000). Real edits move a few buildings, each its own way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MOVED_M = 50.0  # a building moved at least this far counts as moved
SIGNATURE_M = (100.0, 700.0)  # how far GCJ-02 (and BD-09) lie from CGCS2000 in China
ALIKE_M = 30.0  # moves within this distance of their median move are "alike"
MIN_MOVED = 5  # fewer moved buildings are edits, not a datum
MIN_SHARE = 0.5  # of the buildings matched by id, at least this share must move alike


@dataclass(frozen=True)
class Shift:
    moved: int  # stored buildings the update moves alike
    matched: int  # stored buildings the update names
    east_m: float  # the median move
    north_m: float

    @property
    def distance_m(self) -> float:
        return float(np.hypot(self.east_m, self.north_m))

    def __str__(self) -> str:
        return (
            f"文件中已入库的 {self.matched} 栋楼有 {self.moved} 栋会整体移动约 {self.distance_m:.0f} 米"
            f"（向东 {self.east_m:+.0f} 米，向北 {self.north_m:+.0f} 米）：这是把 GCJ-02（高德/腾讯）坐标"
            "当作 CGCS2000/WGS84 读取（或反过来）的特征"
        )


def consistent_shift(old: np.ndarray, new: np.ndarray) -> Shift | None:
    """The datum-like shift between stored (``old``) and incoming (``new``) lon/lat points of the
    same buildings (n × 2 arrays), or None when the moves look like ordinary edits.

    >>> old = np.array([[118.78 + i / 1000, 32.04] for i in range(10)])
    >>> str(consistent_shift(old, old + [0.0050, 0.0020])).split("（")[0]
    '文件中已入库的 10 栋楼有 10 栋会整体移动约 521 米'
    >>> consistent_shift(old, old + [[0.005 * np.cos(i), 0.005 * np.sin(i)] for i in range(10)]) is None  # not alike
    True
    """
    if len(old) == 0:
        return None
    lat = np.radians(old[:, 1])
    east = (new[:, 0] - old[:, 0]) * 111_320.0 * np.cos(lat)
    north = (new[:, 1] - old[:, 1]) * 110_540.0
    moved = np.hypot(east, north) >= MOVED_M
    if moved.sum() < MIN_MOVED:
        return None
    median = np.median(east[moved]), np.median(north[moved])
    alike = moved & (np.hypot(east - median[0], north - median[1]) <= ALIKE_M)
    shift = Shift(int(alike.sum()), len(old), float(median[0]), float(median[1]))
    low, high = SIGNATURE_M
    if alike.sum() < MIN_MOVED or alike.sum() < MIN_SHARE * len(old) or not low <= shift.distance_m <= high:
        return None
    return shift
