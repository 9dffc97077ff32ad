"""Buildings and roads from OpenStreetMap XML/PBF, through GDAL's OSM driver.

Every feature of the ``multipolygons`` layer with a ``building`` tag becomes a building, keeping its
OSM id, name, building type, ``building:levels`` as floors, and a ``use`` derived from its tags;
``highway`` lines become roads.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gridsvc.dataset import Dataset
from gridsvc.errors import ImportRejected
from gridsvc.ingest.buildings import complete_buildings
from gridsvc.ingest.exchange import typed_layer
from gridsvc.ingest.schema import BUILDINGS, ROADS
from gridsvc.labels import use_set_to

OSM_SUFFIXES = (".osm", ".pbf", ".osm.pbf", ".osm.xml")

_RESIDENTIAL = {
    "residential",
    "apartments",
    "house",
    "detached",
    "dormitory",
    "terrace",
    "semidetached_house",
    "bungalow",
    "villa",
}
_COMMERCIAL = {"commercial", "retail", "supermarket", "kiosk", "hotel", "shop", "mall"}
_PUBLIC = {
    "school",
    "university",
    "college",
    "kindergarten",
    "hospital",
    "civic",
    "public",
    "government",
    "church",
    "temple",
    "mosque",
    "train_station",
    "transportation",
    "stadium",
    "sports_hall",
    "library",
    "museum",
    "fire_station",
    "police",
}
_OFFICE = {"office"}
_PUBLIC_AMENITIES = {
    "school",
    "university",
    "college",
    "kindergarten",
    "hospital",
    "clinic",
    "library",
    "townhall",
    "police",
    "fire_station",
    "community_centre",
    "theatre",
}
_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def is_osm_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in OSM_SUFFIXES)


def parse_other_tags(value) -> dict[str, str]:
    """GDAL's ``other_tags`` hstore text as a dict: ``"a"=>"1","b"=>"2"`` → {a: 1, b: 2}."""
    if not isinstance(value, str):
        return {}
    return {k: v for k, v in _TAG.findall(value)}


def osm_use(building: str | None, tags: dict[str, str]) -> str:
    """The exchange-format ``use`` of an OSM building, from its most specific tags."""
    kind = (tags.get("building:use") or building or "").lower()
    if kind in _RESIDENTIAL:
        return "residential"
    if kind in _OFFICE or tags.get("office"):
        return "office"
    if kind in _COMMERCIAL or tags.get("shop"):
        return "commercial"
    if kind in _PUBLIC or tags.get("amenity") in _PUBLIC_AMENITIES:
        return "public"
    return "other"


# Words Chinese ledgers and footprint files use for what a building is used for.
_CHINESE_USES = {
    "residential": ("住宅", "居住", "住房", "宿舍", "小区", "公寓", "民居", "平房"),
    "office": ("办公", "写字楼", "机关"),
    "commercial": ("商业", "商铺", "商场", "门面", "酒店", "宾馆", "市场"),
    "mixed": ("商住", "综合", "混合"),
    "public": ("学校", "医院", "幼儿园", "公共", "政府", "卫生", "文化", "体育", "社区服务", "派出所"),
}
NO_KIND = {"", "yes", "building", "y", "true", "1", "未知", "其他建筑"}  # says a building, not what kind


def use_of_kind(kind: str | None, uses: tuple[str, ...]) -> str | None:
    """The ``use`` a kind word names, or None when it names none (``yes``, empty): an exchange use
    itself, an OSM ``building=*`` value, or a Chinese word (``住宅``, ``商住楼``); "other" for a
    word that names some other kind.

    >>> [use_of_kind(k, ("residential", "office", "other")) for k in ("Apartments", "商住楼", "仓库", "yes", None)]
    ['residential', 'mixed', 'other', None, None]
    """
    word = (kind or "").strip().lower()
    if word in NO_KIND:
        return None
    if word in uses:
        return word
    for use, words in _CHINESE_USES.items():
        if any(w in word for w in words):
            return use
    return osm_use(word, {})


def _levels(value: str | None) -> int | None:
    if not value:
        return None
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def read_osm(path: Path, default_use: str | None = None) -> Dataset:
    raw = pyogrio.read_dataframe(path, layer="multipolygons", fid_as_index=True)
    frame, said = osm_buildings(raw[raw["building"].notna()], default_use)
    dataset = Dataset(source="osm")
    dataset.notes += said
    dataset.layers["buildings"] = _checked(frame, BUILDINGS, path, dataset.notes)
    roads = read_osm_roads(path)
    if roads is not None and len(roads):
        dataset.layers["roads"] = _checked(roads, ROADS, path, dataset.notes)
    dataset.notes.append(f"{len(frame)} 栋楼来自 OSM；© OpenStreetMap contributors（ODbL）")
    return dataset


def is_gdal_osm(columns) -> bool:
    """Whether a layer is GDAL's OSM ``multipolygons`` layout (as ``ogr2ogr`` exports it to GeoJSON,
    GeoPackage or a shapefile): an ``osm_way_id`` column, or ``osm_id`` beside ``other_tags``."""
    names = {str(c).lower() for c in columns}
    return "osm_way_id" in names or {"osm_id", "other_tags"} <= names


def osm_buildings(raw: gpd.GeoDataFrame, default_use: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """GDAL's OSM multipolygons as exchange buildings: id ``osm-way-…``/``osm-relation-…``, use,
    name, address and levels from the tags, the OSM id and ``building=*`` kept; and a note on the
    buildings whose tags name no kind (``building=yes``): ``default_use`` (``--default-use``), else
    ``other``."""
    blank = pd.Series(None, index=raw.index, dtype=object)
    tags = [parse_other_tags(t) for t in raw.get("other_tags", blank).tolist()]
    for i, extra in zip(raw.index, tags, strict=True):
        for key in ("amenity", "shop", "office"):
            if key in raw.columns and isinstance(raw.at[i, key], str):
                extra.setdefault(key, raw.at[i, key])
    way = raw.get("osm_way_id", blank).astype("string")
    rel = raw.get("osm_id", blank).astype("string")
    osm_id = np.where(way.notna(), "way/" + way.fillna(""), "relation/" + rel.fillna(""))
    building = raw.get("building", blank)
    use = [osm_use(b, t) for b, t in zip(building, tags, strict=True)]
    unnamed = [i for i, (b, t) in enumerate(zip(building, tags, strict=True)) if _names_no_kind(b, t)]
    for i in unnamed if default_use else ():
        use[i] = default_use
    frame = gpd.GeoDataFrame(
        {
            "id": ["osm-" + o.replace("/", "-") for o in osm_id],
            "use": use,
            "name": raw.get("name", blank),
            "address": [_address(t) for t in tags],
            "floors": pd.array([_levels(t.get("building:levels")) for t in tags], dtype="Int64"),
            "osm_id": osm_id,
            "building_type": building,
        },
        geometry=raw.geometry,
        crs=raw.crs,
        index=raw.index,
    )
    how = use_set_to(default_use, by_option=True) if default_use else use_set_to("other") + "；--default-use 可指定用途"
    return frame, [f"{len(unnamed)} 栋楼的 OSM 标签未写类型（building=yes），{how}"] if unnamed else []


def _names_no_kind(building, tags: dict[str, str]) -> bool:
    """Whether an OSM building's tags say only that it is a building, not what kind."""
    kind = tags.get("building:use") or (building if isinstance(building, str) else "")
    return kind.strip().lower() in NO_KIND and not any(tags.get(k) for k in ("office", "shop", "amenity"))


def _address(tags: dict[str, str]) -> str | None:
    parts = [tags.get(k) for k in ("addr:city", "addr:district", "addr:street", "addr:housenumber")]
    text = "".join(p for p in parts if p)
    return text or None


def read_osm_roads(path: Path) -> gpd.GeoDataFrame | None:
    raw = pyogrio.read_dataframe(path, layer="lines", fid_as_index=True)
    if "highway" not in raw.columns:
        return None
    raw = raw[raw["highway"].notna()]
    return gpd.GeoDataFrame(
        {
            "id": ["osm-way-" + str(o) for o in raw["osm_id"]],
            "name": raw["name"],
            "kind": raw["highway"],
        },
        geometry=raw.geometry,
        crs=raw.crs,
        index=raw.index,
    )


def _checked(frame: gpd.GeoDataFrame, layer, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    """The layer typed and checked; invalid OSM shapes are repaired, each said in ``notes``."""
    typed, problems, said = typed_layer(frame, layer, None, repair=True)
    if problems:
        raise ImportRejected(str(path), problems)
    notes += said
    return complete_buildings(typed) if layer is BUILDINGS else typed
