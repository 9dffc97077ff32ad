"""Generated registration (报到, domain.md §8.1): the public units with their own Party organization
registered with their community, but the first (planted: not registered) and the second (planted:
registered with another community); in-service members in residential buildings, about a third of the
full members, most of them registered. Deterministic without the random generator, so nothing else
in the demo changes."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from gridsvc.demo.organize import Rows
from gridsvc.demo.overlay import Plants

COMMUNITY_IN_ID = slice(len("demo-org-"), len("demo-org-") + 12)  # demo-org-<community>-NN


def registrations(orgs: gpd.GeoDataFrame, rows: Rows, communities: pd.DataFrame, plants: Plants) -> pd.DataFrame:
    own = {s["target_id"] for s in rows.scopes if s["target_type"] == "organization" and s["own"]}
    units = sorted(orgs.loc[(orgs["kind"] == "public_unit").to_numpy() & orgs["id"].isin(own).to_numpy(), "id"])
    codes = list(communities["code"])
    records = []
    for n, unit in enumerate(units):
        home = unit[COMMUNITY_IN_ID]
        if n == 0:
            plants.add("unit_not_registered", unit, "驻区单位党组织未到所在社区报到")
            continue
        if n == 1:
            records.append((unit, next(c for c in codes if c != home), dt.date(2025, 3, 1)))
            plants.add("unit_registered_elsewhere", unit, "驻区单位党组织向别的社区报到")
            continue
        records.append((unit, home, dt.date(2024, 3, 1) + dt.timedelta(days=37 * n)))
    return pd.DataFrame(records, columns=["organization_id", "community_code", "registered_on"])


def in_service(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """In-service members: a third of a residential building's full members; every fourth such
    building has one not registered."""
    residential = (buildings["use"] == "residential").to_numpy()
    members = np.where(residential, buildings["full_members"].fillna(0).to_numpy(dtype=int) // 3, 0)
    short = (np.cumsum(members > 0) % 4 == 0) & (members > 0)
    return buildings.assign(
        in_service_members=pd.array(np.where(residential, members, None), dtype="Int64"),
        in_service_registered=pd.array(np.where(residential, members - short, None), dtype="Int64"),
    )
