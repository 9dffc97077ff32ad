"""Coverage as users ask for it (CLI, API, maps and reports alike): the configured thresholds, the
coverage of an area as a caller may see it (cached until the data changes), area-code checks, and a
community's alignment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict

from sqlalchemy import Engine, text

from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.labels import no_code
from gridsvc.repository import read as repo
from gridsvc.services.access import scope_of


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
            raise NotFound(no_code(area, "district", "street", "community", "grid"))
        as_of = as_of or dt.date.today()  # "active" depends on the day: part of the key
        version = conn.scalar(text("SELECT version FROM data_version"))
        # what a scoped caller sees differs: the scope is part of the key
        key = (
            engine.url.render_as_string(hide_password=True),
            scope_of(engine),
            area[:12] if area else None,
            as_of,
            limits,
        )
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
        raise InvalidInput(f"{code} 是网格编码：{what}按区、街道或社区查看（单个网格请看网格地图）")
    return code


def check_community(code: str) -> str:
    """``code`` if it names a community (12 digits), else a clear InvalidInput."""
    if not (len(code) == 12 and code.isdigit()):
        raise InvalidInput(f"{code!r} 不是社区编码（12 位数字）")
    return code


def alignment(engine: Engine, community: str, as_of=None, limits: Thresholds | None = None):
    """The alignment of the two grid layers of one community (domain.md §5)."""
    return coverage(engine, check_community(community), as_of, limits).alignment(community)


def area_names(engine: Engine, codes: list[str]) -> dict[str, str]:
    """{code: name} of the areas among ``codes`` the engine may see."""
    with engine.connect() as conn:
        areas = repo.areas(conn)
    return {c: n for c, n in zip(areas["code"], areas["name"], strict=True) if c in set(codes)}
