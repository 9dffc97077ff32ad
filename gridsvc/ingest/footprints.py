"""Building footprints from OSM XML/PBF, GeoJSON, Shapefile or GeoPackage, through pyogrio/GDAL.

OSM: every feature of GDAL's ``multipolygons`` layer with a ``building`` tag becomes a building,
keeping its OSM id, name, building type, ``building:levels`` as floors, and a ``use`` derived from
its tags; ``highway`` lines become roads. Other files: one polygon or point layer whose columns
are matched by name (``id``, ``use``, ``name``, ``floors``...).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from gridsvc.dataset import Dataset
from gridsvc.errors import ImportRejected, InvalidInput, Problem
from gridsvc.ingest import list_layers
from gridsvc.ingest.buildings import complete_buildings
from gridsvc.ingest.exchange import typed_layer
from gridsvc.ingest.schema import BUILDINGS, ROADS

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


def _levels(value: str | None) -> int | None:
    if not value:
        return None
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def read_osm(path: Path) -> Dataset:
    raw = pyogrio.read_dataframe(path, layer="multipolygons", fid_as_index=True)
    raw = raw[raw["building"].notna()]
    tags = [parse_other_tags(t) for t in raw.get("other_tags", pd.Series(index=raw.index)).tolist()]
    for i, extra in zip(raw.index, tags, strict=True):
        for key in ("amenity", "shop", "office"):
            if key in raw.columns and isinstance(raw.at[i, key], str):
                extra.setdefault(key, raw.at[i, key])
    way = raw["osm_way_id"].astype("string")
    rel = raw["osm_id"].astype("string")
    osm_id = np.where(way.notna(), "way/" + way.fillna(""), "relation/" + rel.fillna(""))
    frame = gpd.GeoDataFrame(
        {
            "id": ["osm-" + o.replace("/", "-") for o in osm_id],
            "use": [osm_use(b, t) for b, t in zip(raw["building"], tags, strict=True)],
            "name": raw["name"],
            "address": [_address(t) for t in tags],
            "floors": pd.array([_levels(t.get("building:levels")) for t in tags], dtype="Int64"),
            "osm_id": osm_id,
            "building_type": raw["building"],
        },
        geometry=raw.geometry,
        crs=raw.crs,
        index=raw.index,
    )
    dataset = Dataset(source="osm")
    dataset.layers["buildings"] = _checked(frame, BUILDINGS, path, None)
    roads = read_osm_roads(path)
    if roads is not None and len(roads):
        dataset.layers["roads"] = _checked(roads, ROADS, path, None)
    dataset.notes.append(f"{len(frame)} buildings from OSM; © OpenStreetMap contributors (ODbL)")
    return dataset


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


_COLUMN_ALIASES = {
    "id": ("id", "ID", "bldg_id", "building_id", "osm_id", "OBJECTID", "fid"),
    "use": ("use", "USE", "building_use", "usage", "building", "type"),
    "name": ("name", "NAME", "名称"),
    "address": ("address", "addr", "地址"),
    "floors": ("floors", "FLOORS", "building:levels", "levels", "层数"),
    "units": ("units", "单元数"),
    "households": ("households", "户数"),
    "residents": ("residents", "人口"),
    "osm_id": ("osm_id",),
}


POLYGONAL = {"Polygon", "MultiPolygon"}


def read_footprint_file(
    path: Path, datum: str | None, layer: str | None = None, encoding: str | None = None
) -> Dataset:
    """Buildings from the one (or the named) polygon/point layer of a GIS file.

    A layer of mixed types (GeoJSON does not declare one) is read when it holds polygons or points:
    Polygon and MultiPolygon together are one polygonal layer; points beside polygons are skipped and
    counted in the notes. A feature without geometry, an empty layer or an unknown layer name is
    refused, naming file, layer and feature. Text is read in ``encoding``, else as the file says (a
    shapefile's ``.cpg``), else as UTF-8 when it is valid UTF-8, else as GB18030, said in the notes."""
    source, encoding, notes = text_source(path, encoding)
    listed = list_layers(path, source)
    if isinstance(source, bytes):  # re-encoded GeoJSON: one layer, named after the file as GDAL names it
        listed = [(path.stem, geom) for _, geom in listed[:1]]
    layers = {str(name): geom for name, geom in listed}
    if layer is not None and layer not in layers:
        raise InvalidInput(f"{path}: no layer {layer!r}; the file has {', '.join(map(repr, layers)) or 'no layers'}")
    if layer is None:
        usable = [
            name
            for name, geom in layers.items()
            if geom and (geom in ("Unknown", "Geometry") or "Polygon" in geom or "Point" in geom)
        ]
        if not usable:
            raise ImportRejected(
                str(path), [Problem(str(path), None, "geometry", "no polygon or point layer to read buildings from")]
            )
        layer = usable[0]
    try:
        raw = pyogrio.read_dataframe(
            source, layer=None if isinstance(source, bytes) else layer, fid_as_index=True, encoding=encoding
        )
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{path}: layer {layer!r}: its text cannot be read as {encoding}; try another --encoding"
        ) from None
    raw, skipped = _buildings_of(raw, path, layer)
    notes += skipped
    frame = gpd.GeoDataFrame(index=raw.index, geometry=raw.geometry, crs=raw.crs)
    by_lower = {str(c).lower(): c for c in raw.columns if c != raw.geometry.name}
    for target, names in _COLUMN_ALIASES.items():
        found = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
        if found is not None:
            frame[target] = raw[found].to_numpy()
    if "id" not in frame.columns:
        frame["id"] = footprint_keys(raw.geometry.values)
        notes.append(
            f"layer {layer!r} has no id column: each building's id is made from its footprint (fp-…), so the "
            "same data under another file name updates instead of duplicating"
        )
    if "use" not in frame.columns:
        frame["use"] = "residential"
    else:
        frame["use"] = [
            u if u in BUILDINGS.column("use").choices else osm_use(u, {})
            for u in frame["use"].astype("string").fillna("")
        ]
    dataset = Dataset(source="import")
    dataset.notes += notes
    dataset.layers["buildings"] = _checked(frame, BUILDINGS, path, datum, layer_name=layer)
    return dataset


def footprint_keys(geometries) -> list[str]:
    """A stable id per footprint: a hash of its normalised shape at 1e-7° (~1 cm), the same whatever
    the file is called or in which order its features come.

    >>> import shapely
    >>> a = footprint_keys([shapely.box(118.78, 32.04, 118.7802, 32.0402)])
    >>> a == footprint_keys([shapely.Polygon([(118.7802, 32.0402), (118.78, 32.0402), (118.78, 32.04), (118.7802, 32.04)])])
    True
    """
    shapes = shapely.normalize(shapely.set_precision(np.asarray(geometries, dtype=object), 1e-7))
    return ["fp-" + hashlib.sha1(shapely.to_wkb(g)).hexdigest()[:16] for g in shapes]


TEXT_ENCODINGS = ("UTF-8", "GB18030")  # tried in this order when a file does not say (GB18030 covers GBK, GB2312)


def text_source(path: Path, encoding: str | None) -> tuple[object, str | None, list[str]]:
    """What to hand GDAL for ``path`` (the path, or a GeoJSON's text re-encoded as UTF-8 bytes), the
    encoding to read its attributes with, and what was decided, for the notes. Never guesses
    silently: mojibake such as ``ÐÒ¸£Ð¡Çø`` is what reading GBK as Latin-1 stores."""
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name.upper()  # a name iconv (GDAL) knows too: GBK, ISO8859-1 …
        except LookupError:
            raise InvalidInput(
                f"--encoding {encoding!r}: not a known text encoding (e.g. gbk, gb18030, utf-8)"
            ) from None
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        data = path.read_bytes()
        name = encoding or _first_decoding(data, path)
        if name.replace("-", "").lower() == "utf8":
            return path, None, []
        return (
            data.decode(name).encode("utf-8"),
            None,
            [f"{path.name}: text read as {name}" + ("" if encoding else " (not valid UTF-8)")],
        )
    if suffix == ".shp":
        if encoding:
            return path, encoding, [f"{path.name}: text read as {encoding} (--encoding)"]
        if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
            return path, None, []
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        name = _first_decoding(_dbf_records(dbf), path) if dbf else "UTF-8"
        return (
            path,
            name,
            [
                f"{path.name}: no .cpg file; text read as {name}"
                + (" (not valid UTF-8)" if name != "UTF-8" else "")
                + "; --encoding overrides"
            ],
        )
    return path, encoding, []


def _first_decoding(data: bytes, path: Path) -> str:
    for name in TEXT_ENCODINGS:
        try:
            data.decode(name)
            return name
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path}: its text is neither UTF-8 nor GB18030; say which with --encoding")


def _dbf_records(dbf: Path) -> bytes:
    """The record bytes of a dBASE file (its attribute text), without the header."""
    data = dbf.read_bytes()
    header = int.from_bytes(data[8:10], "little") if len(data) >= 10 else len(data)
    return data[header:].rstrip(b"\x1a")


def _buildings_of(raw: gpd.GeoDataFrame, path: Path, layer: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The features that can be buildings: refused without any, or with a feature lacking geometry;
    points beside polygons skipped, and said so."""
    if raw.empty:
        raise ImportRejected(str(path), [Problem(layer, None, "geometry", "the layer has no features")])
    missing = raw.geometry.isna() | raw.geometry.is_empty
    if missing.any():
        raise ImportRejected(
            str(path),
            [Problem(layer, str(fid), "geometry", "the feature has no geometry") for fid in raw.index[missing]],
        )
    kinds = raw.geometry.geom_type
    polygons = kinds.isin(POLYGONAL)
    points = kinds == "Point"
    other = sorted(set(kinds[~(polygons | points)]))
    if other:
        raise ImportRejected(
            str(path), [Problem(layer, None, "geometry", f"{', '.join(other)} features cannot be buildings")]
        )
    if polygons.any() and points.any():
        skipped = ", ".join(map(str, raw.index[points][:5])) + (" …" if points.sum() > 5 else "")
        return raw[polygons], [
            f"layer {layer!r}: {int(points.sum())} point feature(s) beside the polygons skipped (features {skipped})"
        ]
    return raw, []


def _checked(
    frame: gpd.GeoDataFrame, layer, path: Path, datum: str | None, layer_name: str | None = None
) -> gpd.GeoDataFrame:
    typed, problems, _ = typed_layer(frame, layer, datum, repair=True)
    if problems:
        raise ImportRejected(str(path), problems)
    return complete_buildings(typed) if layer is BUILDINGS else typed
