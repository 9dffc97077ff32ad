"""Maps as the CLI writes them and the API serves them: data from coverage, drawing from rendering."""

from __future__ import annotations

from sqlalchemy import Engine

from gridsvc import services
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.privacy import mask_phone
from gridsvc.rendering.common import Basemap
from gridsvc.rendering.grid_map import GridMapData, buildings_frame, grid_map
from gridsvc.rendering.offline import finalize
from gridsvc.repository import read as repo
from gridsvc.settings import Settings

CONTEXT_MARGIN_DEG = 0.002  # roads drawn this far around the grid (≈ 200 m)


def basemap_from(settings: Settings, kind: str | None = None) -> Basemap:
    kind = kind or settings.basemap
    if kind not in ("none", "xyz", "tianditu", "amap"):
        raise InvalidInput(f"unknown base map {kind!r}; expected none, xyz, tianditu or amap")
    if kind == "xyz" and not settings.basemap_url:
        raise InvalidInput("the xyz base map needs GRIDSVC_BASEMAP_URL (a {z}/{x}/{y} tile URL template)")
    if kind == "tianditu" and not settings.tianditu_key:
        raise InvalidInput("the Tianditu base map needs a key: set GRIDSVC_TIANDITU_KEY")
    return Basemap(kind, settings.basemap_url, settings.tianditu_key)


def grid_map_html(engine: Engine, code: str, basemap: Basemap, inline: bool = True) -> str:
    """The grid leader's map of grid ``code`` as an HTML page."""
    with engine.connect() as conn:
        if not repo.grid_exists(conn, code):
            raise NotFound(f"no current grid with code {code!r}")
    cov = services.coverage(engine, code)
    scene = cov.scene
    grid = scene.grids[scene.grids["code"] == code]
    community = scene.communities[scene.communities["code"] == grid["community_code"].iloc[0]]
    buildings = buildings_frame(cov.grid_buildings(code), scene.buildings)
    west, south, east, north = grid.total_bounds
    with engine.connect() as conn:
        staff = repo.staff(conn, grid=code, active_on=scene.as_of)
        roads = repo.roads(conn, repo.BBox(west - CONTEXT_MARGIN_DEG, south - CONTEXT_MARGIN_DEG,
                                           east + CONTEXT_MARGIN_DEG, north + CONTEXT_MARGIN_DEG))
    active = [s | {"phone": mask_phone(s["phone"])} for s in staff if s["assignments"]]
    osm = bool(scene.buildings.get("osm_id", []).notna().any()) if len(scene.buildings) else False
    data = GridMapData(grid, community, buildings, active, cov.gap_list(code), cov.metrics(code), roads,
                       scene.generated, osm)
    return finalize(grid_map(data, basemap).get_root().render(), inline=inline)
