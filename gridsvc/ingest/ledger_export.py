"""Writing the ledgers (台账) back as an Excel workbook: one sheet each for 楼栋, 人员, 组织 and 党组织,
with the headers and Chinese words ``ingest.ledgers`` reads, so a workbook exported, edited and
imported again changes exactly what was edited."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.assignment import representative_points
from gridsvc.dataset import Dataset
from gridsvc.ingest.ledger_sheets import BUILDINGS, ORGANIZATIONS, PARTY_ORGS, STAFF, Sheet

_BOOLEAN = {True: "是", False: "否"}


def write_ledger(dataset: Dataset, path: Path) -> dict[str, int]:
    """The workbook at ``path`` (replaced); rows written per sheet."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    written = {}
    for sheet, frame in _sheets(dataset):
        ws = book.create_sheet(sheet.word)
        headers = [sheet.header(f) for f in frame.columns]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for k, header in enumerate(headers):
            ws.column_dimensions[openpyxl.utils.get_column_letter(k + 1)].width = max(10, 2 * len(header) + 4)
        written[sheet.word] = len(frame)
    book.save(path)
    return written


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return _BOOLEAN[bool(value)]
    if isinstance(value, np.integer):
        return int(value)
    return value


def _sheets(dataset: Dataset):
    buildings = dataset.get("buildings")
    if buildings is not None and len(buildings):
        yield BUILDINGS, _with_lonlat(_worded(buildings, BUILDINGS), buildings)
    staff = dataset.get("staff")
    if staff is not None and len(staff):
        yield STAFF, _staff_rows(staff, dataset.get("assignments"))
    organizations = dataset.get("organizations")
    if organizations is not None and len(organizations):
        yield ORGANIZATIONS, _with_lonlat(_worded(organizations, ORGANIZATIONS), organizations)
    party_orgs = dataset.get("party_orgs")
    if party_orgs is not None and len(party_orgs):
        yield PARTY_ORGS, _worded(party_orgs, PARTY_ORGS)


def _worded(frame: pd.DataFrame, sheet: Sheet) -> pd.DataFrame:
    """The sheet's fields present in ``frame``, coded values as their Chinese words."""
    fields = [f for f in sheet.fields if f in frame.columns]
    out = frame[fields].astype(object).reset_index(drop=True)
    for field, words in sheet.words.items():
        if field in out:
            out[field] = out[field].map(lambda v, w=words: w.get(v, v))
    return out


def _with_lonlat(out: pd.DataFrame, frame) -> pd.DataFrame:
    points = representative_points(frame.geometry.values.to_numpy())
    xy = shapely.get_coordinates(points)
    out["lon"], out["lat"] = np.round(xy[:, 0], 7), np.round(xy[:, 1], 7)
    return out


def _staff_rows(staff: pd.DataFrame, assignments: pd.DataFrame | None) -> pd.DataFrame:
    """One row per assignment (a person without one: one row), the target in its own column."""
    people = _worded(staff, STAFF)
    if assignments is None or assignments.empty:
        return people
    a = assignments.reset_index(drop=True)
    targets = pd.DataFrame({"id": a["staff_id"], "start_date": a["start_date"], "end_date": a["end_date"]})
    for kind in ("grid", "building", "organization"):
        targets[kind] = a["target_id"].where(a["target_type"] == kind, None)
    rows = people.merge(targets, on="id", how="left")
    order = [f for f in STAFF.fields if f in rows.columns]
    return rows[order].dropna(axis=1, how="all")
