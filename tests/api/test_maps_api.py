"""Map pages, static assets and vector tiles through the API."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes


@pytest.fixture
def client(db, settings, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "coverage.gpkg", s.frames()))
    with TestClient(create_app(settings)) as client:
        yield client


def test_map_pages_and_their_assets(client):
    page = client.get(f"/maps/grids/{s.G1}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.search(r'<script nonce="[^"]+" src="/static/vendor/leaflet/dist/leaflet.js">', page.text)
    assert client.get("/static/vendor/leaflet/dist/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/dist/leaflet.css").status_code == 200
    coverage = client.get(f"/maps/coverage/{s.DISTRICT}", params={"metric": "grid_leader_coverage"})
    assert coverage.status_code == 200 and "L.vectorGrid.protobuf" in coverage.text
    assert client.get("/static/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js").status_code == 200
    # a browser asks every page's server for an icon: no 404 in the log and the console at each map opened
    icon = client.get("/favicon.ico")
    assert icon.status_code == 204 and icon.content == b""


def test_map_errors(client):
    assert client.get("/maps/grids/329902001001099").status_code == 404
    assert client.get("/maps/grids/12").status_code == 422
    bad_metric = client.get(f"/maps/coverage/{s.DISTRICT}", params={"metric": "nonsense"})
    assert bad_metric.status_code == 422 and "网格只能按" in bad_metric.json()["detail"]
    assert client.get(f"/maps/coverage/{s.C1}", params={"basemap": "tianditu"}).status_code == 422


def test_vector_tiles(client):
    lon, lat = s.lonlat([s.pt(100, 50)])[0].coords[0]
    x, y = scenes.tile_of(lon, lat, 16)
    tile = client.get(f"/tiles/buildings/16/{x}/{y}.pbf")
    assert tile.status_code == 200 and tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert b"buildings" in tile.content and b"b1" in tile.content  # the layer and a building id
    grids = client.get(f"/tiles/grids/16/{x}/{y}.pbf")
    assert s.G1.encode() in grids.content
    far = client.get(f"/tiles/buildings/16/{x + 50}/{y}.pbf")
    assert far.status_code == 200 and far.content == b""
    assert client.get("/tiles/buildings/3/9/1.pbf").status_code == 422
    assert client.get("/tiles/roads/3/1/1.pbf").status_code == 422


def test_cli_writes_standalone_maps(client, settings, tmp_path):
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    out = tmp_path / "g.html"
    result = CliRunner().invoke(main, ["map", "grid", s.G1, "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert out.exists() and "leaflet" in out.read_text() and "/static/" not in out.read_text()
    result = CliRunner().invoke(
        main, ["map", "coverage", s.C1, "--metric", "grid_worker_coverage", "-o", str(tmp_path / "c.html")], env=env
    )
    assert result.exit_code == 0 and (tmp_path / "c.html").exists()
    bad = CliRunner().invoke(main, ["map", "coverage", s.C1, "--metric", "nope"], env=env)
    assert bad.exit_code == 2 and "网格只能按" in bad.output


def test_alignment_page(client):
    page = client.get(f"/maps/alignment/{s.C1}")
    assert page.status_code == 200 and "gs-swipe" in page.text
    assert client.get(f"/maps/alignment/{s.DISTRICT}").status_code == 422


def test_cli_grid_map_masks_phones_unless_asked(client, settings, tmp_path):
    """The grid map file is made to be shared to phones: whole numbers only with --with-phones."""
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    staff = s.frames()["staff"].set_index("id")
    whole = staff.loc["L1", "phone"]  # G1's grid leader
    masked = whole[:3] + "****" + whole[-4:]
    plain, shared = tmp_path / "plain.html", tmp_path / "shared.html"
    result = CliRunner().invoke(main, ["map", "grid", s.G1, "-o", str(plain)], env=env)
    assert result.exit_code == 0, result.output
    assert whole not in plain.read_text() and masked in plain.read_text()
    assert 'href="tel:' not in plain.read_text()  # a masked number is no link
    result = CliRunner().invoke(main, ["map", "grid", s.G1, "--with-phones", "-o", str(shared)], env=env)
    assert result.exit_code == 0 and "只可交给本网格" in result.output
    assert whole in shared.read_text()
    assert f'<a href="tel:{whole}">{whole}</a>' in shared.read_text()  # one tap calls the leader
