"""What coverage is computed from: plain GeoDataFrames, with the thresholds of domain.md §4.

A :class:`Scene` is filled by the repository (or drawn by hand in tests); analysis never reads
a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

PARTY_SIDE = ("party", "unified")  # Party-organization rules apply to these layers
STAFF_SIDE = ("governance", "unified")  # staff rules apply to these layers
SIDES = {"party": PARTY_SIDE, "governance": STAFF_SIDE}
# the word for each grid layer (and so each side) in everything users read: 党建网格, 治理网格 …
LAYER_WORD = {"party": "党建", "governance": "治理", "unified": "合一"}


FACILITY_COLUMNS = ("id", "name", "level", "floor_area", "building_id")
TARGET_FIELDS = ("area_code", "metric", "value", "due_date", "note")
REGISTRATION_FIELDS = ("organization_id", "community_code", "registered_on")
AGREEMENT_FIELDS = ("id", "area_code", "organization_id", "valid_from", "valid_to")
COBUILDING_ITEM_FIELDS = (
    "id",
    "area_code",
    "list",
    "kind",
    "description",
    "status",
    "opened_on",
    "organization_id",
    "building_id",
)
SEAT_FIELDS = ("community_code", "organization_id", "holder")


@dataclass(frozen=True)
class Thresholds:
    """Configurable limits, with the defaults of domain.md §4."""

    overlap_m2: float = 1.0  # rule 1: tolerated overlap per pair of grids
    gap_width_m: float = 1.0  # rule 2: narrower gaps are slivers, not gaps
    outside_m2: float = 1.0  # rule 3: tolerated area of a grid outside its community
    households_min: int = 300  # rule 4
    households_max: int = 500
    split_fraction: float = 0.05  # rule 5: a building is split when more lies outside its grid
    building_group_min_members: int = 3  # rule 8
    org_should_build_members: int = 3  # rule 6
    households_per_fulltime_worker: int = 500  # rule 12
    reach_community_centre_m: float = 1000.0  # domain.md §8.4: a community centre's walking distance
    reach_grid_station_m: float = 500.0  # and a grid station's
    need_open_days: int = 90  # domain.md §8.1: a need open longer is unmet (need_unmet)

    def band(self, households: float) -> str:
        """Where a grid's households fall against rule 4's band: below, within or above.

        >>> Thresholds().band(299), Thresholds().band(300), Thresholds().band(500), Thresholds().band(501)
        ('below', 'within', 'within', 'above')
        """
        if households < self.households_min:
            return "below"
        return "above" if households > self.households_max else "within"

    def outside_band(self, households) -> np.ndarray:
        """Rule 4 for many grids at once: which households (an array) fall outside the band."""
        h = np.asarray(households)
        return (h < self.households_min) | (h > self.households_max)


@dataclass
class Scene:
    """Everything coverage needs for some areas, in EPSG:4490 (``crs`` is the metric CRS).

    - ``communities``: code, name, street_code, street_name, district_code, district_name, geometry
    - ``grids``: code, layer, community_code, name, urban, geometry (current grids)
    - ``buildings``: id, name, address, use, households, full_members, geometry, rep_point
    - ``organizations``: id, name, kind, full_members, has_union, has_youth_league, geometry
    - ``party_orgs``: id, name, kind; ``scopes``: party_org_id, target_type, target_id, own
    - ``staff``: id, name, role, fulltime, phone; ``assignments``: staff_id, target_type,
      target_id, start_date, end_date
    - ``facilities``: id, name, level, floor_area, building_id, geometry (service facilities within
      reach of the area, domain.md §8.4; empty when none are stored)
    - ``roads``: geometry (road lines around the area, for walking distances to facilities; None or
      empty: straight lines)
    """

    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    organizations: gpd.GeoDataFrame
    party_orgs: pd.DataFrame
    scopes: pd.DataFrame
    staff: pd.DataFrame
    assignments: pd.DataFrame
    crs: CRS
    as_of: dt.date = field(default_factory=dt.date.today)
    generated: bool = False
    facilities: gpd.GeoDataFrame | None = None
    # whether facilities are held at all (a deployment without them gets no reach figures or gaps);
    # None: whether ``facilities`` has any
    facility_data: bool | None = None
    roads: gpd.GeoDataFrame | None = None
    targets: pd.DataFrame | None = None  # area_code, metric, value, due_date, note (domain.md §8.5)
    # what still names a closed grid that no live grid succeeds (a plan left it 待人工确定): grid,
    # community_code, grid_name, closed_on, kind (party_org, staff), id, name, plan_id, geometry
    stranded: pd.DataFrame | None = None
    # the grid and community scopes of the parents of ``party_orgs`` with their names (party_org_id,
    # target_type, target_id, name), wherever they are (rule 13); None: ``scopes`` holds every parent
    parent_scopes: pd.DataFrame | None = None
    # domain.md §8.1: organization_id, community_code, registered_on of the scene's organizations;
    # ``registration_data``: whether any registration is held at all (None: whether these are any);
    # without, registration is not judged
    registrations: pd.DataFrame | None = None
    registration_data: bool | None = None
    # §8.1 co-building: the agreements of the scene's organizations (``AGREEMENT_FIELDS``), the list
    # items of its communities and streets (``COBUILDING_ITEM_FIELDS`` and a point or None), the
    # unit seats on its communities' committees (``SEAT_FIELDS``); ``cobuilding_data`` / ``seat_data``:
    # whether any agreement / seat is held at all (None: whether these are any); without, not judged
    agreements: pd.DataFrame | None = None
    cobuilding_data: bool | None = None
    items: gpd.GeoDataFrame | None = None
    seats: pd.DataFrame | None = None
    seat_data: bool | None = None
    _active: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _roles: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _network: object = field(default=None, init=False, repr=False)  # analysis.facilities.road_network

    def __post_init__(self) -> None:
        if self.facilities is None:
            self.facilities = gpd.GeoDataFrame(
                {c: pd.Series(dtype=object) for c in FACILITY_COLUMNS}, geometry=gpd.GeoSeries([], crs=4490)
            )
        if self.targets is None:
            self.targets = empty_frame(TARGET_FIELDS)
        if self.stranded is None:
            self.stranded = empty_frame(STRANDED_FIELDS)
        if self.registrations is None:
            self.registrations = empty_frame(REGISTRATION_FIELDS)
        if self.registration_data is None:
            self.registration_data = len(self.registrations) > 0
        if self.agreements is None:
            self.agreements = empty_frame(AGREEMENT_FIELDS)
        if self.cobuilding_data is None:
            self.cobuilding_data = len(self.agreements) > 0
        if self.items is None:
            self.items = gpd.GeoDataFrame(
                {c: pd.Series(dtype=object) for c in COBUILDING_ITEM_FIELDS}, geometry=gpd.GeoSeries([], crs=4490)
            )
        if self.seats is None:
            self.seats = empty_frame(SEAT_FIELDS)
        if self.seat_data is None:
            self.seat_data = len(self.seats) > 0
        if self.facility_data is None:
            self.facility_data = len(self.facilities) > 0
        # Codes and ids as plain Python strings: pandas' Arrow-backed strings make isin and
        # element access orders of magnitude slower on the joins coverage is made of.
        for name in (
            "communities",
            "grids",
            "buildings",
            "organizations",
            "party_orgs",
            "scopes",
            "staff",
            "assignments",
        ):
            frame = getattr(self, name)
            text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
            if text:
                setattr(self, name, frame.astype({c: object for c in text}))

    @property
    def osm(self) -> bool:
        """Whether any building footprint comes from OpenStreetMap (maps and reports then credit it)."""
        return "osm_id" in self.buildings.columns and bool(self.buildings["osm_id"].notna().any())

    def metric_rep_points(self, mask: np.ndarray) -> np.ndarray:
        """The representative points of the buildings ``mask`` selects, as stored (the one point that
        decides a building's community and grid), in the metric CRS. Not worked out again there: GEOS
        picks a footprint's point by its vertices, so in metres it can land elsewhere, even across a
        community's edge (a house 8 m over it: 2 m inside in lon/lat, 3 m outside in metres)."""
        points = gpd.GeoSeries(self.buildings["rep_point"].to_numpy()[mask], crs=self.buildings.crs)
        return points.to_crs(self.crs).values.to_numpy()

    def group_buildings(self) -> dict[str, list[str]]:
        """Party group (楼栋党小组) id → the buildings its scope names."""
        groups = set(self.party_orgs.loc[self.party_orgs["kind"] == "group", "id"])
        s = self.scopes
        named = s[(s["target_type"] == "building") & s["party_org_id"].isin(groups)]
        return named.groupby("party_org_id")["target_id"].apply(list).to_dict()

    def active_assignments(self) -> pd.DataFrame:
        """Assignments active on ``as_of``: started (or no start) and not ended (domain.md §5)."""
        if self._active is None:
            self._active = self._find_active()
        return self._active

    def active_roles(self) -> pd.DataFrame:
        """The active assignments with their staff member's ``role`` and ``fulltime`` (a missing flag
        is not full-time); assignments of unknown staff are left out."""
        if self._roles is None:
            a = self.active_assignments()
            staff = self.staff
            ids = pd.Index(staff["id"])
            if not ids.is_unique:  # the first of a duplicated id counts
                staff = staff.drop_duplicates("id")
                ids = pd.Index(staff["id"])
            at = ids.get_indexer(a["staff_id"])  # one hash lookup per assignment, for both columns
            known = at >= 0
            at, mine = at[known], a[known]
            self._roles = mine.assign(
                role=text(staff["role"].to_numpy(dtype=object)[at], mine.index),
                fulltime=staff["fulltime"].fillna(False).astype(bool).to_numpy(dtype=bool)[at],
            )
        return self._roles

    def _find_active(self) -> pd.DataFrame:
        a = self.assignments
        today = pd.Timestamp(self.as_of)
        start = pd.to_datetime(a["start_date"])
        end = pd.to_datetime(a["end_date"])
        started = start.isna() | (start <= today)
        running = end.isna() | (end > today)
        return a[started.to_numpy() & running.to_numpy()]


STRANDED_FIELDS = ("grid", "community_code", "grid_name", "closed_on", "kind", "id", "name", "plan_id", "geometry")


def empty_frame(fields: tuple[str, ...]) -> pd.DataFrame:
    """A table with these columns and no rows (what a scene holds where nothing is stored)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in fields})


def area_names(scene: Scene) -> dict[str, str]:
    """The names of the scene's communities and of the streets and districts above them, by code."""
    c = scene.communities
    return (
        dict(zip(c["district_code"], c["district_name"], strict=True))
        | dict(zip(c["street_code"], c["street_name"], strict=True))
        | dict(zip(c["code"], c["name"], strict=True))
    )


def counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A count column as integers (empty, or a hand-made scene without the column: 0)."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=int)
    return frame[column].fillna(0).to_numpy(dtype=int)


def flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A yes/no column as booleans (empty, or a hand-made scene without the column: no)."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


def text(values, index=None) -> pd.Series:
    """Codes and ids as a column of plain Python strings: pandas would infer its Arrow-backed
    strings, and those make groupby, isin and element access on the unit tables several times slower.

    >>> text(["a", None]).dtype
    dtype('O')
    """
    return pd.Series(values, dtype=object, index=index)


def place_names(frame, fallback: str | None = "id") -> list:
    """How a person finds each building: its name, else its address, else (only then) its id (or None
    with ``fallback=None``).

    >>> import pandas as pd
    >>> place_names(pd.DataFrame({"id": ["b1", "b2", "b3"], "name": ["1号楼", None, None], "address": [None, "和平路2号", None]}))
    ['1号楼', '和平路2号', 'b3']
    """
    out = frame["id"].to_numpy(dtype=object).copy() if fallback == "id" else np.full(len(frame), None, dtype=object)
    for column in ("address", "name"):  # the name wins over the address
        if column in frame:
            values = frame[column].to_numpy(dtype=object)
            named = np.fromiter((isinstance(v, str) and v.strip() != "" for v in values), bool, len(values))
            out[named] = values[named]
    return out.tolist()
