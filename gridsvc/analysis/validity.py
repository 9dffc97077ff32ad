"""Why a geometry is not a valid polygon, in the words users read: GEOS says it in English
(``Self-intersection[118.7811 32.0401]``), imports, repairs and plans say it in Chinese."""

from __future__ import annotations

import shapely

GEOS_SAYS = {  # GEOS's TopologyValidationError messages
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Hole lies outside shell": "洞在外环之外",
    "Holes are nested": "洞相互嵌套",
    "Nested shells": "外环相互嵌套",
    "Interior is disconnected": "内部被洞分割成不相连的几块",
    "Too few points in geometry component": "组成部分的点太少",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
    "Duplicate Rings": "环重复",
    "Repeated Point": "点重复",
}
POLYGONAL = ("Polygon", "MultiPolygon")  # the kinds an area's polygon may be (imports, plans)
EMPTY = "几何为空"


def wrong_kind(kind: str, allowed) -> str:
    """A geometry of a kind its layer does not take.

    >>> wrong_kind("LineString", POLYGONAL)
    '是 LineString，应为 Polygon 或 MultiPolygon'
    """
    return f"是 {kind}，应为 {' 或 '.join(allowed)}"


def invalid_reason(geom: shapely.Geometry, where: bool = True) -> str:
    """Why GEOS finds ``geom`` invalid, in Chinese, with where (``where``); a message GEOS adds
    later stays as GEOS says it.

    >>> invalid_reason(shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))"))
    '自相交（1, 1 处）'
    >>> invalid_reason(shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))"), where=False)
    '自相交'
    """
    name, _, at = shapely.is_valid_reason(geom).partition("[")
    said = GEOS_SAYS.get(name.strip(), name.strip())
    return f"{said}（{', '.join(at.rstrip(']').split())} 处）" if where and at else said


def not_a_polygon(geom: shapely.Geometry | None) -> str | None:
    """Why ``geom`` cannot be an area's polygon (missing, empty, another kind, invalid), or None.

    >>> not_a_polygon(shapely.LineString([(0, 0), (1, 1)])), not_a_polygon(shapely.box(0, 0, 1, 1))
    ('是 LineString，应为 Polygon 或 MultiPolygon', None)
    """
    if geom is None:
        return "没有几何"
    if geom.is_empty:
        return EMPTY
    if geom.geom_type not in POLYGONAL:
        return wrong_kind(geom.geom_type, POLYGONAL)
    return None if geom.is_valid else invalid_reason(geom)
