"""Which column of a footprint file becomes which building field, said aloud.

Columns are matched by common names in any case (``Floor``, ``levels``, ``building:levels``, ``层数``…)
or as the user maps them (``--column floors=Floor``). Every column is accounted for in the notes: what
it became, or that it was ignored. Nothing is invented silently: a floor count estimated from a height
is marked ``floors_estimated``; a building without a stated use is ``unknown`` (no households are
estimated for it) unless the user gives a default use.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gridsvc.errors import InvalidInput
from gridsvc.ingest.osm import use_of_kind
from gridsvc.ingest.schema import BUILDINGS
from gridsvc.labels import use_set_to

# Field -> the column names that mean it, compared in lower case; the first present wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "bldg_id", "building_id", "osm_id", "objectid", "fid", "楼栋编号", "编号"),
    "use": ("use", "building_use", "building:use", "usage", "用途", "使用性质", "建筑用途"),
    "building_type": ("building", "type", "kind", "building_type", "类型", "建筑类型", "建筑类别"),
    "name": ("name", "name:zh", "楼栋名称", "名称", "建筑名称"),
    "address": ("address", "addr", "addr:full", "地址", "门牌地址"),
    "floors": (
        "floors",
        "floor",
        "levels",
        "building:levels",
        "building_levels",
        "storeys",
        "stories",
        "层数",
        "楼层",
        "楼层数",
        "地上层数",
    ),
    "height": ("height", "building:height", "height_m", "高度", "建筑高度"),
    "units": ("units", "单元数"),
    "households": ("households", "户数"),
    "residents": ("residents", "常住人口", "人口"),
    "full_members": ("full_members", "党员数"),
    "probationary_members": ("probationary_members", "预备党员数"),
    "osm_id": ("osm_id",),
}
STOREY_M = 3.0  # metres a storey, for a floor count estimated from a height


def parse_mapping(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``--column FIELD=COLUMN`` options as {field: column}; a clear error for anything else.

    >>> parse_mapping(["floors=Floor", "name = 楼名"])
    {'floors': 'Floor', 'name': '楼名'}
    """
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise InvalidInput(f"--column {pair!r}：写成 字段=列名，如 floors=Floor")
        if field not in ALIASES:
            raise InvalidInput(f"--column {pair!r}：未知字段 {field!r}；可用字段为 {', '.join(ALIASES)}")
        mapping[field] = column
    return mapping


def matched_columns(columns: list[str], mapping: Mapping[str, str], where: str) -> dict[str, str]:
    """{field: file column}: the user's mapping first, then the common names, each column used once."""
    by_lower = {str(c).lower(): c for c in columns}
    found: dict[str, str] = {}
    for field, column in mapping.items():
        actual = column if column in columns else by_lower.get(column.lower())
        if actual is None:
            raise InvalidInput(f"{where}：--column {field}={column}：没有列 {column!r}；现有列为 {', '.join(columns)}")
        found[field] = actual
    taken = set(found.values())
    for field, names in ALIASES.items():
        if field in found:
            continue
        actual = next((by_lower[n] for n in names if n in by_lower and by_lower[n] not in taken), None)
        if actual is not None:
            found[field] = actual
            taken.add(actual)
    return found


def building_fields(
    raw: pd.DataFrame, mapping: Mapping[str, str], default_use: str | None, where: str
) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """The building fields of ``raw``'s rows (without id or geometry), notes saying how each column
    was used, what was estimated and what was ignored, and the file's column each field was read
    from (for problems to name the column the user sees)."""
    columns = [c for c in raw.columns if c != getattr(raw, "geometry", pd.Series(name=None)).name]
    found = matched_columns(columns, mapping, where)
    frame = pd.DataFrame(index=raw.index)
    for field, column in found.items():
        frame[field] = raw[column].to_numpy()
    notes = [f"{where}：读取的列：" + ", ".join(f"{c} → {f}" for f, c in found.items())] if found else []
    ignored = [str(c) for c in columns if c not in found.values()]
    if ignored:
        notes.append(f"{where}：忽略的列：{', '.join(ignored)}（--column 字段=列名 可读取其中一列）")
    notes += _floors(frame)
    notes += _uses(frame, default_use)
    return frame.drop(columns=["height"], errors="ignore"), notes, dict(found)


def _floors(frame: pd.DataFrame) -> list[str]:
    """Floors as whole numbers; from the height at 3 m a storey where no count is given, marked.
    A floor count that is not a number stays as it is, for the value checks to refuse."""
    given = frame["floors"] if "floors" in frame else pd.Series(None, index=frame.index, dtype=object)
    floors = pd.to_numeric(given, errors="coerce")
    unreadable = given.notna() & floors.isna()
    estimated = pd.Series(False, index=frame.index)
    notes = []
    if "height" in frame:
        height = pd.to_numeric(frame["height"], errors="coerce")
        estimated = given.isna() & (height > 0)
        floors = floors.where(~estimated, np.maximum(1, np.round(height / STOREY_M)))
        if estimated.any():
            notes.append(
                f"{int(estimated.sum())} 栋楼没有层数：按每层 {STOREY_M:g} 米由高度估算层数，标记为 floors_estimated"
            )
    if "floors" in frame or estimated.any():
        whole = floors.where(floors.isna(), np.round(floors)).astype("Int64")
        frame["floors"] = whole.astype(object).where(~unreadable, given) if unreadable.any() else whole
    frame["floors_estimated"] = estimated.to_numpy()
    return notes


def _uses(frame: pd.DataFrame, default_use: str | None) -> list[str]:
    """Each building's use from its use column, else its kind; ``unknown`` (or ``default_use``) when
    neither says, so no households are invented for offices, schools and entrances."""
    uses = BUILDINGS.column("use").choices
    stated = [use_of_kind(v, uses) if isinstance(v, str) else None for v in _text(frame, "use")]
    kinds = [use_of_kind(v, uses) if isinstance(v, str) else None for v in _text(frame, "building_type")]
    chosen = [s or k for s, k in zip(stated, kinds, strict=True)]
    missing = sum(c is None for c in chosen)
    fallback = default_use or "unknown"
    frame["use"] = [c or fallback for c in chosen]
    notes = []
    if missing:
        how = (
            use_set_to(default_use, by_option=True)
            if default_use
            else use_set_to("unknown") + "，不估算户数（--default-use residential 可指定用途）"
        )
        notes.append(f"{missing} 栋楼没有注明用途：{how}")
    return notes


def _text(frame: pd.DataFrame, column: str) -> list:
    if column not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else str(v) for v in frame[column]]
