"""Registration (报到, domain.md §8.1) on the hand-drawn district (tests/coverage_scene.py), changed so:

  o1 (C1, own branch ob1)       a public unit, registered with C1, where it stands: registered
  o7 (C2, 3 members)            a public unit with its own branch ob7, registered with C1: the wrong community
  o5 (C2, 2 members)            an enterprise flagged as a resident unit, own branch ob5, not registered
  o3 (C2, in joint branch jb1)  a public unit without its own Party organization: not asked to register,
                                though a registration of it is stored
  in-service members  b1 (C1) 4, 3 registered; b3 (C1) 2, "5" registered (counted as 2); b7 (C2) 10, 5

So unit_registration_rate is 1/3 in the district (C1 1/1, C2 0/2) and member_registration_rate
10/16 (C1 5/6, C2 5/10).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gridsvc.analysis.coverage import compute_coverage
from tests import coverage_scene as s

REGISTRATIONS = pd.DataFrame(
    [("o1", s.C1, dt.date(2025, 3, 1)), ("o7", s.C1, dt.date(2025, 4, 1)), ("o3", s.C2, dt.date(2025, 5, 1))],
    columns=["organization_id", "community_code", "registered_on"],
)


def _scene(registrations: pd.DataFrame | None = REGISTRATIONS):
    layers = s.frames()
    o = layers["organizations"]
    kinds = {"o1": "public_unit", "o7": "public_unit", "o3": "public_unit"}
    layers["organizations"] = o.assign(kind=o["id"].map(kinds).fillna(o["kind"]), resident_unit=o["id"] == "o5")
    branches = pd.DataFrame(
        [("ob7", "组织7党支部", "branch"), ("ob5", "组织5党支部", "branch")], columns=["id", "name", "kind"]
    )
    layers["party_orgs"] = pd.concat([layers["party_orgs"], branches], ignore_index=True)
    scopes = pd.DataFrame(
        [("ob7", "organization", "o7", True), ("ob5", "organization", "o5", True)],
        columns=["party_org_id", "target_type", "target_id", "own"],
    ).astype({"own": "boolean"})
    layers["party_org_scope"] = pd.concat([layers["party_org_scope"], scopes], ignore_index=True)
    b = layers["buildings"]
    counts = {"b1": (4, 3), "b3": (2, 5), "b7": (10, 5)}
    layers["buildings"] = b.assign(
        in_service_members=pd.array([counts.get(i, (None, None))[0] for i in b["id"]], dtype="Int64"),
        in_service_registered=pd.array([counts.get(i, (None, None))[1] for i in b["id"]], dtype="Int64"),
    )
    scene = s.scene(layers)
    scene.registrations = registrations if registrations is not None else REGISTRATIONS.iloc[:0]
    scene.registration_data = registrations is not None
    return scene


@pytest.fixture(scope="module")
def cov():
    return compute_coverage(_scene())


@pytest.mark.parametrize(
    ("code", "key", "numerator", "denominator"),
    [
        (s.DISTRICT, "unit_registration_rate", 1, 3),
        (s.C1, "unit_registration_rate", 1, 1),
        (s.C2, "unit_registration_rate", 0, 2),
        (s.DISTRICT, "member_registration_rate", 10, 16),
        (s.C1, "member_registration_rate", 5, 6),
        (s.C2, "member_registration_rate", 5, 10),
    ],
)
def test_registration_rates(cov, code, key, numerator, denominator):
    figure = cov.metrics(code)[key]
    assert (figure["numerator"], figure["denominator"]) == (numerator, denominator)


def test_a_unit_registered_with_the_wrong_community_and_one_not_registered(cov):
    elsewhere = cov.gap_list(kind="unit_registered_elsewhere")
    assert list(elsewhere["object_id"]) == ["o7"]
    assert elsewhere.iloc[0]["message"] == "组织7位于西社区，却向东社区报到，应到所在社区报到。"
    assert (elsewhere.iloc[0]["community"], elsewhere.iloc[0]["severity"]) == (s.C2, "medium")
    missing = cov.gap_list(kind="unit_not_registered")
    assert list(missing["object_id"]) == ["o5"]
    assert missing.iloc[0]["message"] == "组织5已建立党组织，尚未到所在的西社区报到。"


def test_the_two_new_figures_leave_the_resident_units_out(cov):
    # o1, o3, o5, o7 are resident units: the 两新 organizations are o2, o4, o6
    assert cov.metrics(s.DISTRICT)["org_coverage"]["denominator"] == 3


def test_without_any_registration_held_nothing_is_judged():
    cov = compute_coverage(_scene(None))
    assert cov.metrics(s.DISTRICT)["unit_registration_rate"]["value"] is None
    assert cov.gap_list(kind="unit_not_registered").empty and cov.gap_list(kind="unit_registered_elsewhere").empty
    assert cov.metrics(s.DISTRICT)["member_registration_rate"]["denominator"] == 16  # counts need no registrations
