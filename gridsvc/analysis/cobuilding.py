"""Co-building (共驻共建, domain.md §8.1): which resident units hold an agreement in force, which needs
have stayed open too long (``need_unmet``), which communities with resident units give none of them a
seat on the committee (``no_unit_seat``). The gap rows are built in :mod:`gridsvc.analysis.structure`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gridsvc.analysis.scene import Scene


def in_force(agreements: pd.DataFrame, on: dt.date) -> np.ndarray:
    """Which agreements are in force on ``on``: begun, and not yet ended (an agreement without an end
    date runs on)."""
    day = pd.Timestamp(on)
    start, end = (pd.to_datetime(agreements[c]) for c in ("valid_from", "valid_to"))
    return (start <= day).to_numpy(dtype=bool) & (end.isna() | (end >= day)).to_numpy(dtype=bool)


def active_agreements(agreements: pd.DataFrame, on: dt.date) -> set[str]:
    """The organizations with an agreement in force on ``on``."""
    return set(agreements["organization_id"][in_force(agreements, on)])


def cobuilding(scene: Scene, out: pd.DataFrame) -> None:
    """§8.1 on the organization table: ``cobuilding_base`` (a resident unit, where agreements are held
    at all) and ``cobuilt`` (one of them with an agreement in force on the scene's date)."""
    out["cobuilding_base"] = out["resident_unit"].to_numpy() & bool(scene.cobuilding_data)
    active = active_agreements(scene.agreements, scene.as_of)
    out["cobuilt"] = out["cobuilding_base"].to_numpy() & out["id"].isin(active).to_numpy()


def unmet_needs(items: pd.DataFrame, on: dt.date, days: int) -> np.ndarray:
    """Which items are needs still open more than ``days`` days after they were raised (an item without
    a date raised cannot be judged)."""
    opened = pd.to_datetime(items["opened_on"])
    old = (opened < pd.Timestamp(on - dt.timedelta(days=days))).to_numpy(dtype=bool)  # no date: False
    return old & (items["list"] == "need").to_numpy() & (items["status"] == "open").to_numpy()


def communities_without_seat(organizations: pd.DataFrame, seats: pd.DataFrame) -> pd.Series:
    """Communities with resident units (the organization table's ``resident_unit``) where no unit holds
    a seat on the community committee, with how many resident units each has."""
    o = organizations[organizations["resident_unit"].to_numpy() & organizations["community"].notna().to_numpy()]
    per = o.groupby("community").size()
    return per[~per.index.isin(set(seats["community_code"]))]
