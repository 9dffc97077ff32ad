"""OGC API – Features (Part 1: Core, GeoJSON) at ``/ogc``, for QGIS, GDAL (OAPIF) and OWSLib.

The same caller, scope and row-level security as every other route: a collection holds exactly what
the caller may see. Features come as GeoJSON built by PostGIS (``repository.ogc``), paged with
``limit``/``offset`` and ``next`` links; ``bbox`` filters, ``datetime`` shows a grid layer as it
stood on a day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pyproj import CRS

from gridsvc.analysis.crs import metric_epsg
from gridsvc.api import ogc_html, openapi30, schemas
from gridsvc.api.auth import CallerDep
from gridsvc.api.routes import parse_bbox
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import not_found
from gridsvc.repository import cql2, ogc
from gridsvc.repository.read import BBox
from gridsvc.services import coverage as coverage_service
from gridsvc.services.maps import named_gaps


def known_parameters(request: Request) -> None:
    """Part 1 (/req/core/query-param-unknown): a query parameter the route does not define is a 400, so a
    misspelt ``bbbox`` is not silently ignored. ``f`` (the format) is allowed everywhere."""
    known, todo = {"f"}, [request.scope["route"].dependant] if "route" in request.scope else []
    while todo:
        dependant = todo.pop()
        known |= {p.alias for p in dependant.query_params}
        todo += dependant.dependencies
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidInput(f"未知查询参数 {', '.join(unknown)}；此路径接受 {', '.join(sorted(known))}")


router = APIRouter(prefix="/ogc", tags=["ogc"], dependencies=[Depends(known_parameters)])
GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, kind: str = "application/json", title: str | None = None) -> dict:
    return {"href": href, "rel": rel, "type": kind} | ({"title": title} if title else {})


@router.get("/", include_in_schema=False, response_model=None)
@router.get(
    "", response_model=None, responses=schemas.ok(schemas.OgcLanding), summary="OGC API – Features: landing page"
)
def landing(request: Request, who: CallerDep) -> dict | HTMLResponse:
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    doc = {
        "title": "gridsvc",
        "description": "网格化管理：网格、楼栋、组织（OGC API – Features）",
        "links": [
            _link(base, "self"),
            _link(f"{base}/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
            _link(f"{root}/docs", "service-doc", "text/html"),
            _link(f"{base}/conformance", "conformance"),
            _link(f"{base}/collections", "data"),
        ],
    }
    return ogc_html.landing_page(doc) if ogc_html.wanted(request) else doc


@router.get("/api", include_in_schema=False)
def api_definition(request: Request) -> JSONResponse:
    """The API description in OpenAPI 3.0 (``service-desc``); ``/openapi.json`` has it in 3.1."""
    return JSONResponse(
        openapi30.document(request.app.openapi()), media_type="application/vnd.oai.openapi+json;version=3.0"
    )


@router.get(
    "/conformance",
    response_model=None,
    responses=schemas.ok(schemas.OgcConformance),
    summary="OGC API – Features: conformance",
)
def conformance(request: Request, who: CallerDep) -> dict | HTMLResponse:
    return ogc_html.conformance_page(CONFORMANCE) if ogc_html.wanted(request) else {"conformsTo": CONFORMANCE}


EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
STORAGE = f"{EPSG}4490"  # CGCS2000 lon/lat, as stored (WGS84 treated as equal, domain.md §3)


def crs_list(box: list[float] | None) -> list[str]:
    """The CRSs a collection answers in: CRS84, CGCS2000 (EPSG:4490), WGS84 (EPSG:4326) and the
    CGCS2000 3-degree Gauss-Krüger zone of its data."""
    found = [CRS84, STORAGE, f"{EPSG}4326"]
    if box:
        found.append(f"{EPSG}{metric_epsg((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)}")
    return found


def _output(uri: str | None, allowed: list[str]) -> ogc.Output:
    """How to write coordinates in the CRS ``uri`` names (Part 2): its axis order, its units."""
    if uri is None or uri == CRS84:
        return ogc.Output()
    if uri not in allowed:
        raise InvalidInput(f"crs {uri!r}：此集合只提供 {', '.join(allowed)}")
    code = int(uri.rsplit("/", 1)[1])
    north = CRS.from_epsg(code).axis_info[0].direction in ("north", "south")
    if code in (4490, 4326):
        return ogc.Output(None, north)
    return ogc.Output(code, north, 3)


def _box_in(value: str | None, uri: str | None, allowed: list[str]) -> tuple[BBox | None, int | None]:
    """``bbox`` given in ``bbox-crs`` (axis order as that CRS has it) as x/y and the SRID to read it in."""
    if value is None or uri is None or uri == CRS84:
        return parse_bbox(value), None
    output = _output(uri, allowed)
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise InvalidInput(f"bbox {value!r}：应是四个数") from None
    if len(numbers) != 4:
        raise InvalidInput(f"bbox {value!r}：应是四个数")
    a, b, c, d = numbers
    west, south, east, north = (b, a, d, c) if output.north_first else (a, b, c, d)
    if not (west < east and south < north):
        raise InvalidInput(f"bbox {value!r}：应先写最小值，按 {uri} 的坐标轴顺序")
    return BBox(west, south, east, north), output.srid or 4490


def _collection(request: Request, conn, c: ogc.Collection) -> dict:
    base = _base(request)
    box = ogc.extent(conn, c)
    return {
        "id": c.id,
        "title": c.title,
        "itemType": "feature",
        "crs": crs_list(box),
        "storageCrs": STORAGE,
        "extent": {"spatial": {"bbox": [box] if box else [[-180, -90, 180, 90]], "crs": CRS84}},
        "links": [
            _link(f"{base}/collections/{c.id}", "self"),
            _link(f"{base}/collections/{c.id}/items", "items", GEOJSON),
            _link(
                f"{base}/collections/{c.id}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
        ],
    }


@router.get(
    "/collections",
    response_model=None,
    responses=schemas.ok(schemas.OgcCollections),
    summary="OGC API – Features: the collections",
)
def collections(request: Request, who: CallerDep) -> dict | HTMLResponse:
    with who.db.connect() as conn:
        found = [_collection(request, conn, c) for c in ogc.COLLECTIONS.values()]
    doc = {"links": [_link(f"{_base(request)}/collections", "self")], "collections": found}
    return ogc_html.collections_page(doc) if ogc_html.wanted(request) else doc


def _named(collection_id: str) -> ogc.Collection:
    if collection_id not in ogc.COLLECTIONS:
        raise NotFound(f"{not_found('collection', collection_id, scoped=False)}；可用的有 {'、'.join(ogc.COLLECTIONS)}")
    return ogc.COLLECTIONS[collection_id]


CollectionId = Annotated[str, Path(max_length=40)]


@router.get(
    "/collections/{collection_id}",
    response_model=None,
    responses=schemas.ok(schemas.OgcCollection),
    summary="OGC API – Features: one collection",
)
def collection(request: Request, who: CallerDep, collection_id: CollectionId) -> dict | HTMLResponse:
    c = _named(collection_id)
    with who.db.connect() as conn:
        doc = _collection(request, conn, c)
    return ogc_html.collection_page(doc) if ogc_html.wanted(request) else doc


@router.get(
    "/collections/{collection_id}/queryables",
    responses=schemas.ok(schemas.OgcQueryables),
    summary="OGC API – Features: what a filter may name (Part 3)",
)
def queryables(request: Request, who: CallerDep, collection_id: CollectionId) -> JSONResponse:
    c = _named(collection_id)
    with who.db.connect() as conn:
        found = ogc.queryables(conn, c)
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_base(request)}/collections/{c.id}/queryables",
        "type": "object",
        "title": c.title,
        "properties": found,
        "additionalProperties": False,
    }
    return JSONResponse(body, media_type="application/schema+json")


@contextmanager
def _reading(who, c: ogc.Collection) -> Iterator:
    """A connection to read ``c`` on, as the caller; for the gaps, with the caller's gap list staged
    (the same cached coverage as ``/api/gaps``, worked out before the connection is taken)."""
    if c.computed:
        area = who.area(None)
        cov = coverage_service.coverage(who.db, area, limits=who.limits)
        gaps = named_gaps(cov.gap_list(area), cov.scene)
    with who.db.connect() as conn:
        if c.computed:
            ogc.stage_gaps(conn, gaps)
        yield conn


def _day(value: str | None, c: ogc.Collection) -> dt.date | None:
    """``datetime`` as one day (an instant; grids only)."""
    if value is None:
        return None
    if not c.dated:
        raise InvalidInput(f"datetime：集合 {c.id!r} 没有时间维度；网格有（某一天的网格）")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"datetime {value!r}：请给出一天，如 2025-06-30") from None


def _properties(value: str | None, c: ogc.Collection) -> tuple[str, ...] | None:
    if value is None:
        return None
    asked = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in asked if p not in c.properties]
    if unknown:
        raise InvalidInput(f"properties：{c.id!r} 中没有 {', '.join(unknown)}；它有 {', '.join(c.properties)}")
    return asked


def _sortby(value: str | None, c: ogc.Collection) -> tuple[tuple[str, bool], ...]:
    if value is None:
        return ()
    order = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        name = part.lstrip("+-")
        if name not in c.properties:
            raise InvalidInput(f"sortby：{c.id!r} 中没有 {name!r}；它有 {', '.join(c.properties)}")
        order.append((name, part.startswith("-")))
    return tuple(order)


@router.get(
    "/collections/{collection_id}/items",
    response_class=Response,
    responses=schemas.ok(schemas.OgcItems),  # (served as application/geo+json)
    summary="OGC API – Features: the features, paged",
)
def items(
    request: Request,
    who: CallerDep,
    collection_id: CollectionId,
    bbox: Annotated[str | None, Query(description="west,south,east,north (CRS84)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    datetime: Annotated[str | None, Query(description="a day: grids as they stood then")] = None,
    properties: Annotated[str | None, Query(description="the properties to return, comma separated")] = None,
    sortby: Annotated[str | None, Query(description="e.g. -households,+name (Part 3)")] = None,
    crs: Annotated[str | None, Query(description="the CRS of the answer (Part 2), one of the collection's")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="the CRS of bbox (Part 2)")] = None,
    filter: Annotated[  # noqa: A002 - the standard's parameter name
        str | None, Query(max_length=4000, description="CQL2-text on simple comparisons, e.g. households >= 100")
    ] = None,
    filter_lang: Annotated[Literal["cql2-text"], Query(alias="filter-lang")] = "cql2-text",
) -> Response:
    c = _named(collection_id)
    on = _day(datetime, c)
    chosen = _properties(properties, c)
    order = _sortby(sortby, c)
    condition = cql2.compile_filter(filter, set(c.properties)) if filter else None
    with _reading(who, c) as conn:
        allowed = crs_list(ogc.extent(conn, c)) if (crs or bbox_crs) else [CRS84]
        box, box_srid = _box_in(bbox, bbox_crs, allowed)
        output = _output(crs, allowed)
        features, more = ogc.items(conn, c, box, limit, offset, on, chosen, order, output, box_srid, condition)
    url = request.url
    links = [_link(str(url), "self", GEOJSON)]
    if more:
        links.append(_link(str(url.include_query_params(offset=offset + limit, limit=limit)), "next", GEOJSON))
    if offset:
        links.append(_link(str(url.include_query_params(offset=max(0, offset - limit), limit=limit)), "prev", GEOJSON))
    if ogc_html.wanted(request):
        return ogc_html.items_page(c.title, [json.loads(f) for f in features], links)
    members = {
        "numberReturned": len(features),
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    body = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]," + json.dumps(members)[1:]
    headers = {
        "Content-Crs": f"<{crs or CRS84}>",
        "Link": ", ".join(f'<{k["href"]}>; rel="{k["rel"]}"; type="{GEOJSON}"' for k in links),
    }
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collection_id}/items/{fid}",
    response_class=Response,
    responses=schemas.ok(schemas.Feature),
    summary="OGC API – Features: one feature",
)
def feature(
    request: Request,
    who: CallerDep,
    collection_id: CollectionId,
    fid: Annotated[str, Path(max_length=200)],
    crs: Annotated[str | None, Query(description="the CRS of the answer (Part 2)")] = None,
) -> Response:
    c = _named(collection_id)
    with _reading(who, c) as conn:
        output = _output(crs, crs_list(ogc.extent(conn, c)) if crs else [CRS84])
        found = ogc.item(conn, c, fid, output)
    if found is None:
        raise NotFound(f"{not_found('feature', fid)}（数据集 {collection_id!r}）")
    links = [
        _link(str(request.url), "self", GEOJSON),
        _link(f"{_base(request)}/collections/{c.id}", "collection"),
    ]
    if ogc_html.wanted(request):
        return ogc_html.feature_page(c.title, json.loads(found), links)
    return Response(
        found[:-1] + ',"links":' + json.dumps(links) + "}",
        media_type=GEOJSON,
        headers={"Content-Crs": f"<{crs or CRS84}>"},
    )
