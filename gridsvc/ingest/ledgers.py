"""Reading the street office's Excel and CSV ledgers (台账) into exchange layers.

Each sheet (or the one table of a CSV file) is a buildings, staff, organizations or Party
organizations ledger (``ingest.ledger_sheets``). Rows are checked like every import, each problem
named by sheet, row (as Excel numbers it), header and reason. A building or organization is
located by its 经度/纬度 (with ``--datum``), or, when its id is already stored, by its stored
footprint, which a ledger never replaces. A blank cell or a missing column keeps what is stored.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gridsvc.dataset import Dataset
from gridsvc.errors import ImportRejected, InvalidInput, Problem
from gridsvc.ingest import ReadOptions
from gridsvc.ingest.buildings import complete_buildings
from gridsvc.ingest.encodings import first_decoding
from gridsvc.ingest.exchange import duplicates
from gridsvc.ingest.geometry import to_storage
from gridsvc.ingest.ledger_places import lonlat_points, place_rows
from gridsvc.ingest.ledger_sheets import (
    LOCATION_HEADER,
    PLAIN_KINDS,
    Sheet,
    code_of,
    filled,
    header_fields,
    is_footer,
    names_a_header,
    sheet_of,
)
from gridsvc.ingest.osm import use_of_kind
from gridsvc.ingest.schema import ASSIGNMENTS, LAYER_BY_NAME, Layer
from gridsvc.ingest.values import convert_column, ungroup
from gridsvc.labels import use_set_to

LEDGER_SUFFIXES = (".xlsx", ".xlsm", ".csv")
HEADER_ROWS = 10  # how far down a sheet its header row is looked for (below a title and group headings)
Stored = Callable[[str, list[str]], pd.DataFrame]  # (layer, ids) -> the stored rows, as exported


def is_ledger(path: Path) -> bool:
    return path.suffix.lower() in LEDGER_SUFFIXES


@dataclasses.dataclass
class _Read:
    """One recognised sheet: its fields by exchange name, how its rows and fields are named."""

    name: str
    sheet: Sheet
    data: pd.DataFrame
    rows: pd.Series  # "row 5 (楼栋编号=b1)"
    header_of: dict[str, str]


def read_ledger(path: Path, options: ReadOptions, stored: Stored) -> Dataset:
    """Every recognised sheet of ``path`` as exchange layers; all problems at once, or none."""
    tables, notes = _tables(path, options.encoding)
    reads = []
    for name, raw in tables:
        notes += [
            f"工作表 {name!r}：第 {row} 行（{title}）当作标题，未读取；表头在第 {raw.attrs['header_row']} 行"
            for row, title in raw.attrs.get("titles", [])
        ] + [
            f"工作表 {name!r}：第 {row} 行（{cells}）是合计或签名行，未读取"
            for row, cells in raw.attrs.get("footers", [])
        ]
        read = _recognised(name, raw, options, notes)
        if read is not None:
            reads.append(read)
    _check_mapping(path, options.columns, tables)
    if not reads:
        raise InvalidInput(
            f"{path}：没有工作表是楼栋、人员、组织或党组织台账（按表名或表头判断），"
            "也没有报到、共建协议、共建清单或兼职委员台账（按表名判断）"
        )
    dataset, problems = Dataset(source="import", notes=notes), []
    order = ("buildings", "organizations", "party_orgs", "staff", *PLAIN_KINDS)
    for read in sorted(reads, key=lambda r: order.index(r.sheet.kind)):
        problems += _add(dataset, read, options, stored)
    if problems:
        raise ImportRejected(str(path), problems, dataset=dataset)
    if "buildings" in dataset.layers:
        dataset.layers["buildings"] = complete_buildings(dataset.layers["buildings"])
    return dataset


def _tables(path: Path, encoding: str | None) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """(sheet name, cells as objects indexed by Excel row number) per sheet, and notes."""
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        name = encoding or ("UTF-8-SIG" if data.startswith(b"\xef\xbb\xbf") else first_decoding(data, path))
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            raise InvalidInput(f"{path}：文字无法按 {name} 读取；请换一个 --encoding") from None
        rows = list(csv.reader(io.StringIO(text)))
        return [(path.stem, _frame(rows))], [f"{path.name}：文字按 {name} 读取"]
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a broken file
        raise InvalidInput(f"{path}：无法作为 Excel 工作簿读取（{type(exc).__name__}：{exc}）") from None
    try:
        return [(ws.title, _frame(list(ws.iter_rows(values_only=True)))) for ws in book.worksheets], []
    finally:
        book.close()


def _frame(rows: list) -> pd.DataFrame:
    """Cells under the sheet's headers, indexed by Excel row number (header = its row). The headers
    are the first of the top rows to name a ledger's header, else the first row of two cells or
    more; rows above them (a title such as ``春晖社区楼栋台账``, often merged across the table, or
    group headings) are not read: ``attrs["titles"]``, for the notes; nor are the rows below that
    sum the rows above or sign the sheet off (合计, 小计, 填表人：…): ``attrs["footers"]``."""
    used = [i for i, r in enumerate(rows) if any(filled(v) for v in r)]
    if not used:
        return pd.DataFrame()
    wide = [i for i in used if sum(map(filled, rows[i])) > 1] or used[:1]
    first = next((i for i in wide[:HEADER_ROWS] if names_a_header(rows[i])), wide[0])
    titles = [(i + 1, _cells(rows[i])) for i in used if i < first]
    headers = [str(h).strip() if filled(h) else f"列{k + 1}" for k, h in enumerate(rows[first])]
    footers = [i for i in used if i > first and is_footer(rows[i])]
    skipped = set(footers)
    kept = [i for i in range(first + 1, len(rows)) if i not in skipped]
    body = [list(rows[i]) + [None] * (len(headers) - len(rows[i])) for i in kept]
    index = [i + 1 for i in kept]
    frame = pd.DataFrame([r[: len(headers)] for r in body], columns=headers, index=index, dtype=object)
    nonempty = frame.map(filled).any(axis=1) if len(frame) else pd.Series(dtype=bool)
    frame = frame[nonempty]
    frame.attrs.update(titles=titles, header_row=first + 1, footers=[(i + 1, _cells(rows[i])) for i in footers])
    return frame


def _cells(row: list) -> str:
    """A row's filled cells as the notes quote it: ``合计 | 70``."""
    return " | ".join(str(v).strip() for v in row if filled(v))


def _recognised(name: str, raw: pd.DataFrame, options: ReadOptions, notes: list[str]) -> _Read | None:
    headers = [str(c) for c in raw.columns]
    sheet = sheet_of(name, headers, options.columns)
    if sheet is None or raw.empty:
        why = "没有数据行" if sheet is not None else f"的表头（{', '.join(headers) or '无'}）不是任何台账"
        notes.append(f"工作表 {name!r} {why}，已忽略")
        return None
    header_of = header_fields(sheet, headers, options.columns)
    ignored = [h for h in headers if h not in header_of.values()]
    notes.append(
        f"工作表 {name!r}（{sheet.word}）："
        + ", ".join(f"{h} → {f}" for f, h in header_of.items())
        + (f"；忽略：{', '.join(ignored)}" if ignored else "")
    )
    data = pd.DataFrame({f: raw[h] for f, h in header_of.items()}, index=raw.index, dtype=object)
    data = data.map(lambda v: v.strip() if isinstance(v, str) else v).replace({"": None})
    for field, words in sheet.words.items():
        if field in data:
            data[field] = data[field].map(lambda v, w=words: code_of(v, w))
    ids = data["id"] if "id" in data else pd.Series(None, index=data.index, dtype=object)
    rows = pd.Series(
        [
            f"第 {i} 行" + (f"（{sheet.header('id')}={v}）" if filled(v) else "")
            for i, v in zip(data.index, ids, strict=True)
        ],
        index=data.index,
    )
    return _Read(name, sheet, data, rows, header_of)


def _check_mapping(path: Path, mapping: dict[str, str], tables) -> None:
    headers = {str(c).strip() for _, raw in tables for c in raw.columns}
    for field, header in mapping.items():
        if header.strip() not in headers:
            raise InvalidInput(f"{path}：--column {field}={header}：没有工作表有表头 {header!r}")


def _add(dataset: Dataset, read: _Read, options: ReadOptions, stored: Stored) -> list[Problem]:
    kind = read.sheet.kind
    if kind == "staff":
        return _add_staff(dataset, read, stored)
    if kind in PLAIN_KINDS:
        return _add_plain(dataset, read, options)
    layer = LAYER_BY_NAME[kind]
    data = read.data
    if "id" not in data or data["id"].isna().any():
        data = _with_made_ids(read, dataset.notes)
    if kind == "buildings" and "use" in data:
        choices = layer.column("use").choices
        data["use"] = [v if v is None or v in choices else (use_of_kind(str(v), choices) or v) for v in data["use"]]
    typed, problems = _typed(data, layer, read)
    typed = _merged(typed, stored(kind, typed["id"].dropna().tolist()), layer)
    if kind == "buildings":
        _fill_use(typed, options.default_use, dataset.notes, read.name)
        _counted_not_estimated(typed, data)
    typed = _dtyped(typed, layer)
    if layer.geometry is not None:
        typed, located = place_rows(typed, data, read, options, dataset)
        problems += located
    problems += duplicates(typed, dataclasses.replace(layer, name=read.name), read.rows)
    _as_sheet(typed, read, read.rows)
    dataset.layers[kind] = typed
    return _headed(problems, read)


def _add_plain(dataset: Dataset, read: _Read, options: ReadOptions) -> list[Problem]:
    """A §8.1 sheet: its rows as the layer's, each whole (a row replaces the stored one with its key);
    a list item is placed at 经度/纬度 where given."""
    layer = LAYER_BY_NAME[read.sheet.kind]
    problems = [
        Problem(read.name, None, read.sheet.header(c), "缺少必填字段") for c in layer.required if c not in read.data
    ]
    if problems:
        return problems
    typed, problems = _typed(read.data, layer, read)
    typed = _dtyped(typed, layer)
    if layer.geometry is not None:
        lonlat = lonlat_points(read.data, read, problems)
        geoms = np.full(len(typed), None, dtype=object)
        given = pd.notna(lonlat)
        if given.any():
            named = dataclasses.replace(layer, name=read.name)
            geoms[given], found, said = to_storage(
                lonlat[given], CRS.from_epsg(4326), named, read.rows[given], options.datum
            )
            problems += found
            dataset.notes.extend(said)
        typed = gpd.GeoDataFrame(typed, geometry=gpd.GeoSeries(geoms, index=typed.index, crs=4490))
    problems += duplicates(typed, dataclasses.replace(layer, name=read.name), read.rows)
    _as_sheet(typed, read, read.rows)
    dataset.layers[read.sheet.kind] = typed
    return _headed(problems, read)


def _with_made_ids(read: _Read, notes: list[str]) -> pd.DataFrame:
    """Rows without an id get one made from their name and address (the same row, the same id)."""
    data = read.data.copy()
    ids = data["id"] if "id" in data else pd.Series(None, index=data.index, dtype=object)
    missing = ids.isna()
    text = data.reindex(columns=["name", "address"]).astype(object).fillna("").astype(str).agg("|".join, axis=1)
    prefix = {"buildings": "ld", "organizations": "org", "party_orgs": "po"}[read.sheet.kind]
    made = [f"{prefix}-" + hashlib.sha1(t.encode()).hexdigest()[:12] if t != "|" else None for t in text]
    data["id"] = ids.where(~missing, pd.Series(made, index=data.index))
    notes.append(
        f"工作表 {read.name!r}：{int(missing.sum())} 行没有{read.sheet.header('id')}：id 由名称和地址生成（{prefix}-…）"
    )
    return data


def _typed(
    data: pd.DataFrame, layer: Layer, read: _Read, names: pd.Series | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """The layer's columns of ``data``, converted and checked, each problem named by its row."""
    named = dataclasses.replace(layer, name=read.name)
    names = read.rows.loc[data.index] if names is None else names
    out, problems = pd.DataFrame(index=data.index), []
    for column in (*layer.columns, *layer.extra):
        if column.name in data:
            words = read.sheet.words.get(column.name)
            if words:  # a wrong role or kind is told the Chinese words the sheet takes
                column = dataclasses.replace(column, words=tuple(words.values()))
            values, found = convert_column(data[column.name], column, named, names)
            out[column.name] = np.array(values, dtype=object)
            problems += found
    return out, problems


def _dtyped(frame: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """Columns in the types the writer expects: whole numbers stay whole beside blanks."""
    for column in (*layer.columns, *layer.extra):
        if column.name in frame:
            values = frame[column.name].astype(object).where(frame[column.name].notna(), None)
            frame[column.name] = values.astype(_DTYPES[column.type])
    return frame


_DTYPES = {"int": "Int64", "number": "Float64", "bool": "boolean", "text": object, "date": object}


def _merged(typed: pd.DataFrame, stored: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """Stored rows with the ledger's filled cells over them; new rows as the ledger has them."""
    columns = [c.name for c in (*layer.columns, *layer.extra)]
    out = typed.reindex(columns=[c for c in columns if c in typed or c in stored.columns]).astype(object)
    if stored.empty:
        return out
    by_id = stored.set_index("id")
    known = out["id"].isin(by_id.index)
    for column in out.columns:
        if column in by_id.columns and column != "id":
            old = out.loc[known, "id"].map(by_id[column])
            out.loc[known, column] = out.loc[known, column].where(out.loc[known, column].notna(), old)
    out.attrs["stored_geometry"] = out.loc[known, "id"].map(by_id["geometry"]) if "geometry" in by_id else None
    return out


def _counted_not_estimated(typed: pd.DataFrame, data: pd.DataFrame) -> None:
    """A count the ledger gives is a count, not an estimate, unless its 为估算 column says so."""
    for flag, count in (("households_estimated", "households"), ("floors_estimated", "floors")):
        if count in data:
            given = data[count].notna() & (data[flag].isna() if flag in data else True)
            if given.any():
                typed[flag] = typed[flag].astype(object) if flag in typed else None
                typed.loc[given, flag] = False


def _fill_use(typed: pd.DataFrame, default_use: str | None, notes: list[str], sheet: str) -> None:
    missing = typed["use"].isna() if "use" in typed else pd.Series(True, index=typed.index)
    if missing.any():
        typed["use"] = (typed["use"] if "use" in typed else None).where(~missing, default_use or "unknown")
        how = use_set_to(default_use, by_option=True) if default_use else use_set_to("unknown") + "，不估算户数"
        notes.append(f"工作表 {sheet!r}：{int(missing.sum())} 栋新楼没有用途：{how}")


def _add_staff(dataset: Dataset, read: _Read, stored: Stored) -> list[Problem]:
    """Staff (one per person, by 人员编号 or name and phone) and their assignments (one per row and
    target named in 网格编码, 楼栋编号 or 组织编号)."""
    staff_layer = LAYER_BY_NAME["staff"]
    data, said = ungroup(read.data, staff_layer, lambda field: f"工作表 {read.name!r}，列 {read.header_of[field]!r}")
    data = data.copy()  # ids are made in it below
    dataset.notes += said
    if "id" not in data or data["id"].isna().any():  # after the blanks are out: 139 1234 5679 is 13912345679
        key = data.reindex(columns=["name", "phone"]).astype(object).fillna("").astype(str).agg("|".join, axis=1)
        made = pd.Series(["st-" + hashlib.sha1(k.encode()).hexdigest()[:12] for k in key], index=data.index)
        data["id"] = data["id"].astype(object).where(data["id"].notna(), made) if "id" in data else made
        dataset.notes.append(f"工作表 {read.name!r}：没有人员编号的人员，id 由姓名和电话生成（st-…）")
    typed, problems = _typed(data, staff_layer, read)
    first = typed.drop_duplicates("id")
    people = _dtyped(_merged(first, stored("staff", first["id"].dropna().tolist()), staff_layer), staff_layer)
    problems += _conflicts(typed, read)
    _as_sheet(people, read, read.rows.loc[people.index])
    dataset.layers["staff"] = people
    rows = []
    for target in ("grid", "building", "organization"):
        if target in data:
            given = data[data[target].notna()]
            rows.append(
                pd.DataFrame(
                    {
                        "staff_id": given["id"],
                        "target_type": target,
                        "target_id": given[target],
                        **{d: given[d] if d in given else None for d in ("start_date", "end_date")},
                    },
                    index=given.index,
                )
            )
    if rows:
        assignments = pd.concat(rows)
        names = read.rows.loc[assignments.index]
        typed_a, found = _typed(assignments, ASSIGNMENTS, read, names)
        typed_a = _dtyped(typed_a.reset_index(drop=True), ASSIGNMENTS)
        _as_sheet(typed_a, read, names.reset_index(drop=True))
        dataset.layers["assignments"] = typed_a
        problems += found
    return _headed(problems, read)


def _conflicts(typed: pd.DataFrame, read: _Read) -> list[Problem]:
    problems = []
    for column in ("name", "role"):
        if column not in typed:
            continue
        differ = typed.groupby("id")[column].nunique() > 1
        for pid in differ[differ].index:
            i = typed.index[typed["id"] == pid][1]
            problems.append(Problem(read.name, read.rows.loc[i], column, f"人员 {pid} 在前面的行中有不同的 {column}"))
    return problems


def _headed(problems: list[Problem], read: _Read) -> list[Problem]:
    """Problems named by the sheet and its own headers rather than layer and field names (a row's
    geometry is its 经度/纬度)."""
    headers = _headers(read)
    return [dataclasses.replace(p, column=headers.get(p.column, p.column), sheet=True) for p in problems]


def _headers(read: _Read) -> dict[str, str]:
    """Field -> the sheet's header for it; an assignment's target is the header that named it."""
    targets = [read.header_of[t] for t in ("grid", "building", "organization") if t in read.header_of]
    return read.header_of | {"geometry": LOCATION_HEADER, "target_id": "/".join(targets) or "target_id"}


def _as_sheet(frame: pd.DataFrame, read: _Read, names: pd.Series) -> None:
    """Mark a layer read from ``read``: the checks made after reading (references) name its rows
    by sheet, row and header too (:func:`gridsvc.ingest.references.check_references`)."""
    frame.attrs.update(feature_names=names, sheet=read.name, headers=_headers(read))
