"""Rule 13 of domain.md §8.3, 属地管理: a Party organization's parent should sit in the same
community as the units it covers, or be the street's (or district's) organization above them.

Where an organization sits is read off its scope: the communities of the grids, buildings,
organizations and communities it names. A parent's place comes from the grids and communities its
scope names (a grid's code begins with its community's code), so it is known even when the parent's
units lie outside the area computed. A parent naming one community sits in it; naming several
communities of one street, in the street; of one district, in the district. A parent that names no
grid or community (a street working committee with no scope) has no place, and nothing is said.

>>> seat({"320101001001"}), seat({"320101001001", "320101001002"}), seat({"320101001001", "320101002001"})
('320101001001', '320101001', '320101')
"""

from __future__ import annotations

import os

import pandas as pd

PLACED_BY = ("grid", "community")  # scope targets whose code names the community
COMMUNITY_DIGITS = 12


def seat(communities: set[str]) -> str | None:
    """The smallest area (code) holding every community: the community, its street or its district."""
    common = os.path.commonprefix(sorted(communities)) if communities else ""
    for digits in (12, 9, 6):
        if len(common) >= digits:
            return common[:digits]
    return None


def parent_seats(parent_scopes: pd.DataFrame) -> dict[str, str]:
    """Parent id → the code of the area it sits in, from its grid and community scopes
    (``parent_scopes``: party_org_id, target_type, target_id)."""
    s = parent_scopes[parent_scopes["target_type"].isin(PLACED_BY).to_numpy()]
    places = s["target_id"].str[:COMMUNITY_DIGITS].groupby(s["party_org_id"].to_numpy()).agg(set)
    return {k: code for k, v in places.items() if (code := seat(v))}


def outside(child_communities: set[str], parent_seat: str) -> list[str]:
    """The communities of a child's units that do not lie in its parent's seat, in code order.

    >>> outside({"320101001001", "320101001002"}, "320101001001")
    ['320101001002']
    >>> outside({"320101001001", "320101001002"}, "320101001")
    []
    """
    return sorted(c for c in child_communities if not c.startswith(parent_seat))
