"""Joint-branch suggestions on a generated city of 15 communities (75 organizations, about half of
them small and uncovered): every suggested group is valid by rule 15, no unit is in two groups,
the command line and the API answer the same, and bad input is a clear refusal."""

from __future__ import annotations

import html
import json

import numpy as np
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from benchmarks.city import generate_city
from gridsvc.analysis.joint_branches import _touching, valid_group
from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports, suggestions
from tests.rendering.test_maps_html import shows

DISTRICT = "430100"


def test_every_suggested_group_is_a_valid_joint_branch(db, settings, tmp_path):
    imports.import_dataset(db, validate_dataset(generate_city(3_000, 60), "city"), "city")
    found = suggestions.joint_branches(db, DISTRICT)
    assert found["units"] > 20 and found["groups"] and found["optimal"]
    scene = coverage_service.coverage(db, DISTRICT).scene
    orgs = scene.organizations.set_index("id")
    points = orgs.geometry.to_crs(scene.crs)
    touching = _touching(scene.communities.to_crs(scene.crs))
    members = coverage_service.coverage(db, DISTRICT).units.organizations.set_index("id")["full_members"]
    seen: set[str] = set()
    for g in found["groups"]:
        xy = shapely.get_coordinates(np.asarray(points.loc[g["units"]], dtype=object))
        assert (
            valid_group(xy, sum(int(members[u]) for u in g["units"]), _communities(scene, g["units"]), touching) == []
        )
        assert g["members"] == sum(int(members[u]) for u in g["units"]) >= 3 and 2 <= len(g["units"]) <= 5
        assert not seen & set(g["units"])
        seen |= set(g["units"])
    assert not seen & {u["id"] for u in found["unplaceable"] + found["left_out"]}
    env = {"GRIDSVC_DATABASE_URL": settings.database_url, "GRIDSVC_HOME": str(tmp_path / "home")}
    shown = CliRunner().invoke(main, ["suggest", "joint-branches", "--area", DISTRICT, "--format", "json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == found
    table = CliRunner().invoke(main, ["suggest", "joint-branches", "--area", DISTRICT], env=env)
    assert "建议组建联合党支部" in table.stdout and "方法：" in table.stdout
    with TestClient(create_app(settings.model_copy(update={"auth_required": False}))) as client:
        assert client.get("/api/suggestions/joint-branches", params={"area": DISTRICT}).json() == found
        assert client.get("/api/suggestions/joint-branches", params={"area": "43010"}).status_code == 422
        assert client.get("/api/suggestions/joint-branches", params={"area": "999999"}).status_code == 404
        page = client.get(f"/maps/coverage/{DISTRICT}", params={"joint_branches": "true"})
        assert page.status_code == 200 and shows(page.text, "联合党支部建议1")
    bad = CliRunner().invoke(main, ["suggest", "joint-branches", "--area", "4301"], env=env)
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def _communities(scene, units: list[str]) -> list[str]:
    """Each unit's community, as the coverage assigns it."""
    from gridsvc.analysis.assignment import assign_to_polygons

    points = scene.organizations.set_index("id").geometry.loc[units].to_numpy()
    where = assign_to_polygons(points, scene.communities.geometry.values)
    return [scene.communities["code"].iat[i] for i in where]


def test_the_coverage_map_draws_the_suggestions(db, tmp_path):
    """On the hand-drawn district: in C2, o4 (0 members, a union only), o5 (2, a liaison) and o6 (1,
    nothing) are uncovered and within 30 m of each other: one joint branch of 3 members. A community's
    map draws it; a district's only when asked (it takes seconds on a real district)."""
    from gridsvc.rendering.common import Basemap
    from gridsvc.services import maps
    from tests import coverage_scene as s
    from tests import scenes

    layers = s.frames()
    payload = '<img src=x onerror="alert(1)">组织6'  # a stored name must reach the popup as text
    layers["organizations"].loc[layers["organizations"]["id"] == "o6", "name"] = payload
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg", layers))
    found = suggestions.joint_branches(db, s.C2)
    assert [g["units"] for g in found["groups"]] == [["o4", "o5", "o6"]] and found["unplaceable"] == []
    page = maps.coverage_map_html(db, s.C2, Basemap())
    popup = f"联合党支部建议1：组织4、组织5、{html.escape(payload)}；正式党员3名"
    assert json.dumps(popup)[1:-1].replace("&", "\\u0026") in page  # escaped once, as folium writes JSON
    assert "<img src=x" not in page and shows(page, "联合党支部建议")
    nobody = suggestions.joint_branches(db, s.C1)  # o1 has its own branch, o2 is in a joint one
    assert (nobody["units"], nobody["groups"], nobody["unplaceable"]) == (0, [], [])
    assert not shows(maps.coverage_map_html(db, s.C1, Basemap()), "联合党支部建议1")  # (it raised before)
    district = maps.coverage_map_html(db, s.DISTRICT, Basemap())
    assert not shows(district, "联合党支部建议")
    assert shows(maps.coverage_map_html(db, s.DISTRICT, Basemap(), joint_branches=True), "联合党支部建议1")
