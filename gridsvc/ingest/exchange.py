"""Reading the exchange GeoPackage: every layer typed and checked, every problem named."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from gridsvc.dataset import Dataset
from gridsvc.errors import DUPLICATE, ImportRejected, Problem
from gridsvc.ingest import list_layers
from gridsvc.ingest.buildings import complete_buildings
from gridsvc.ingest.geometry import to_storage
from gridsvc.ingest.schema import LAYER_BY_NAME, LAYERS, Layer
from gridsvc.ingest.values import convert_column, ungroup
from gridsvc.labels import thing_word

_DTYPES = {"int": "Int64", "number": "Float64", "bool": "boolean", "text": object, "date": object}


def is_exchange_file(path: Path) -> bool:
    """A GeoPackage holding at least one exchange-format layer."""
    if path.suffix.lower() != ".gpkg":
        return False
    names = {str(row[0]) for row in list_layers(path)}
    return bool(names & set(LAYER_BY_NAME))


def read_exchange(path: Path, datum: str | None = None) -> Dataset:
    """All exchange layers of ``path``, checked; raises :class:`ImportRejected` on any problem."""
    present = [str(row[0]) for row in list_layers(path)]
    dataset = Dataset(source="import")
    dataset.notes += [f"图层 {name!r} 不属于交换格式，已忽略" for name in present if name not in LAYER_BY_NAME]
    raws = {
        layer.name: pyogrio.read_dataframe(path, layer=layer.name, fid_as_index=True, use_arrow=True)
        for layer in LAYERS
        if layer.name in present
    }
    return _checked(raws, dataset, str(path), datum)


def _checked(raws: dict[str, pd.DataFrame], dataset: Dataset, name: str, datum: str | None) -> Dataset:
    """Type and check every layer of ``raws`` into ``dataset``; all problems at once, or the dataset
    with its buildings completed (estimated households, representative points)."""
    problems: list[Problem] = []
    for layer in LAYERS:
        if layer.name not in raws:
            continue
        frame, layer_problems, notes = typed_layer(raws[layer.name], layer, datum)
        problems += layer_problems
        dataset.notes += notes
        if frame is not None:
            dataset.layers[layer.name] = frame
    problems += check_within_file(dataset)
    if problems:
        raise ImportRejected(name, problems, dataset=dataset)  # its references can still be checked
    if "buildings" in dataset.layers:
        dataset.layers["buildings"] = complete_buildings(dataset.layers["buildings"])
    return dataset


def feature_names(raw: pd.DataFrame, layer: Layer) -> pd.Series:
    """How a row is named in messages: its feature id, and its key where it has one."""
    names = pd.Series([f"#{fid}" for fid in raw.index], index=raw.index)
    first_key = layer.key[0]
    if first_key in raw.columns:
        keys = raw[first_key].astype("string").fillna("")
        names = names + np.where(keys != "", " (" + first_key + "=" + keys + ")", "")
    return names


def typed_layer(
    raw: pd.DataFrame, layer: Layer, datum: str | None, *, repair: bool = False
) -> tuple[pd.DataFrame | None, list[Problem], list[str]]:
    """Type and check one layer's rows; the frame is None when a required column is missing."""
    problems: list[Problem] = []
    notes: list[str] = []
    names = feature_names(raw, layer)
    columns = [c for c in raw.columns if c != "geometry"]
    missing = [c for c in layer.required if c not in columns]
    for column in missing:
        problems.append(Problem(layer.name, None, column, "缺少必填字段"))
    if layer.geometry is not None and layer.optional_geometry and not isinstance(raw, gpd.GeoDataFrame):
        raw = gpd.GeoDataFrame(raw, geometry=gpd.GeoSeries([None] * len(raw), index=raw.index), crs=4490)
    if layer.geometry is not None and not isinstance(raw, gpd.GeoDataFrame):
        problems.append(Problem(layer.name, None, "geometry", "图层没有几何"))
    if problems:
        return None, problems, notes
    known = {c.name for c in (*layer.columns, *layer.extra)}
    ignored = [c for c in columns if c not in known]
    if ignored:
        notes.append(f"图层 {layer.name!r}：字段 {', '.join(ignored)} 不使用，已忽略")
    raw, said = ungroup(raw, layer, lambda column: f"图层 {layer.name!r}，字段 {column!r}")
    notes += said
    data: dict[str, list] = {}
    for column in (*layer.columns, *layer.extra):
        if column.name in raw.columns:
            values, column_problems = convert_column(raw[column.name], column, layer, names)
            data[column.name] = values
            problems += column_problems
    frame = pd.DataFrame(
        {
            name: pd.Series(values, index=raw.index, dtype=_DTYPES[layer.column(name).type])
            for name, values in data.items()
        },
        index=raw.index,
    )
    frame.attrs["feature_names"] = names
    if layer.geometry is not None:
        crs = CRS.from_user_input(raw.crs) if raw.crs is not None else None
        geoms, geom_problems, geom_notes = to_storage(
            raw.geometry.values.to_numpy(), crs, layer, names, datum, repair=repair
        )
        problems += geom_problems
        notes += geom_notes
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=raw.index, crs=4490))
        frame.attrs["feature_names"] = names
    problems += duplicates(frame, layer, names)
    return frame, problems, notes


def duplicates(frame: pd.DataFrame, layer: Layer, names: pd.Series) -> list[Problem]:
    key = [k for k in layer.key if k in frame.columns]
    if not key:
        return []
    # a row without its key is refused as such (必填值为空), not again as a duplicate of another
    dup = frame.duplicated(subset=key, keep="first") & frame[key].notna().all(axis=1)
    column = key[0] if len(key) == 1 else "+".join(key)
    return [
        Problem(layer.name, names.loc[i], column, f"{column} {_key_text(frame, key, i)!r} 重复", DUPLICATE)
        for i in frame.index[dup]
    ]


def _key_text(frame: pd.DataFrame, key: list[str], i) -> str:
    return "/".join(str(frame.at[i, k]) for k in key)


def check_within_file(dataset: Dataset) -> list[Problem]:
    """Rules that need two columns or two layers of the file (codes against their parents)."""
    problems: list[Problem] = []
    communities = dataset.get("communities")
    if communities is not None:
        problems += _community_hierarchy(communities)
    return problems


def _community_hierarchy(df: pd.DataFrame) -> list[Problem]:
    problems = []
    names = df.attrs.get("feature_names")
    for i, row in df.iterrows():
        code, street, district = row.get("code"), row.get("street_code"), row.get("district_code")
        if code and street and not code.startswith(street):
            problems.append(
                Problem(
                    "communities",
                    names.loc[i],
                    "street_code",
                    f"社区编码 {code} 不以所属街道编码 {street} 开头",
                )
            )
        if street and district and not street.startswith(district):
            problems.append(
                Problem(
                    "communities",
                    names.loc[i],
                    "district_code",
                    f"街道编码 {street} 不以所属区编码 {district} 开头",
                )
            )
    for level in ("street", "district"):
        named = df.dropna(subset=[f"{level}_code", f"{level}_name"])
        clashes = named.groupby(f"{level}_code")[f"{level}_name"].nunique()
        for code in clashes[clashes > 1].index:
            listed = sorted(named.loc[named[f"{level}_code"] == code, f"{level}_name"].unique())
            problems.append(
                Problem(
                    "communities",
                    None,
                    f"{level}_name",
                    f"{thing_word(level)} {code} 有不同的名称：{', '.join(listed)}",
                )
            )
    return problems


def validate_dataset(dataset: Dataset, name: str) -> Dataset:
    """Type and check a dataset built in memory (the demo) exactly as a file would be."""
    raws = {}
    for layer_name, frame in dataset.layers.items():
        raw = frame.reset_index(drop=True)
        raw.index = raw.index + 1  # feature numbers as a file would have them
        raws[layer_name] = raw
    return _checked(raws, Dataset(source=dataset.source, notes=list(dataset.notes)), name, None)
