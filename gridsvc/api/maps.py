"""Map pages: the same maps as ``gridsvc map``, loading Leaflet from this server's /static."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from gridsvc.analysis.metrics import code_pattern
from gridsvc.api import guard, schemas
from gridsvc.api.auth import Caller, CallerDep
from gridsvc.errors import InvalidInput
from gridsvc.rendering.common import style
from gridsvc.repository import read as repo
from gridsvc.services import maps

router = APIRouter(prefix="/maps")
BasemapKind = Annotated[
    str | None, Query(pattern="^(none|xyz|tianditu|amap)$", description="base map; default GRIDSVC_BASEMAP")
]


def _page(who: Caller, draw, code: str, what: str, basemap: str | None, **options) -> HTMLResponse:
    """The map ``draw`` makes of ``code`` (inside the caller's scope), with the configured base map and
    thresholds, loading Leaflet from this server; its Content-Security-Policy runs only its own scripts."""
    base = maps.basemap_from(who.settings, basemap)
    return _served(
        draw(who.db, who.principal.check(code, what), base, inline=False, limits=who.limits, **options), base
    )


def _served(page: str, base) -> HTMLResponse:
    """A map page with the Content-Security-Policy that runs only its own scripts (and tiles from
    the base map's origin)."""
    tile_origin = guard.origin_of(base.tile_url)
    page, policy = guard.page_policy(page, (tile_origin,) if tile_origin else ())
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


@router.get("/coverage/{code}", response_class=HTMLResponse, summary="The coverage-gap map of an area")
def coverage_page(
    who: CallerDep,
    code: Annotated[str, Path(pattern=code_pattern("district", "street", "community"))],
    metric: str = "building_group_coverage",
    basemap: BasemapKind = None,
    joint_branches: Annotated[
        bool | None, Query(description="draw the suggested joint branches; default: for a community or a street")
    ] = None,
) -> HTMLResponse:
    """Grids coloured by ``metric``, gap areas and markers by kind; buildings come as vector tiles."""
    return _page(
        who,
        maps.coverage_map_html,
        code,
        "area",
        basemap,
        metric=metric,
        tiles_url="/tiles/buildings/{z}/{x}/{y}.pbf",
        editable=who.principal.may("organize"),
        joint_branches=joint_branches,
    )


@router.get("/alignment/{code}", response_class=HTMLResponse, summary="The two grid layers of a community")
def alignment_page(
    who: CallerDep, code: Annotated[str, Path(pattern=code_pattern("community"))], basemap: BasemapKind = None
) -> HTMLResponse:
    return _page(who, maps.alignment_map_html, code, "community", basemap)


@router.get("/plans/{plan_id}", response_class=HTMLResponse, summary="A redraw plan over today's grids")
def plan_page(
    who: CallerDep, plan_id: Annotated[int, Path(ge=1, le=2**31 - 1)], basemap: BasemapKind = None
) -> HTMLResponse:
    """The plan's grids coloured by households against the band, today's two layers with a swipe,
    the buildings that change grid, the plan's problems and its scores. Row-level security decides
    which plans a caller sees: another's plan is a 404."""
    base = maps.basemap_from(who.settings, basemap)
    page = maps.plan_map_html(
        who.db, plan_id, base, inline=False, limits=who.limits, editable=who.principal.may("plan")
    )
    return _served(page, base)


@router.get("/grids/{code}", response_class=HTMLResponse, summary="The grid leader's map of one grid")
def grid_page(
    who: CallerDep, code: Annotated[str, Path(pattern=code_pattern("grid"))], basemap: BasemapKind = None
) -> HTMLResponse:
    return _page(who, maps.grid_map_html, code, "grid", basemap, editable=who.principal.may("edit"))


tiles = APIRouter(prefix="/tiles")
TILE_FIELDS = {
    "buildings": {"id": "String", "name": "String", "use": "String", "households": "Number", "full_members": "Number"},
    "grids": {"id": "String", "name": "String", "layer": "String", "community_code": "String"},
}


@tiles.get("/style.json", responses=schemas.ok(schemas.MapStyle), summary="A MapLibre style of gridsvc's tiles")
def map_style(request: Request, who: CallerDep) -> dict:
    """Grids in their layer's colours, buildings as footprints from zoom 15 and as points below it,
    from this server's tiles (MapLibre GL style 8)."""
    base = str(request.base_url).rstrip("/")
    layers = style()["layers"]
    by_layer = ["match", ["get", "layer"], *(v for k, spec in layers.items() for v in (k, spec["stroke"])), "#888888"]
    return {
        "version": 8,
        "name": "gridsvc",
        "sources": {
            "grids": {"type": "vector", "url": f"{base}/tiles/grids.json"},
            "buildings": {"type": "vector", "url": f"{base}/tiles/buildings.json"},
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": style()["context"]["background"]}},
            {
                "id": "grids-fill",
                "type": "fill",
                "source": "grids",
                "source-layer": "grids",
                "paint": {"fill-color": by_layer, "fill-opacity": 0.15},
            },
            {
                "id": "grids-line",
                "type": "line",
                "source": "grids",
                "source-layer": "grids",
                "paint": {"line-color": by_layer, "line-width": 2},
            },
            {
                "id": "building-points",
                "type": "circle",
                "source": "buildings",
                "source-layer": "building_points",
                "maxzoom": 15,
                "paint": {"circle-radius": 2, "circle-color": "#566573"},
            },
            {
                "id": "buildings",
                "type": "fill",
                "source": "buildings",
                "source-layer": "buildings",
                "minzoom": 15,
                "paint": {"fill-color": "#aab7b8", "fill-outline-color": "#566573", "fill-opacity": 0.8},
            },
        ],
    }


@tiles.get("/{layer}.json", responses=schemas.ok(schemas.TileJson), summary="TileJSON 3.0 of a tile layer")
def tilejson(request: Request, who: CallerDep, layer: Literal["buildings", "grids"]) -> dict:
    """Where the layer's tiles are and what their features carry; ``bounds``: what the caller sees."""
    from gridsvc.repository import ogc

    with who.db.connect() as conn:
        box = ogc.extent(conn, ogc.COLLECTIONS[layer])
    base = str(request.base_url).rstrip("/")
    return {
        "tilejson": "3.0.0",
        "name": f"gridsvc {layer}",
        "tiles": [f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"],
        "minzoom": 0,
        "maxzoom": 22,
        "bounds": box or [-180, -85, 180, 85],
        "vector_layers": [
            {"id": layer, "fields": TILE_FIELDS[layer], "minzoom": 15 if layer == "buildings" else 0, "maxzoom": 22}
        ]
        + (
            [{"id": "building_points", "fields": TILE_FIELDS[layer], "minzoom": 0, "maxzoom": 14}]
            if layer == "buildings"
            else []
        ),
    }


@tiles.get(
    "/{layer}/{z}/{x}/{y}.pbf",
    summary="Mapbox vector tile of buildings or grids (ST_AsMVT)",
    response_class=Response,
    responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}},
)
def tile(
    request: Request,
    who: CallerDep,
    layer: Literal["buildings", "grids"],
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """Only what the caller may see; so a tile is cached by the browser alone, unless anyone may see
    everything. Its ETag is the data's version and the caller's scope: a tile asked again with
    ``If-None-Match`` is answered 304 until the data changes."""
    if x >= 2**z or y >= 2**z:
        raise InvalidInput(f"瓦片 {z}/{x}/{y} 不存在：x 和 y 应小于 2^{z}")
    shared = who.principal.scope is None and not who.settings.auth_required
    headers = {"Cache-Control": f"{'public' if shared else 'private'}, max-age=300"}

    def tag(version: int) -> str:
        return f'W/"{version}-{who.principal.scope or "all"}-{layer}-{z}-{x}-{y}"'

    with who.db.connect() as conn:
        if request.headers.get("if-none-match"):  # the data's version first: the tile may not be needed
            version = conn.scalar(text("SELECT version FROM data_version"))
            if request.headers["if-none-match"] == tag(version):
                return Response(status_code=304, headers=headers | {"ETag": tag(version)})
        version, data = repo.vector_tile(conn, layer, z, x, y)
    return Response(data, media_type="application/vnd.mapbox-vector-tile", headers=headers | {"ETag": tag(version)})
