"""Building footprints from GeoJSON, Shapefile, GeoPackage or FlatGeobuf, through pyogrio/GDAL.

One polygon (or point) layer is read; its columns are matched by name (see ``ingest.columns``) and
everything the reader decided (encoding, columns, estimates, skipped points, merged pieces, repairs)
is said in the notes. What it cannot decide (invalid shapes, duplicate ids, features without
geometry) refuses the file, with the option that would let it through.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridsvc.analysis.validity import POLYGONAL
from gridsvc.dataset import Dataset
from gridsvc.errors import DUPLICATE, INVALID_GEOMETRY, ImportRejected, InvalidInput, Problem
from gridsvc.ingest import DEFAULT_OPTIONS, ReadOptions, list_layers, zip_names_as_written
from gridsvc.ingest.buildings import complete_buildings
from gridsvc.ingest.columns import building_fields
from gridsvc.ingest.encodings import text_source, zip_name_encoding, zipped_shapefile
from gridsvc.ingest.exchange import typed_layer
from gridsvc.ingest.osm import is_gdal_osm, osm_buildings
from gridsvc.ingest.schema import BUILDINGS


def read_footprint_file(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Dataset:
    """Buildings from the one (or the named) polygon/point layer of a GIS file.

    A layer of mixed types (GeoJSON does not declare one) is read when it holds polygons or points:
    Polygon and MultiPolygon together are one polygonal layer; points beside polygons are skipped and
    counted (or, with ``options.points``, read as point buildings). A feature without geometry, an
    empty layer or an unknown layer name is refused, naming file, layer and feature. Text is read in
    the encoding ``ingest.encodings.text_source`` decides, said in the notes."""
    source, encoding, notes = text_source(path, options.encoding)
    names = zip_name_encoding(path)
    notes += [f"{path.name}：压缩包里的文件名按 {names} 读取（未注明编码）"] if names else []
    layer, notes_on_layers = _layer_to_read(path, source, options.layer)
    notes += notes_on_layers
    encoding, zipped = zipped_shapefile(path, layer, encoding)
    notes += zipped
    try:
        with warnings.catch_warnings(), zip_names_as_written(path):  # mixed kinds stay text: checked below
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            raw = pyogrio.read_dataframe(
                source, layer=None if isinstance(source, bytes) else layer, fid_as_index=True, encoding=encoding
            )
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}：图层 {layer!r}：文字无法按 {encoding} 读取；请换一个 --encoding") from None
    if _implied_crs84(path):
        raw = raw.set_crs("OGC:CRS84", allow_override=True)  # RFC 7946 lon/lat: implied, not declared
    raw, skipped = _buildings_of(raw, path, layer, options.points)
    notes += skipped
    read_from: dict[str, str] = {}  # field → the file's column, for problems to name what the user sees
    if is_gdal_osm(raw.columns) and not options.columns:  # as the .osm reader has it: one definition
        frame, said = osm_buildings(raw, options.default_use)
        notes += said
        notes.append(
            f"图层 {layer!r} 是 GDAL 从 OSM 导出的格式：id 取自 osm_way_id/osm_id（osm-way-…），"
            "用途、层数和地址取自 building 与 other_tags"
        )
    else:
        fields, said, read_from = building_fields(raw, options.columns, options.default_use, f"图层 {layer!r}")
        notes += said
        frame = gpd.GeoDataFrame(fields, index=raw.index, geometry=raw.geometry.values, crs=raw.crs)
    if "id" not in frame.columns:
        frame["id"] = footprint_keys(raw.geometry.values)
        notes.append(
            f"图层 {layer!r} 没有 id 列：每栋楼的 id 由轮廓生成（fp-…），同样的数据换个文件名再导入时是更新，不会重复"
        )
    frame["id"] = frame["id"].astype("string")
    if options.dissolve_duplicates:
        frame, merged = dissolved(frame)
        notes += [f"图层 {layer!r}：{merged}"] if merged else []
    typed, problems, typed_notes = typed_layer(frame, BUILDINGS, options.datum, repair=options.repair)
    if problems:
        named = [dataclasses.replace(p, layer=layer, column=read_from.get(p.column, p.column)) for p in problems]
        raise ImportRejected(str(path), named, hint=_hint(problems))
    dataset = Dataset(source="import")
    dataset.notes += notes + typed_notes
    dataset.layers["buildings"] = complete_buildings(typed)
    return dataset


_EPSG_CRS_MEMBER = re.compile(rb'"crs"\s*:\s*\{[^{}]*\{[^{}]*EPSG', re.IGNORECASE)


def _implied_crs84(path: Path) -> bool:
    """A GeoJSON whose ``crs`` member names no EPSG code (none, or the CRS84 that GDAL writes by
    default): GDAL reports EPSG:4326, but the file only says "RFC 7946 lon/lat"."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return False
    with path.open("rb") as fh:
        return not _EPSG_CRS_MEMBER.search(fh.read(1 << 16))


def _layer_to_read(path: Path, source, layer: str | None) -> tuple[str, list[str]]:
    """The layer named, else the first of polygons or points, and a note naming the layers not read."""
    listed = list_layers(path, source)
    if isinstance(source, bytes):  # re-encoded GeoJSON: one layer, named after the file as GDAL names it
        listed = [(path.stem, geom) for _, geom in listed[:1]]
    layers = {str(name): geom for name, geom in listed}
    if layer is not None:
        if layer not in layers:
            raise InvalidInput(f"{path}：没有图层 {layer!r}；文件中有 {', '.join(map(repr, layers)) or '（没有图层）'}")
        return layer, []
    usable = [
        name
        for name, geom in layers.items()
        if geom and (geom in ("Unknown", "Geometry") or "Polygon" in geom or "Point" in geom)
    ]
    if not usable:
        raise ImportRejected(str(path), [Problem(str(path), None, "geometry", "没有可读取楼栋的面或点图层")])
    others = [name for name in layers if name != usable[0]]
    said = f"读取图层 {usable[0]!r}，未读取 {', '.join(map(repr, others))}（--layer 可指定图层）"
    return usable[0], [said] if others else []


def _hint(problems: list[Problem]) -> str | None:
    """The options that would help: for ids repeated (pieces of one building), for invalid footprints."""
    hints = []
    if any(p.kind == DUPLICATE and p.column == "id" for p in problems):
        hints.append(
            "同一栋楼被切成几块（矢量瓦片提取的数据常这样）时共用一个 id：--dissolve-duplicates 可把它们合并成一栋"
        )
    if any(p.kind == INVALID_GEOMETRY for p in problems):
        hints.append("--repair 可修复无效的轮廓，并列出改动")
    return "；".join(hints) or None


def dissolved(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str | None]:
    """Pieces sharing an id unioned into one building (attributes from the first piece that has
    each), and what was merged, for the notes.

    >>> import shapely
    >>> f = gpd.GeoDataFrame({"id": ["a", "a", "b"], "name": [None, "A", "B"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)])
    >>> out, said = dissolved(f)
    >>> list(out["id"]), list(out["name"]), out.geometry.iloc[0].area, said
    (['a', 'b'], ['A', 'B'], 2.0, '2 块共用 1 个 id，已合并成 1 栋楼（--dissolve-duplicates）')
    """
    repeated = frame["id"].duplicated(keep=False)
    if not repeated.any():
        return frame, None
    pieces = frame[repeated]
    geometry = pieces.geometry.name
    merged = pieces.drop(columns=geometry).groupby("id", sort=False).first().reset_index()
    shapes = pieces.groupby("id", sort=False)[geometry].agg(lambda g: shapely.union_all(g.to_numpy()))
    merged = gpd.GeoDataFrame(merged, geometry=shapes.loc[merged["id"]].to_numpy(), crs=frame.crs)
    merged.index = pieces.index[~pieces["id"].duplicated()]  # each named by its first piece's feature number
    merged = merged.rename_geometry(geometry) if geometry != "geometry" else merged
    out = gpd.GeoDataFrame(pd.concat([frame[~repeated], merged]).sort_index(), geometry=geometry, crs=frame.crs)
    said = f"{len(pieces)} 块共用 {len(merged)} 个 id，已合并成 {len(merged)} 栋楼（--dissolve-duplicates）"
    return out, said


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


def _buildings_of(
    raw: gpd.GeoDataFrame, path: Path, layer: str, points_too: bool
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The features that can be buildings: refused without any, or with a feature lacking geometry;
    points beside polygons skipped (unless ``points_too``), and said so."""
    if raw.empty:
        raise ImportRejected(str(path), [Problem(layer, None, "geometry", "图层没有要素")])
    missing = raw.geometry.isna() | raw.geometry.is_empty
    if missing.any():
        raise ImportRejected(
            str(path),
            [Problem(layer, str(fid), "geometry", "要素没有几何") for fid in raw.index[missing]],
        )
    kinds = raw.geometry.geom_type
    polygons = kinds.isin(POLYGONAL)
    points = kinds == "Point"
    other = sorted(set(kinds[~(polygons | points)]))
    if other:
        raise ImportRejected(str(path), [Problem(layer, None, "geometry", f"{', '.join(other)} 要素不能作为楼栋")])
    if polygons.any() and points.any():
        listed = ", ".join(map(str, raw.index[points][:5])) + (" …" if points.sum() > 5 else "")
        if points_too:
            return raw, [f"图层 {layer!r}：{int(points.sum())} 个点要素按点状楼栋读取（--points）"]
        return raw[polygons], [
            f"图层 {layer!r}：面要素之外的 {int(points.sum())} 个点要素已跳过（要素 {listed}）；"
            "--points 可按点状楼栋读取"
        ]
    return raw, []
