"""Coverage of many areas at once, cut into parts (districts or streets) that Dask workers compute.

Each part is read from PostGIS on the worker and computed by the same analysis as ``gridsvc
coverage`` (load_scene + compute_coverage); the areas above the parts are rolled up from the parts'
sums (metrics.roll_up), so the tree is the one ``gridsvc coverage`` prints, number for number.

>>> # tree, parts = prepare(settings, "430100", by="street").run(client, progress=print)
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from gridsvc.analysis.bulk import paused
from gridsvc.analysis.coverage import level_of, metric_values
from gridsvc.analysis.metrics import CODE_LENGTH, LEVELS, as_json, roll_up
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import no_code
from gridsvc.repository import read as repo
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings

PART_LEVELS = ("district", "street")  # what a batch is cut into


@dataclass
class Part:
    """What a worker hands back for one area: its subtree, and its sums for the levels above."""

    code: str
    node: dict
    sums: pd.DataFrame
    generated: bool
    gaps: int
    gap_list: pd.DataFrame | None = None  # the part's gap list (geometry as WKB), when asked for
    seconds: tuple[float, float] = (0.0, 0.0)  # reading it, computing it (on the worker)


_ENGINES: dict[str, object] = {}
_ENGINES_LOCK = threading.Lock()


def _worker_engine(settings: Settings):
    """One engine per worker process and database, as the CLI's local admin (made on first use)."""
    from gridsvc.db.engine import make_engine
    from gridsvc.services.access import local_admin, scoped

    with _ENGINES_LOCK:
        if settings.database_url not in _ENGINES:
            _ENGINES[settings.database_url] = scoped(make_engine(settings, migrate=False), local_admin())
        return _ENGINES[settings.database_url]


@paused()  # the whole part without a cycle hunt (gridsvc.analysis.bulk: a worker's task may pause)
def compute_part(settings: Settings, code: str, as_of: dt.date, limits: Thresholds, gaps: bool = False) -> Part:
    """Run on a worker: the coverage of area ``code``, read from the database there (with ``gaps``,
    its gap list too)."""
    from gridsvc.analysis.coverage import compute_coverage
    from gridsvc.repository.scene import load_scene

    started = time.perf_counter()
    with _worker_engine(settings).connect() as conn:
        scene = load_scene(conn, code, as_of)
    read = time.perf_counter()
    cov = compute_coverage(scene, limits)
    above = [level for level in LEVELS if CODE_LENGTH[level] < len(code)]
    sums = cov.parts(level_of(code)) if above else pd.DataFrame()
    gap_list = None
    if gaps:
        gap_list = pd.DataFrame(cov.gaps.drop(columns="geometry"))
        gap_list["geometry"] = cov.gaps.geometry.to_wkb()
    node = cov.tree(code)
    seconds = (read - started, time.perf_counter() - read)
    return Part(code, node, sums, scene.generated, len(cov.gaps), gap_list, seconds)


def parts_of(engine, area: str | None, by: str) -> tuple[list[str], dict[str, str]]:
    """The areas (at level ``by``, or ``area`` itself when it is smaller) holding communities under
    ``area``, and the names of them and of every area above them."""
    if by not in PART_LEVELS:
        raise InvalidInput(f"--by {by!r}：应为 {', '.join(PART_LEVELS)} 之一")
    if area is not None:
        coverage_service.check_area(area, "批量计算")
    length = max(CODE_LENGTH[by], len(area or ""))
    with engine.connect() as conn:
        if area is not None and not repo.area_exists(conn, area):
            raise NotFound(no_code(area, "district", "street", "community"))
        return repo.populated_areas(conn, area or "", length), repo.area_names_to(conn, length)


def assemble(parts: list[Part], names: dict[str, str], area: str | None) -> dict | list[dict]:
    """The tree of ``gridsvc coverage``: the parts' subtrees under areas rolled up from their sums."""
    by_code = {p.code: p for p in parts}
    summed = [p.sums for p in parts if len(p.sums)]
    sums = pd.concat(summed, ignore_index=True) if summed else pd.DataFrame()
    figures: dict[str, dict] = {}
    children: dict[str, set[str]] = {}  # every area above the parts -> the codes one level below it
    lengths = [CODE_LENGTH[level] for level in LEVELS]  # district, street, community, grid
    for code in by_code:
        chain = [n for n in lengths if n < len(code)] + [len(code)]  # e.g. 6, 9 for a street
        for parent, child in itertools.pairwise(chain):
            children.setdefault(code[:parent], set()).add(code[:child])

    def node(code: str) -> dict:
        if code in by_code:
            return by_code[code].node
        level = level_of(code)
        if level not in figures:
            figures[level] = as_json(roll_up(sums, level)) if len(sums) else {}
        return {
            "area": {"code": code, "level": level, "name": names.get(code, "")},
            "metrics": metric_values(figures[level].get(code, {}), level),
            "children": [node(c) for c in sorted(children.get(code, ()))],
        }

    if area is not None:
        return node(area)
    return [node(d) for d in sorted({p[: CODE_LENGTH["district"]] for p in by_code})]


@dataclass
class Batch:
    """A batch ready to run: its parts, the names of the areas above them, where the workers read."""

    settings: Settings
    area: str | None
    codes: list[str]
    names: dict[str, str]

    def run(
        self,
        client,
        *,
        as_of: dt.date | None = None,
        limits: Thresholds | None = None,
        progress: Callable[[int, int, Part], None] | None = None,
        gaps: bool = False,
    ) -> tuple[dict | list[dict], list[Part]]:
        """The coverage tree, the parts computed on the Dask ``client``'s workers (with ``gaps``, each
        part's gap list comes back too); ``progress(done, total, part)`` after each part."""
        from distributed import as_completed

        as_of, limits = as_of or dt.date.today(), limits or Thresholds()
        n = len(self.codes)
        futures = client.map(
            compute_part, [self.settings] * n, self.codes, as_of=as_of, limits=limits, gaps=gaps, pure=False
        )
        parts = []
        for future in as_completed(futures):
            parts.append(future.result())
            if progress:
                progress(len(parts), n, parts[-1])
        return assemble(parts, self.names, self.area), parts


def prepare(settings: Settings, area: str | None = None, by: str = "district") -> Batch:
    """The batch of ``area`` (None: everything) cut at level ``by``; checked before any worker starts."""
    from gridsvc.db.engine import database_url, make_engine
    from gridsvc.services.access import local_admin, scoped

    engine = scoped(make_engine(settings), local_admin())
    codes, names = parts_of(engine, area, by)
    # workers reach the database by URL: the private cluster's socket on this machine, or
    # GRIDSVC_DATABASE_URL for workers elsewhere
    shared = settings.model_copy(update={"database_url": database_url(settings)})
    return Batch(shared, area, codes, names)
