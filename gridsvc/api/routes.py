"""API routes: parse the request, call the repository, shape the answer. Nothing more."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Connection

from gridsvc import jsonbody
from gridsvc.analysis.metrics import code_pattern
from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.api.geojson import feature_collection, json_value
from gridsvc.db.engine import current_revision
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import no_code
from gridsvc.repository import read as repo
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports, suggestions

router = APIRouter(prefix="/api")


def get_conn(who: CallerDep) -> Iterator[Connection]:
    """A connection as the caller may see the database."""
    with who.db.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_conn)]
Layer = schemas.Layer
BBoxText = Annotated[
    str | None,
    Query(description="west,south,east,north in lon/lat (EPSG:4490)", examples=["117.25,31.85,117.30,31.86"]),
]


def _staff_rows(who, rows: list[dict]) -> list[dict]:
    """Staff rows with each phone number as the caller may see it."""
    for row in rows:
        row["phone"] = who.principal.phone(
            row["phone"], [(a["target_type"], a["target_id"]) for a in row["assignments"]]
        )
    return [{k: json_value(v) for k, v in row.items()} for row in rows]


def parse_bbox(value: str | None) -> repo.BBox | None:
    if value is None:
        return None
    parts = value.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"bbox 应是四个数：西,南,东,北；收到 {value!r}") from None
    if not (
        west < east
        and south < north
        and -180 <= west <= 180
        and -90 <= south <= 90
        and -180 <= east <= 180
        and -90 <= north <= 90
    ):
        raise InvalidInput(f"bbox {value!r} 不是经纬度范围（应西 < 东、南 < 北）")
    return repo.BBox(west, south, east, north)


@router.get("/health", response_model=None, responses=schemas.ok(schemas.Health))
def health(request: Request, who: CallerDep) -> dict:
    """Whether the service and its database answer (503 with Retry-After while the database is down).
    The schema revision is the owner's to read: one plain connection, not the caller's scoped one."""
    with request.app.state.engine.connect() as conn:
        return {"status": "ok", "database": "ok", "migration": current_revision(conn)}


@router.get(
    "/areas",
    response_model=None,
    responses=schemas.ok(schemas.FeatureCollection),
    summary="Districts, streets and communities as GeoJSON",
)
def areas(conn: ConnDep, level: schemas.AreaLevel | None = None, parent: str | None = None) -> Response:
    """The caller's areas: their scope, what lies below it and the areas it lies in."""
    return jsonbody.response(feature_collection(repo.areas(conn, level, parent), "code", name="areas"))


@router.get(
    "/grids",
    response_model=None,
    responses=schemas.ok(schemas.FeatureCollection),
    summary="Grids as GeoJSON, by layer, community and bbox",
)
def grids(
    who: CallerDep,
    conn: ConnDep,
    layer: Layer | None = None,
    community: Annotated[
        str | None, Query(pattern=r"^\d{6,12}$", description="community code (or a street/district prefix)")
    ] = None,
    bbox: BBoxText = None,
    on: Annotated[dt.date | None, Query(description="grids valid on this date (history)")] = None,
) -> Response:
    limit = who.settings.api_max_features
    gdf = repo.grids(conn, layer=layer, community=community, bbox=parse_bbox(bbox), on=on, limit=limit + 1)
    if len(gdf) > limit:  # said in the body, and where the rest are (the OGC items page on)
        return jsonbody.response(
            feature_collection(
                gdf.iloc[:limit],
                "code",
                name="grids",
                truncated=True,
                links=[{"rel": "next", "href": _ogc_grids(layer, bbox, limit)}],
            )
        )
    return jsonbody.response(feature_collection(gdf, "code", name="grids"))


@router.get(
    "/grids/{code}",
    response_model=None,
    responses=schemas.ok(schemas.Feature),
    summary="One current grid as a GeoJSON Feature",
)
def grid(who: CallerDep, conn: ConnDep, code: str) -> dict:
    found = repo.grids(conn, code=who.principal.check(code, "grid"))
    if found.empty:
        raise NotFound(no_code(code, "current_grid"))
    return feature_collection(found, "code")["features"][0]


@router.get(
    "/buildings",
    response_model=None,
    responses=schemas.ok(schemas.BuildingPage),
    summary="Buildings as GeoJSON, by grid, community or bbox",
)
def buildings(
    request: Request,
    who: CallerDep,
    conn: ConnDep,
    grid: Annotated[str | None, Query(pattern=code_pattern("grid"))] = None,
    community: Annotated[str | None, Query(pattern=code_pattern("community"))] = None,
    bbox: BBoxText = None,
    limit: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """Paged by ``limit``/``offset`` (at most GRIDSVC_API_MAX_FEATURES per page); large areas
    belong on vector tiles, not in one GeoJSON."""
    if grid and not repo.grid_exists(conn, who.principal.check(grid, "grid")):
        raise NotFound(no_code(grid, "current_grid"))
    if community and not repo.area_exists(conn, who.principal.check(community, "community")):
        raise NotFound(no_code(community, "community"))
    cap = who.settings.api_max_features
    limit = min(limit or cap, cap)
    gdf = repo.buildings(conn, grid=grid, community=community, bbox=parse_bbox(bbox), limit=limit + 1, offset=offset)
    more = len(gdf) > limit
    following = request.url.include_query_params(limit=limit, offset=offset + limit)
    links = [{"rel": "next", "href": f"{following.path}?{following.query}"}] if more else []
    return jsonbody.response(
        feature_collection(gdf.iloc[:limit], "id", name="buildings", limit=limit, offset=offset, more=more, links=links)
    )


@router.get(
    "/party-orgs",
    response_model=None,
    responses=schemas.ok(list[schemas.PartyOrg]),
    summary="Party organizations with their scope",
)
def party_orgs(
    conn: ConnDep, kind: schemas.PartyOrgKind | None = None, format: Literal["json", "geojson"] = "json"
) -> Response | list[dict]:
    """As a list, or with ``format=geojson`` as features without geometry (a Party organization is
    where its scope is, not a place)."""
    rows = [{k: json_value(v) for k, v in row.items()} for row in repo.party_orgs(conn, kind)]
    if format == "geojson":
        return _geojson_rows(rows, "party_orgs", geometry=lambda r: None)
    return rows


@router.get(
    "/organizations",
    response_model=None,
    responses=schemas.ok(list[schemas.Organization]),
    summary="两新组织 and resident units",
)
def organizations(
    conn: ConnDep, kind: str | None = None, format: Literal["json", "geojson"] = "json"
) -> Response | list[dict]:
    """As a list with lon/lat, or with ``format=geojson`` as point features."""
    rows = [{k: json_value(v) for k, v in row.items()} for row in repo.organizations(conn, kind)]
    if format == "geojson":
        point = lambda r: {"type": "Point", "coordinates": [r.pop("lon"), r.pop("lat")]}  # noqa: E731
        return _geojson_rows(rows, "organizations", geometry=point)
    return rows


def _ogc_grids(layer: str | None, bbox: str | None, offset: int) -> str:
    """Where the grids past the cap are: the OGC items of the same layer and box, paged."""
    collection = f"grids-{layer}" if layer else "grids"
    box = f"&bbox={bbox}" if bbox else ""
    return f"/ogc/collections/{collection}/items?limit=1000&offset={offset}{box}"


def _geojson_rows(rows: list[dict], name: str, geometry) -> Response:
    features = [{"type": "Feature", "id": r["id"], "geometry": geometry(r), "properties": r} for r in rows]
    body = {"type": "FeatureCollection", "name": name, "features": features}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/geo+json")


@router.get(
    "/staff",
    response_model=None,
    responses=schemas.ok(list[schemas.Staff]),
    summary="Grid staff with their assignments (phone numbers masked outside their area)",
)
def staff(
    who: CallerDep,
    conn: ConnDep,
    role: schemas.StaffRole | None = None,
    grid: Annotated[str | None, Query(pattern=code_pattern("grid"))] = None,
    active: Annotated[bool, Query(description="only assignments active today")] = False,
) -> list[dict]:
    """Phone numbers are whole only for registered users whose scope holds the staff member's work."""
    if grid:
        who.principal.check(grid, "grid")
    return _staff_rows(who, repo.staff(conn, role=role, grid=grid, active_on=dt.date.today() if active else None))


GapKind = schemas.GapKind
AreaCode = Annotated[
    str, Path(pattern=code_pattern(), description="district (6), street (9), community (12) or grid (15 digits)")
]


@router.get(
    "/coverage/{area_code}",
    response_model=None,
    responses=schemas.ok(schemas.CoverageTree),
    summary="Coverage tree of an area (domain.md §5)",
)
def coverage(who: CallerDep, area_code: AreaCode) -> Response:
    """One node per area — ``area``, ``metrics`` {key: {value, numerator, denominator}}, ``children`` —
    down to the grids; rates are sums of numerators over sums of denominators, null when nothing counts."""
    cov = coverage_service.coverage(who.db, who.area(area_code), limits=who.limits)
    return jsonbody.response(cov.tree(area_code) | {"generated": cov.scene.generated})


@router.get(
    "/gaps",
    response_model=None,
    responses=schemas.ok(schemas.GapCollection),
    summary="Coverage gaps as GeoJSON, most severe first",
)
def gaps(
    who: CallerDep,
    area: Annotated[str | None, Query(pattern=code_pattern())] = None,
    kind: GapKind | None = None,
    severity: schemas.Severity | None = None,
) -> Response:
    """Without ``area``: the caller's whole scope."""
    area = who.area(area)
    cov = coverage_service.coverage(who.db, area, limits=who.limits)
    found = cov.gap_list(area, kind)
    if severity:
        found = found[found["severity"] == severity]
    collection = feature_collection(found.assign(id=range(1, len(found) + 1)), "id", generated=cov.scene.generated)
    return jsonbody.response(collection)


@router.get(
    "/suggestions/joint-branches",
    response_model=None,
    responses=schemas.ok(schemas.JointBranches),
    summary="Suggested joint Party branches for small uncovered units (domain.md rule 16)",
)
def joint_branch_suggestions(
    who: CallerDep, area: Annotated[str, Query(pattern=code_pattern("district", "street", "community"))]
) -> dict:
    """Groups of at most 5 adjacent uncovered 两新 organizations with at least 3 full members
    together, placing the most units at the least total distance; and the units no group can take."""
    return suggestions.joint_branches(who.db, who.area(area), limits=who.limits)


@router.get(
    "/alignment/{community}",
    response_model=None,
    responses=schemas.ok(schemas.Alignment),
    summary="Alignment of a community's two grid layers",
)
def alignment(who: CallerDep, community: Annotated[str, Path(pattern=code_pattern("community"))]) -> dict:
    """``alignment_rate``, matched ``pairs`` with households and IoU, ``unmatched`` grids, and the
    ``moves`` that would make the Party layer follow the governance layer, with what each disturbs."""
    return coverage_service.alignment(who.db, who.principal.check(community, "community"), limits=who.limits).as_json()


@router.get(
    "/grids/{code}/coverage",
    response_model=None,
    responses=schemas.ok(schemas.GridCoverage),
    summary="One grid: metrics, buildings with status, staff, gaps",
)
def grid_coverage(who: CallerDep, code: Annotated[str, Path(pattern=code_pattern("grid"))]) -> dict:
    """One connection at a time (never a second while holding the first): see api.guard.Admission."""
    with who.db.connect() as conn:
        if not repo.grid_exists(conn, who.principal.check(code, "grid")):
            raise NotFound(no_code(code, "current_grid"))
    cov = coverage_service.coverage(who.db, code, limits=who.limits)
    node = cov.tree(code)
    buildings = cov.grid_buildings(code)
    with who.db.connect() as conn:
        staff_rows = _staff_rows(who, repo.staff(conn, grid=code, active_on=cov.scene.as_of))
    columns = ["id", "status", "residential", "households", "full_members", "eligible", "covered", "has_leader"]
    return {
        "area": node["area"],
        "metrics": node["metrics"],
        "generated": cov.scene.generated,
        "buildings": [{k: json_value(v) for k, v in r.items()} for r in buildings[columns].to_dict("records")],
        "staff": [r for r in staff_rows if r["assignments"]],
        "gaps": feature_collection(cov.gap_list(code).assign(id=lambda g: range(1, len(g) + 1)), "id"),
    }


@router.get(
    "/export",
    summary="Everything the caller may see, as an exchange GeoPackage (EPSG:4490)",
    response_class=Response,
    responses={200: {"content": {"application/geopackage+sqlite3": {}}}},
)
def export(who: CallerDep) -> Response:
    """The layers of exchange-format.md, holding only rows inside the caller's scope; phone numbers
    whole only where the caller may see them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / "export.gpkg"
        imports.export_file(who.db, path)
        body = path.read_bytes()
    name = f"gridsvc-{who.principal.scope or 'all'}.gpkg"
    return Response(
        body,
        media_type="application/geopackage+sqlite3",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
