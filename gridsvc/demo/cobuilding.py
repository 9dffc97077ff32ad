"""Generated co-building (共驻共建, domain.md §8.1): agreements with most resident units (one ended in
2025, every third never signed), one unit seat on each committee of a community with resident units
but the first (planted: ``no_unit_seat``), and the three lists of every community — needs met or
matched, but one open since 2025 in the first community (planted: ``need_unmet``). Dates are fixed
and nothing is drawn from the random generator, so nothing else in the demo changes."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from gridsvc.analysis.scene import COBUILDING_ITEM_FIELDS
from gridsvc.demo.overlay import Plants
from gridsvc.demo.registration import COMMUNITY_IN_ID

ITEMS = (  # list, kind, text, status, opened on
    ("need", "助老", "为独居老人上门送餐", "matched", dt.date(2026, 3, 1)),
    ("resource", "场地", "周末开放单位会议室作社区活动场地", "open", dt.date(2026, 1, 15)),
    ("project", "共建", "与驻区单位共建楼道文化", "done", dt.date(2025, 9, 1)),
)


def cobuilding(
    orgs: gpd.GeoDataFrame, communities: pd.DataFrame, buildings: gpd.GeoDataFrame, plants: Plants
) -> dict[str, pd.DataFrame]:
    resident = (orgs["kind"] == "public_unit").to_numpy()
    if "resident_unit" in orgs.columns:
        resident |= orgs["resident_unit"].fillna(False).astype(bool).to_numpy()
    agreements, seats, seated = [], [], set()
    for n, unit in enumerate(sorted(orgs.loc[resident, "id"])):
        community = unit[COMMUNITY_IN_ID]
        if n % 3 != 2:
            ended = dt.date(2025, 12, 31) if n == 0 else None  # the first agreement has run out
            agreements.append((f"gj-{n + 1:03d}", community, unit, dt.date(2024, 1, 1), ended, "共驻共建协议"))
        if community not in seated:
            seated.add(community)
            seats.append((community, unit, None, dt.date(2024, 1, 1)))
    if seats:
        plants.add("no_unit_seat", seats[0][0], "社区党组织没有驻区单位兼职委员")
        seats = seats[1:]
    return {
        "cobuilding_agreements": pd.DataFrame(
            agreements, columns=["id", "area_code", "organization_id", "valid_from", "valid_to", "note"]
        ),
        "cobuilding_items": _items(communities, buildings, plants),
        "unit_seats": pd.DataFrame(seats, columns=["community_code", "organization_id", "holder", "since"]),
    }


def _items(communities: pd.DataFrame, buildings: gpd.GeoDataFrame, plants: Plants) -> gpd.GeoDataFrame:
    rows = []
    for code in communities["code"]:
        for i, (kind, category, text, status, opened) in enumerate(ITEMS):
            rows.append((f"qd-{code}-{i + 1}", code, kind, category, text, status, opened, None, None))
    first = communities["code"].iloc[0]
    mine = buildings[(buildings["community"] == first).to_numpy() & (buildings["use"] == "residential").to_numpy()]
    building = mine["id"].iloc[0] if len(mine) else None
    rows.append(
        (
            f"qd-{first}-4",
            first,
            "need",
            "加装电梯",
            "老旧小区加装电梯协调",
            "open",
            dt.date(2025, 6, 1),
            None,
            building,
        )
    )
    plants.add("need_unmet", f"qd-{first}-4", "共建需求提出后超过90天仍未认领")
    frame = pd.DataFrame(rows, columns=list(COBUILDING_ITEM_FIELDS))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=4490))
