"""Operations the CLI and the API share: import, export, demo build, inventory."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from gridsvc import audit
from gridsvc.access import principal_of, scope_of
from gridsvc.analysis.scene import Thresholds
from gridsvc.dataset import Dataset
from gridsvc.errors import ImportRejected, InvalidInput
from gridsvc.ingest.exchange import is_exchange_file, read_exchange
from gridsvc.ingest.export import write_exchange
from gridsvc.ingest.footprints import is_osm_file, read_footprint_file, read_osm
from gridsvc.ingest.references import check_references
from gridsvc.repository import read as repo
from gridsvc.repository.write import Counts, Progress, write_dataset

if TYPE_CHECKING:
    from gridsvc.demo import Demo

READABLE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".osm", ".pbf", ".fgb", ".zip")


@dataclass
class ImportResult:
    source: str
    counts: dict[str, Counts]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())


def read_file(path: Path, datum: str | None = None, layer: str | None = None) -> Dataset:
    """Read and check ``path`` by its kind: exchange GeoPackage, OSM, or other footprints."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if not path.name.lower().endswith(READABLE_SUFFIXES):
        raise InvalidInput(f"{path}: unknown file kind; gridsvc reads {', '.join(READABLE_SUFFIXES)}")
    if is_osm_file(path):
        return read_osm(path)
    if is_exchange_file(path):
        return read_exchange(path, datum)
    return read_footprint_file(path, datum, layer)


def import_dataset(engine: Engine, dataset: Dataset, name: str, sha256: str | None = None,
                   progress: Progress | None = None) -> ImportResult:
    """Check references against the database and write ``dataset``, all or nothing."""
    with engine.begin() as conn:
        problems = check_references(dataset, repo.existing_keys(conn))
        if problems:
            raise ImportRejected(name, problems)
        counts = write_dataset(conn, dataset, progress)
        result = ImportResult(name, counts, list(dataset.notes))
        if result.changed:
            _record(conn, name, sha256, dataset.source, counts)
            audit.record(conn, "import", "dataset", name, None,
                         {"sha256": sha256, "kind": dataset.source} | {t: vars(c) for t, c in counts.items()})
    return result


def import_file(engine: Engine, path: Path, datum: str | None = None, layer: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    dataset = read_file(path, datum, layer)
    return import_dataset(engine, dataset, str(path), file_sha256(Path(path)), progress)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, as the import log records it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(conn: Connection, name: str, sha256: str | None, kind: str, counts: dict[str, Counts]) -> None:
    summary = json.dumps({t: vars(c) for t, c in counts.items()}, ensure_ascii=False)
    conn.execute(text("INSERT INTO imports (source_name, sha256, kind, summary) VALUES (:n, :s, :k, :m)"),
                 {"n": name, "s": sha256, "k": kind, "m": summary})


def export_file(engine: Engine, path: Path) -> dict[str, int]:
    """Everything ``engine`` may see, as an exchange GeoPackage; phone numbers as its principal may see them."""
    with engine.connect() as conn:
        dataset = repo.read_dataset(conn)
    staff, assignments = dataset.layers.get("staff"), dataset.layers.get("assignments")
    if staff is not None:
        rows = () if assignments is None else zip(assignments["staff_id"], assignments["target_type"],
                                                  assignments["target_id"], strict=True)
        staff["phone"] = principal_of(engine).phones(staff["id"], staff["phone"], rows)
    return write_exchange(dataset, Path(path))


def inventory(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return repo.row_counts(conn)


def build_demo(engine: Engine, seed: int, osm: Path | None = None,
               progress: Progress | None = None) -> tuple[ImportResult, Demo]:
    """Generate the demo district (on OSM footprints when given) and store it."""
    from gridsvc.demo import build_demo as generate
    from gridsvc.ingest.exchange import validate_dataset

    demo = generate(seed, osm)
    name = f"demo seed={seed}" + (f" osm={osm}" if osm else "")
    dataset = validate_dataset(demo.dataset, name)
    return import_dataset(engine, dataset, name, None, progress), demo


def thresholds(settings) -> Thresholds:
    """The configured thresholds (GRIDSVC_HOUSEHOLDS_MIN, ...; domain.md §4's defaults)."""
    return Thresholds(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Thresholds)})


_COVERAGE_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
COVERAGE_CACHE_SIZE = 8


def coverage(engine: Engine, area: str | None = None, as_of=None, limits: Thresholds | None = None):
    """The coverage of ``area`` (any level; None: everything stored) as ``engine`` may see it.

    Kept in a small cache until the data changes (the database's ``data_version``, which triggers
    move on every real change, by gridsvc or anyone else); the coverage of a grid is its community's.
    """
    from gridsvc.analysis.coverage import compute_coverage, level_of
    from gridsvc.errors import NotFound
    from gridsvc.repository.scene import load_scene

    if area is not None:
        try:
            level_of(area)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    with engine.connect() as conn:
        if area is not None and not (repo.area_exists(conn, area) or repo.grid_exists(conn, area)):
            raise NotFound(f"no district, street, community or grid with code {area!r}")
        as_of = as_of or dt.date.today()  # "active" depends on the day: part of the key
        version = conn.scalar(text("SELECT version FROM data_version"))
        # what a scoped caller sees differs: the scope is part of the key
        key = (engine.url.render_as_string(hide_password=True), scope_of(engine), area[:12] if area else None,
               as_of, limits)
        with _CACHE_LOCK:
            hit = _COVERAGE_CACHE.get(key)
            if hit is not None and hit[0] == version:
                _COVERAGE_CACHE.move_to_end(key)
                return hit[1]
        scene = load_scene(conn, area, as_of)
    result = compute_coverage(scene, limits)
    with _CACHE_LOCK:
        _COVERAGE_CACHE[key] = (version, result)
        while len(_COVERAGE_CACHE) > COVERAGE_CACHE_SIZE:
            _COVERAGE_CACHE.popitem(last=False)
    return result


def check_area(code: str, what: str) -> str:
    """``code`` if it names a district, street or community, else a clear InvalidInput.

    ``what`` names what is asked for ("the coverage map", "a report") in the message."""
    from gridsvc.analysis.coverage import level_of

    try:
        level = level_of(code)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if level == "grid":
        raise InvalidInput(f"{code} is a grid: {what} is for a district, street or community "
                           "(the grid map shows one grid: gridsvc map grid)")
    return code


def check_community(code: str) -> str:
    """``code`` if it names a community (12 digits), else a clear InvalidInput."""
    if not (len(code) == 12 and code.isdigit()):
        raise InvalidInput(f"{code!r} is not a community code (12 digits)")
    return code


def alignment(engine: Engine, community: str, as_of=None, limits: Thresholds | None = None):
    """The alignment of the two grid layers of one community (domain.md §5)."""
    return coverage(engine, check_community(community), as_of, limits).alignment(community)
