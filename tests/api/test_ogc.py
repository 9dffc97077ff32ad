"""OGC API – Features at /ogc, read by GDAL's OAPIF driver (``ogrinfo``, ``ogr2ogr`` from gdal-bin)
against a real server on 127.0.0.1: the collections are listed, grids and buildings copy with the
database's counts, paging follows ``next`` links, and a scoped user sees only their scope."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from gridsvc.services import plans
from tests import coverage_scene as s
from tests.access import world
from tests.browser.serving import serve


@pytest.fixture(scope="module")
def served(engine, settings, tmp_path_factory):
    tokens = world.build(engine, tmp_path_factory.mktemp("ogc"))
    with serve(create_app(settings.model_copy(update={"auth_required": True}))) as base:
        yield base, tokens, engine


def _gdal(*args, token: str, cwd) -> subprocess.CompletedProcess:
    assert shutil.which(args[0]), "gdal-bin is missing: ./dev setup installs it"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {
        "NO_PROXY": "127.0.0.1",
        "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": "",
    }
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False)


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(sql))


def test_gdal_lists_the_collections(served, tmp_path):
    base, tokens, _ = served
    listed = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{base}/ogc", token=tokens["admin"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in ("areas", "grids", "grids-party", "grids-governance", "grids-unified", "buildings", "organizations"):
        assert f": {name} " in listed.stdout or f": {name}\n" in listed.stdout, listed.stdout


@pytest.mark.parametrize(("user", "buildings"), [("admin", 8), ("leader", 3)])
def test_gdal_copies_what_the_user_may_see(served, tmp_path, user, buildings):
    base, tokens, engine = served
    out = tmp_path / "copy.gpkg"
    copied = _gdal(
        "ogr2ogr",
        "-f",
        "GPKG",
        str(out),
        f"OAPIF:{base}/ogc",
        "buildings",
        "grids",
        "-oo",
        "PAGE_SIZE=2",  # several pages: the next links are followed
        token=tokens[user],
        cwd=tmp_path,
    )
    assert copied.returncode == 0, copied.stderr
    assert pyogrio.read_info(out, layer="buildings")["features"] == buildings
    grids = pyogrio.read_info(out, layer="grids")["features"]
    assert grids == (_count(engine, "SELECT count(*) FROM grids WHERE valid_to IS NULL") if user == "admin" else 1)
    ids = set(pyogrio.read_dataframe(out, layer="buildings")["id"])
    assert ids == world.SEES[world.scope_of(user)]["buildings"]


def test_items_page_with_next_links_and_bbox(engine, settings, served):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        _read_as_a_client_would(client)


def _read_as_a_client_would(client) -> None:
    first = client.get("/ogc/collections/buildings/items", params={"limit": 3})
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/geo+json")
    body = first.json()
    assert body["numberReturned"] == 3 and [f["id"] for f in body["features"]] == ["b1", "b2", "b3"]
    following = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "offset=3" in following
    b1 = client.get("/ogc/collections/buildings/items/b1").json()
    assert "crs" not in b1["geometry"]  # RFC 7946: lon/lat, no crs member
    west, south, east, north = shapely.geometry.shape(b1["geometry"]).bounds
    boxed = client.get("/ogc/collections/buildings/items", params={"bbox": f"{west},{south},{east},{north}"})
    assert {f["id"] for f in boxed.json()["features"]} == {"b1"}, boxed.text  # b1 alone in its own box
    one = client.get("/ogc/collections/grids-party/items/" + s.P1).json()
    assert one["id"] == s.P1 and one["properties"]["layer"] == "party" and isinstance(one["properties"]["urban"], bool)
    assert client.get("/ogc/collections/nowhere/items").status_code == 404
    assert client.get("/ogc/collections/buildings/items", params={"datetime": "2024-01-01"}).status_code == 400
    assert json.loads(client.get("/ogc/conformance").text)["conformsTo"]


def test_tilejson_and_cors(engine, settings, served):
    """TileJSON points MapLibre at the tiles; CORS answers only the configured origins, never with
    credentials (a cookie login does not travel to another site's page)."""
    _, tokens, _ = served
    allowed = "https://maps.example.org"
    with TestClient(create_app(settings.model_copy(update={"cors_origins": allowed}))) as client:
        tj = client.get("/tiles/buildings.json")
        assert tj.status_code == 200 and tj.json()["tiles"][0].endswith("/tiles/buildings/{z}/{x}/{y}.pbf")
        assert tj.json()["vector_layers"][0]["id"] == "buildings" and len(tj.json()["bounds"]) == 4
        asked = client.get("/ogc/collections", headers={"Origin": allowed})
        assert asked.headers["access-control-allow-origin"] == allowed
        assert "access-control-allow-credentials" not in asked.headers
        other = client.get("/ogc/collections", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/api/buildings/b1",
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200 and "PATCH" in preflight.headers["access-control-allow-methods"]
    with TestClient(create_app(settings)) as client:  # the default: no CORS at all
        assert "access-control-allow-origin" not in client.get("/ogc", headers={"Origin": allowed}).headers


def test_properties_and_sortby(engine, settings, served):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        page = client.get(
            "/ogc/collections/buildings/items", params={"properties": "name,households", "sortby": "-households"}
        ).json()
        households = [f["properties"]["households"] for f in page["features"]]
        assert set(page["features"][0]["properties"]) == {"name", "households"}
        known = [h for h in households if h is not None]
        assert known == sorted(known, reverse=True) and households[: len(known)] == known  # blanks last
        bad = client.get("/ogc/collections/buildings/items", params={"sortby": "secret"})
        assert bad.status_code == 400 and "sortby" in bad.text


FILTERS = {  # CQL2-text → the buildings of the hand-drawn scene it selects (households 40 30 20 10 5 – 200 600)
    "households >= 30 AND use = 'residential'": {"b1", "b2", "b7", "b8"},
    "NOT (households BETWEEN 10 AND 200) OR households IS NULL": {"b5", "b6", "b8"},
    "name IN ('1号楼', '3号楼')": {"b1", "b3"},
    "name LIKE '%号楼' AND full_members < 2": {"b3", "b4"},
    "\"use\" <> 'residential'": {"b6"},
    "name = '1号楼'' OR ''1''=''1'": set(),  # a quote inside a string stays inside it
}


@pytest.mark.parametrize("user", ["admin", "leader"])
def test_cql2_filters_select_what_they_say_within_the_scope(engine, settings, served, user):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens[user]}"
        for cql, expected in FILTERS.items():
            page = client.get("/ogc/collections/buildings/items", params={"filter": cql, "filter-lang": "cql2-text"})
            assert page.status_code == 200, (cql, page.text)
            seen = world.SEES[world.scope_of(user)]["buildings"]
            assert {f["id"] for f in page.json()["features"]} == expected & seen, cql
        queryables = client.get("/ogc/collections/buildings/queryables").json()["properties"]
        assert queryables["households"] == {"type": "integer"} and queryables["name"] == {"type": "string"}


@pytest.mark.parametrize("user", ["admin", "leader", "viewer"])
def test_facilities_are_a_collection_within_the_scope(engine, settings, served, user):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens[user]}"
        page = client.get("/ogc/collections/facilities/items")
        assert page.status_code == 200, page.text
        features = page.json()["features"]
        assert {f["id"] for f in features} == world.SEES[world.scope_of(user)]["facilities"]
        assert {f["properties"]["level"] for f in features} == {"community_centre"}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"filter": "households > 'x'"}, "类型不符"),
        ({"filter": "secret = 1"}, "'secret' 不是这里的属性"),
        ({"filter": "households >"}, "应为一个值"),
        ({"filter": "households = 1 households = 2"}, "应为 AND 或 OR"),
        ({"filter": "households = 1", "filter-lang": "cql2-json"}, "cql2-text"),
        ({"bbbox": "1,2,3,4"}, "未知查询参数 bbbox"),
        ({"limit": "unlimited"}, "limit"),
        ({"f": "xml"}, "应为 json 或 html"),
    ],
)
def test_ogc_refuses_what_it_cannot_read_with_400(engine, settings, params, reason):
    with TestClient(create_app(settings)) as client:
        answer = client.get("/ogc/collections/buildings/items", params=params)
        assert answer.status_code == 400 and reason in answer.text, answer.text
        assert client.get("/api/buildings", params={"limit": "unlimited"}).status_code == 422  # the rest keeps 422


@pytest.mark.parametrize("user", ["admin", "planner", "leader"])
def test_gaps_and_plan_grids_are_collections_too(engine, settings, served, user):
    _, tokens, _ = served
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT count(*) FROM plans")):
            plans.adopt_governance(engine, [s.C1, s.C2], name="两个社区照搬治理网格")
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens[user]}"
        listed = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
        assert {"gaps", "plan-grids"} <= set(listed)
        expected = sorted(
            (f["properties"]["kind"], f["properties"]["object_id"]) for f in client.get("/api/gaps").json()["features"]
        )
        gaps = client.get("/ogc/collections/gaps/items", params={"limit": 1000}).json()["features"]
        assert sorted((f["properties"]["kind"], f["properties"]["object_id"]) for f in gaps) == expected and expected
        assert any(kind == "no_building_leader" for kind, _ in expected)
        leaderless = client.get("/ogc/collections/gaps/items", params={"filter": "kind = 'no_building_leader'"}).json()
        assert {f["properties"]["object_name"] for f in leaderless["features"]} == {
            f"{b[1:]}号楼" for kind, b in expected if kind == "no_building_leader"
        }
        grids = client.get("/ogc/collections/plan-grids/items").json()["features"]
        communities = {"admin": {s.C1, s.C2}, "planner": {s.C1}, "leader": set()}[user]
        assert {f["properties"]["community_code"] for f in grids} == communities
        if grids:
            one = client.get(f"/ogc/collections/plan-grids/items/{grids[0]['id']}").json()
            assert one["properties"]["code"] == grids[0]["properties"]["code"]


def test_every_stored_attribute_is_a_property(engine, settings, served):
    """The collections publish what the importer writes (repository.write), not a copy that drifts."""
    from gridsvc.repository import ogc, write

    for collection, spec in (
        ("buildings", write.BUILDINGS),
        ("organizations", write.ORGANIZATIONS),
        ("areas", write.AREAS),
    ):
        stored = {c for c in spec.columns if c not in spec.geometry}
        assert set(ogc.COLLECTIONS[collection].properties) == stored, collection
    assert set(ogc.COLLECTIONS["grids"].properties) == {c for c in write.GRIDS.columns if c != "geom"} | {"valid_to"}
    with TestClient(create_app(settings)) as client:
        b1 = client.get("/ogc/collections/buildings/items/b1").json()
        assert b1["properties"]["floors_estimated"] is False


def test_ogc_landing_with_a_slash_and_an_openapi_3_0_description(engine, settings):
    with TestClient(create_app(settings)) as client:
        assert client.get("/ogc/", follow_redirects=False).json()["links"]
        landing = client.get("/ogc").json()
        desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
        assert desc["type"].endswith("version=3.0")
        document = client.get(desc["href"]).json()
        assert document["openapi"] == "3.0.3" and "/ogc/collections/{collection_id}/items" in document["paths"]
        assert '"type": "null"' not in json.dumps(document) and '"const"' not in json.dumps(document)


def test_tiles_carry_an_etag_of_data_and_scope(engine, settings, served):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['leader']}"
        first = client.get("/tiles/buildings/13/6827/3323.pbf")
        tag = first.headers["etag"]
        assert first.status_code == 200 and "329902001001003" in tag  # the leader's scope is part of it
        again = client.get("/tiles/buildings/13/6827/3323.pbf", headers={"If-None-Match": tag})
        assert again.status_code == 304 and not again.content
        client.patch("/api/buildings/b1", json={"households": 41})  # the data changes: the tag does too
        after = client.get("/tiles/buildings/13/6827/3323.pbf", headers={"If-None-Match": tag})
        assert after.status_code == 200 and after.headers["etag"] != tag


def test_a_maplibre_style_draws_the_tiles(engine, settings, served):
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        style = client.get("/tiles/style.json").json()
        assert style["version"] == 8 and style["sources"]["buildings"]["url"].endswith("/tiles/buildings.json")
        layers = {layer["id"]: layer for layer in style["layers"]}
        assert layers["buildings"]["minzoom"] == 15 and layers["building-points"]["source-layer"] == "building_points"
        tj = client.get("/tiles/buildings.json").json()
        assert {v["id"] for v in tj["vector_layers"]} == {"buildings", "building_points"}


def test_geojson_answers_agree(engine, settings, served, monkeypatch):
    """Issue 18, item 4: organizations and Party organizations as GeoJSON too, counts as integers, a
    name member, and a truncated answer says so with where the rest are."""
    _, tokens, _ = served
    with TestClient(create_app(settings.model_copy(update={"auth_required": True, "api_max_features": 2}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        orgs = client.get("/api/organizations", params={"format": "geojson"})
        assert orgs.headers["content-type"].startswith("application/geo+json")
        first = orgs.json()["features"][0]
        assert orgs.json()["name"] == "organizations" and first["geometry"]["type"] == "Point"
        assert "lon" not in first["properties"]
        assert all(type(f["properties"]["full_members"]) is int for f in orgs.json()["features"])
        parties = client.get("/api/party-orgs", params={"format": "geojson"}).json()
        assert parties["name"] == "party_orgs" and parties["features"][0]["geometry"] is None
        floors = [f["properties"]["floors"] for f in client.get("/api/buildings").json()["features"]]
        assert all(v is None or type(v) is int for v in floors)  # not 6.0 beside a blank
        grids = client.get("/api/grids").json()
        assert grids["truncated"] is True and len(grids["features"]) == 2
        rest = grids["links"][0]["href"]
        assert (
            client.get(rest).json()["numberReturned"]
            == _count(engine, "SELECT count(*) FROM grids WHERE valid_to IS NULL") - 2
        )
        page = client.get("/api/buildings", params={"community": s.C1}).json()
        assert (
            page["more"] and "community=" + s.C1 in page["links"][0]["href"] and "offset=2" in page["links"][0]["href"]
        )


@pytest.mark.parametrize(("user", "buildings"), [("admin", 8), ("leader", 3)])
def test_owslib_reads_the_collections(served, user, buildings):
    from owslib.ogcapi.features import Features

    base, tokens, _ = served
    client = Features(f"{base}/ogc", headers={"Authorization": f"Bearer {tokens[user]}"})
    ids = {c["id"] for c in client.collections()["collections"]}
    assert {"buildings", "grids-party", "organizations"} <= ids
    found = client.collection_items("buildings", limit=100)
    assert len(found["features"]) == found["numberReturned"] == buildings
    assert client.collection_item("buildings", "b1")["id"] == "b1"


def test_part_2_answers_in_cgcs2000_and_its_gauss_kruger_zone(engine, settings, served):
    """crs= and bbox-crs= (Part 2): EPSG:4490 and 4326 in their own axis order (latitude first), and
    the data's 3-degree Gauss-Krüger zone (EPSG:4549 at 120°E) in metres, northing first."""
    from pyproj import Transformer

    _, tokens, _ = served
    epsg = "http://www.opengis.net/def/crs/EPSG/0/"
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        meta = client.get("/ogc/collections/buildings").json()
        assert meta["storageCrs"] == epsg + "4490" and epsg + "4549" in meta["crs"]
        plain = client.get("/ogc/collections/buildings/items/b1").json()["geometry"]["coordinates"][0][0]
        cgcs = client.get("/ogc/collections/buildings/items/b1", params={"crs": epsg + "4490"})
        assert cgcs.headers["content-crs"] == f"<{epsg}4490>"
        assert cgcs.json()["geometry"]["coordinates"][0][0] == [plain[1], plain[0]]  # latitude first
        gk = client.get("/ogc/collections/buildings/items", params={"crs": epsg + "4549", "limit": 1}).json()
        north, east = gk["features"][0]["geometry"]["coordinates"][0][0]
        e, n = Transformer.from_crs(4490, 4549, always_xy=True).transform(*plain)
        assert abs(north - n) < 0.01 and abs(east - e) < 0.01  # metres, northing first
        lon = [plain[0] - 0.0001, plain[0] + 0.0001]
        lat = [plain[1] - 0.0001, plain[1] + 0.0001]
        by_lonlat = client.get(
            "/ogc/collections/buildings/items", params={"bbox": f"{lon[0]},{lat[0]},{lon[1]},{lat[1]}"}
        )
        by_latlon = client.get(
            "/ogc/collections/buildings/items",
            params={"bbox": f"{lat[0]},{lon[0]},{lat[1]},{lon[1]}", "bbox-crs": epsg + "4326"},
        )
        assert (
            [f["id"] for f in by_latlon.json()["features"]] == [f["id"] for f in by_lonlat.json()["features"]] == ["b1"]
        )
        assert client.get("/ogc/collections/buildings/items", params={"crs": epsg + "3857"}).status_code == 400
