"""Imports and exports as users run them (CLI and API alike): read a file, check it, write it all or
nothing; export what a caller may see; build the demo; count what is stored."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, text

from gridsvc.analysis.bulk import paused
from gridsvc.dataset import Dataset
from gridsvc.errors import ImportRejected, InvalidInput, Problem
from gridsvc.ingest import DEFAULT_OPTIONS, ReadOptions
from gridsvc.ingest.exchange import is_exchange_file, read_exchange
from gridsvc.ingest.export import write_exchange
from gridsvc.ingest.footprints import read_footprint_file
from gridsvc.ingest.ledger_export import write_ledger
from gridsvc.ingest.ledgers import LEDGER_SUFFIXES, Stored, is_ledger, read_ledger
from gridsvc.ingest.moves import Shift, consistent_shift
from gridsvc.ingest.osm import is_osm_file, read_osm
from gridsvc.ingest.references import check_references, outside_references
from gridsvc.repository import audit
from gridsvc.repository import read as repo
from gridsvc.repository.write import Counts, Progress, write_dataset
from gridsvc.services.access import principal_of

if TYPE_CHECKING:
    from gridsvc.demo import Demo

READABLE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".osm", ".pbf", ".fgb", ".zip", *LEDGER_SUFFIXES)


@dataclass
class ImportResult:
    source: str
    counts: dict[str, Counts]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())


def read_file(path: Path, options: ReadOptions = DEFAULT_OPTIONS, stored: Stored | None = None) -> Dataset:
    """Read and check ``path`` by its kind: exchange GeoPackage, OSM, ledger (Excel/CSV, locating
    rows by the ``stored`` ones), or other footprints."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path}：文件不存在")
    if not path.name.lower().endswith(READABLE_SUFFIXES):
        raise InvalidInput(f"{path}：无法识别的文件类型；gridsvc 可读取 {', '.join(READABLE_SUFFIXES)}")
    if is_ledger(path):
        return read_ledger(path, options, stored or (lambda layer, ids: pd.DataFrame()))
    if is_osm_file(path):
        return read_osm(path, options.default_use)
    if is_exchange_file(path):
        return read_exchange(path, options.datum)
    return read_footprint_file(path, options)


@paused()  # a file's rows become millions of objects: no cycle hunt among them
def read_checked(engine: Engine, path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Dataset:
    """``read_file`` (ledgers against what is stored), and when the file's values have problems, its
    references checked against the database too, so that every problem is reported at once. A
    database connection is held only while it is needed, not while a footprint file is parsed."""
    try:
        if not is_ledger(Path(path)):
            return read_file(path, options)
        with engine.connect() as conn:
            return read_file(path, options, functools.partial(repo.stored_rows, conn))
    except ImportRejected as exc:
        if exc.dataset is None:
            raise
        with engine.connect() as conn:
            more = check_references(exc.dataset, repo.existing_keys(conn))
        if not more:
            raise
        raise ImportRejected(exc.source, exc.problems + more, exc.hint) from None


@paused()  # a file's rows become millions of objects: no cycle hunt among them
def import_dataset(
    engine: Engine,
    dataset: Dataset,
    name: str,
    sha256: str | None = None,
    progress: Progress | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> ImportResult:
    """Check references against the database and write ``dataset``, all or nothing. An update that
    moves many stored buildings alike (a datum mistake) is refused unless ``options.accept_moves``."""
    with engine.begin() as conn:
        problems = check_references(dataset, repo.existing_keys(conn))
        if problems:
            raise ImportRejected(name, problems)
        notes = list(dataset.notes)
        shift = _datum_shift(conn, dataset.get("buildings"))
        if shift is not None and not options.accept_moves:
            raise ImportRejected(
                name,
                [Problem("buildings", None, "geometry", str(shift))],
                hint="请检查文件的坐标基准（高德/腾讯坐标用 --datum gcj02，CGCS2000 不用）；"
                "--accept-moves 仍按文件保存这些移动",
            )
        if shift is not None:
            notes.append(f"{shift}；已按要求保存（--accept-moves）")
        counts = write_dataset(conn, dataset, progress)
        result = ImportResult(name, counts, notes)
        if result.changed:
            _record(conn, name, sha256, dataset.source, counts)
            audit.record(
                conn,
                "import",
                "dataset",
                name,
                None,
                {"sha256": sha256, "kind": dataset.source} | {t: vars(c) for t, c in counts.items()},
            )
    return result


def _datum_shift(conn: Connection, buildings) -> Shift | None:
    """How the file would move the stored buildings it names, when they all move alike."""
    if buildings is None or buildings.empty or not repo.any_buildings(conn):
        return None  # nothing stored to move (sending a city's ids to look them up took 0.3 s)
    stored = repo.building_points(conn, buildings["id"].tolist())
    if stored.empty:
        return None
    incoming = buildings.set_index("id")["rep_point"].loc[stored["id"]]
    new = shapely.get_coordinates(incoming.to_numpy())
    return consistent_shift(stored[["x", "y"]].to_numpy(), new)


def import_file(
    engine: Engine, path: Path, options: ReadOptions = DEFAULT_OPTIONS, progress: Progress | None = None
) -> ImportResult:
    dataset = read_checked(engine, path, options)
    return import_dataset(engine, dataset, str(path), file_sha256(Path(path)), progress, options)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, as the import log records it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(conn: Connection, name: str, sha256: str | None, kind: str, counts: dict[str, Counts]) -> None:
    summary = json.dumps({t: vars(c) for t, c in counts.items()}, ensure_ascii=False)
    conn.execute(
        text("INSERT INTO imports (source_name, sha256, kind, summary) VALUES (:n, :s, :k, :m)"),
        {"n": name, "s": sha256, "k": kind, "m": summary},
    )


def export_file(engine: Engine, path: Path) -> tuple[dict[str, int], list[Problem]]:
    """Everything ``engine`` may see, as an exchange GeoPackage (``.gpkg``) or the ledger workbook
    (``.xlsx``), with rows per layer and the references the file does not hold (a Party branch
    scoped to a grid a plan closed), which a new database would refuse; phone numbers as its
    principal may see them."""
    with engine.connect() as conn:
        dataset = repo.read_dataset(conn)
        closed = repo.closed_grids(conn)
    staff, assignments = dataset.layers.get("staff"), dataset.layers.get("assignments")
    if staff is not None:
        rows = (
            ()
            if assignments is None
            else zip(assignments["staff_id"], assignments["target_type"], assignments["target_id"], strict=True)
        )
        staff["phone"] = principal_of(engine).phones(staff["id"], staff["phone"], rows)
    outside = outside_references(dataset, closed)
    if Path(path).suffix.lower() == ".xlsx":
        return write_ledger(dataset, Path(path)), outside
    return write_exchange(dataset, Path(path)), outside


def inventory(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return repo.row_counts(conn)


def build_demo(
    engine: Engine, seed: int, osm: Path | None = None, progress: Progress | None = None
) -> tuple[ImportResult, Demo]:
    """Generate the demo district (on OSM footprints when given) and store it."""
    from gridsvc.demo import build_demo as generate
    from gridsvc.ingest.exchange import validate_dataset

    demo = generate(seed, osm)
    name = f"demo seed={seed}" + (f" osm={osm}" if osm else "")
    dataset = validate_dataset(demo.dataset, name)
    return import_dataset(engine, dataset, name, None, progress), demo


def write_problems(problems: list[Problem], path: Path) -> None:
    """Every problem as a CSV row (layer or sheet, feature or row, column, reason) under Chinese
    headers, UTF-8 with a BOM so Excel reads the Chinese right."""
    import csv

    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["图层或工作表", "要素或行", "字段", "原因"])
        for p in problems:
            writer.writerow([p.layer, p.feature or "", p.column or "", p.reason])
