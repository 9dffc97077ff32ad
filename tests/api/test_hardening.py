"""Hostile input over HTTP (issue 13): bodies that are not numbers, malformed plans, oversized
uploads, remote references in uploaded files, cross-site writes, security headers, lean tiles,
one connection per request. On the hand-drawn scene of tests/coverage_scene.py."""

from __future__ import annotations

import gzip
import http.server
import json
import threading

import geopandas as gpd
import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient

from gridsvc.api import create_app
from gridsvc.services import imports, users
from tests import coverage_scene as s
from tests import scenes


@pytest.fixture
def scene(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "coverage.gpkg", s.frames()))
    return db


@pytest.fixture
def client(scene, settings):
    with TestClient(create_app(settings)) as c:
        yield c


def _grid_feature(west: float, east: float, **properties) -> dict:
    shape = gpd.GeoSeries([s.box(west, 0, east, 100)], crs=s.METRIC).to_crs(4490).iloc[0]
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(shape)}


def _upload_body(*features, crs=None) -> dict:
    body = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        body["crs"] = crs
    return body


# -- numbers that are not numbers -----------------------------------------------------------------
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309"])
@pytest.mark.parametrize(
    "route, body",
    [
        ("/api/plans", '{"communities": ["' + s.C1 + '"], "origin": "proposal", "time_limit": %s}'),
        ("/api/plans", '{"communities": ["' + s.C1 + '"], "origin": "proposal", "boundary_weight": %s}'),
        ("/api/buildings/b1", '{"households": %s}'),
        ("/api/snapshots", '{"area": "' + s.C1 + '", "note": "x", "extra": [1, {"deep": %s}]}'),
    ],
)
def test_non_finite_numbers_in_json_bodies_are_422_naming_the_field(client, literal, route, body):
    method = "PATCH" if route.startswith("/api/buildings") else "POST"
    answer = client.request(method, route, content=body % literal, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    where = answer.json()["detail"][0]["loc"]
    assert where[0] == "body" and where[-1] in ("time_limit", "boundary_weight", "households", "deep")


@pytest.mark.parametrize(
    "features, field",
    [
        (
            [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "nonsense"}, "properties": {}}],
            "grids.features[0].geometry",
        ),
        ([{"type": "Feature", "properties": {"name": "x"}}], "grids.features[0].geometry"),
        (["not a feature"], "grids.features[0]"),
        (
            [{"type": "Feature", "geometry": {"type": "Blob", "coordinates": []}, "properties": {}}],
            "grids.features[0].geometry",
        ),
        (
            [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.7, 32.0]}, "properties": []}],
            "grids.features[0].properties",
        ),
    ],
)
def test_malformed_plan_features_are_422_naming_the_feature(client, features, field):
    answer = client.post(
        "/api/plans",
        json={"communities": [s.C1], "origin": "upload", "grids": {"type": "FeatureCollection", "features": features}},
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]


def test_uploaded_plans_without_names_empty_or_too_many_grids_are_422(client):
    def upload(body: dict):
        return client.post(
            "/api/plans/upload",
            params={"community": s.C1},
            files={"file": ("plan.geojson", json.dumps(body).encode(), "application/geo+json")},
        )

    no_name = upload(_upload_body(_grid_feature(0, 200, code=s.C1 + "001")))
    assert no_name.status_code == 201, no_name.text  # a grid without a name is drawn by its code
    empty = upload(_upload_body())
    assert empty.status_code == 422 and "没有网格" in empty.json()["detail"]
    many = upload(_upload_body(*[_grid_feature(i * 0.1, i * 0.1 + 0.1, name=f"g{i}") for i in range(1000)]))
    assert many.status_code == 422 and "999" in many.json()["detail"]


# -- uploads: size, paths, network ----------------------------------------------------------------
def test_oversized_uploads_are_413_before_the_body_is_read(scene, settings):
    small = settings.model_copy(update={"max_upload_mb": 0.01})  # about 10 KB
    with TestClient(create_app(small)) as client:
        big = b"x" * 20_000
        answer = client.post(
            "/api/plans/upload",
            params={"community": s.C1},
            files={"file": ("plan.geojson", big, "application/geo+json")},
        )
        assert answer.status_code == 413 and "GRIDSVC_MAX_UPLOAD_MB" in answer.json()["detail"]

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(5):
                yield b"y" * 4000

        streamed = client.post("/api/plans", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413


def test_upload_errors_name_the_file_not_server_paths_or_gdal(client):
    answer = client.post(
        "/api/plans/upload",
        params={"community": s.C1},
        files={"file": ("我的方案.geojson", b"{not json at all", "application/geo+json")},
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "我的方案.geojson" in detail
    assert "/tmp" not in detail and "GDAL" not in detail and "plan.geojson" not in detail


@pytest.fixture
def listener():
    """A web server on 127.0.0.1 that counts the requests it gets (nothing should call it)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'GEOGCS["x",DATUM["y",SPHEROID["z",6378137,298.257]],PRIMEM["G",0],UNIT["d",0.0174]]')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.mark.parametrize(
    "crs",
    [
        lambda url: {"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}},
        lambda url: {"type": "name", "properties": {"name": f"{url}/crs"}},
        lambda url: {"type": "url", "properties": {"url": f"{url}/crs"}},
    ],
)
def test_uploaded_files_never_reach_the_network(client, listener, crs):
    url, hits = listener
    body = _upload_body(_grid_feature(0, 200, name="全"), crs=crs(url))
    for path, kwargs in (
        (
            "/api/plans/upload",
            {
                "params": {"community": s.C1},
                "files": {"file": ("plan.geojson", json.dumps(body).encode(), "application/geo+json")},
            },
        ),
        ("/api/plans", {"json": {"communities": [s.C1], "origin": "upload", "grids": body}}),
    ):
        answer = client.post(path, **kwargs)
        assert answer.status_code == 422, answer.text
        assert "crs" in answer.json()["detail"]
    assert hits == []


# -- cross-site writes ----------------------------------------------------------------------------
@pytest.fixture
def planner(scene):
    with scene.begin() as conn:
        users.add_user(conn, "planner", "planner", s.C1, "password-of-planner")


def test_cookie_writes_need_this_servers_origin(planner, settings):
    secure = settings.model_copy(update={"auth_required": True})
    with TestClient(create_app(secure), base_url="http://127.0.0.1:8000") as client:
        assert (
            client.post("/api/auth/token", data={"username": "planner", "password": "password-of-planner"}).status_code
            == 200
        )
        body = {"communities": [s.C1], "origin": "adopt_governance"}
        for origin in ("http://127.0.0.1:9999", "http://evil.example", "null"):
            refused = client.post("/api/plans", json=body, headers={"Origin": origin})
            assert refused.status_code == 403 and "cross-site" in refused.json()["detail"]
        assert (
            client.post("/api/plans", json=body, headers={"Referer": "http://127.0.0.1:9999/attack.html"}).status_code
            == 403
        )
        assert client.post("/api/plans", json=body).status_code == 403  # neither Origin nor Referer
        made = client.post("/api/plans", json=body, headers={"Origin": "http://127.0.0.1:8000"})
        assert made.status_code == 201
        from_page = client.post("/api/plans", json=body, headers={"Referer": "http://127.0.0.1:8000/maps/x"})
        assert from_page.status_code == 201
        assert client.get("/api/plans", headers={"Origin": "http://evil.example"}).status_code == 200  # reads pass
        token = client.post(
            "/api/auth/token",
            data={"username": "planner", "password": "password-of-planner"},
            headers={"Origin": "http://127.0.0.1:8000"},
        ).json()["access_token"]
        client.cookies.clear()
        bearer = client.post(
            "/api/plans", json=body, headers={"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}
        )
        assert bearer.status_code == 201  # no ambient credential, no cross-site risk
        assert (
            client.post(
                "/login", data={"username": "planner", "password": "x"}, headers={"Origin": "http://evil.example"}
            ).status_code
            == 403
        )


# -- headers ----------------------------------------------------------------------------------------
def test_security_headers_and_a_map_policy_without_inline_handlers(client):
    page = client.get(f"/maps/coverage/{s.C1}")
    assert page.status_code == 200
    for answer in (page, client.get("/api/grids"), client.get("/login")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    policy = page.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src")).split()
    nonce = script_src[1].removeprefix("'nonce-").removesuffix("'")
    assert script_src == ["script-src", f"'nonce-{nonce}'"]  # no 'unsafe-inline', no other origin
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    assert page.text.count("<script") == page.text.count(f'<script nonce="{nonce}"') > 3
    assert client.get(f"/maps/coverage/{s.C1}").headers["Content-Security-Policy"] != policy  # fresh nonce


# -- tiles ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, z, names",
    [
        ("buildings", 16, {"id", "name", "use", "households", "full_members"}),
        ("buildings", 13, {"id", "name", "use", "households", "full_members"}),
        ("grids", 15, {"id", "name", "layer", "community_code"}),
    ],
)
def test_tiles_hold_only_clipped_geometry_and_named_attributes(client, layer, z, names):
    lon, lat = s.frames()["buildings"].geometry.iloc[0].centroid.coords[0]
    x, y = scenes.tile_of(lon, lat, z)
    answer = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    decoded = mapbox_vector_tile.decode(answer.content)
    features = decoded["building_points" if layer == "buildings" and z < 15 else layer]["features"]
    assert features and all(set(f["properties"]) <= names for f in features)
    assert any("name" in f["properties"] for f in features)
    wide = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    assert wide.content == answer.content


def test_large_answers_are_gzipped_when_the_client_accepts_it(client):
    answer = client.get("/api/buildings", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    raw = client.get("/api/buildings", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content) and answer.json() == raw.json()


# -- one connection per request ---------------------------------------------------------------------
def test_no_route_waits_for_a_second_connection(scene, settings):
    """With a pool of one connection, a route that holds one while asking for another never answers."""
    one = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 2})
    with TestClient(create_app(one)) as client:
        for url in (
            "/api/health",
            f"/api/grids/{s.G1}/coverage",
            f"/api/coverage/{s.C1}",
            f"/api/buildings?grid={s.G1}",
            f"/maps/grids/{s.G1}",
            f"/api/alignment/{s.C1}",
            f"/api/reports/{s.C1}",
            "/api/export",
        ):
            assert client.get(url).status_code == 200, url


def test_a_crs_named_by_epsg_code_is_still_read(client):
    """Refusing links must not refuse old GeoJSON's named CRS: a metric grid lands where it should."""
    body = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "全"},
                "geometry": shapely.geometry.mapping(s.box(0, 0, 200, 100)),
            }
        ],
    }
    made = client.post(
        "/api/plans/upload",
        params={"community": s.C1},
        files={"file": ("metric.geojson", json.dumps(body).encode(), "application/geo+json")},
    )
    assert made.status_code == 201, made.text
    grids = client.get(f"/api/plans/{made.json()['id']}").json()["grids"]["features"]
    drawn = shapely.geometry.shape(grids[0]["geometry"])
    expected = gpd.GeoSeries([s.box(0, 0, 200, 100)], crs=s.METRIC).to_crs(4490).iloc[0]
    assert drawn.symmetric_difference(expected).area < 0.01 * expected.area


def test_gdal_reads_nothing_from_the_network_in_gridsvc(listener, tmp_path):
    """Belt and braces: even a file given straight to GDAL (the GeoPackage and footprint readers)
    cannot make it fetch a CRS link or a remote file."""
    import pyogrio

    import gridsvc.ingest  # noqa: F401 - configures GDAL and PROJ

    url, hits = listener
    path = tmp_path / "linked.geojson"
    path.write_text(
        json.dumps(
            _upload_body(
                _grid_feature(0, 200, name="全"),
                crs={"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}},
            )
        )
    )
    try:
        pyogrio.read_dataframe(path)
    except Exception:  # noqa: BLE001 - refusing the file is fine; fetching is not
        pass
    with pytest.raises(Exception):  # noqa: B017 - whichever error GDAL gives, it must not read the URL
        pyogrio.read_dataframe(f"/vsicurl/{url}/remote.geojson")
    assert hits == []
