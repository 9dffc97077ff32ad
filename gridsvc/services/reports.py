"""Reports and snapshots as the CLI writes them and the API serves them.

Data from :func:`gridsvc.coverage_service.coverage`, content from :mod:`gridsvc.reports.content`, one
writer per format.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.reports import bulletin
from gridsvc.reports.content import Report, build_report
from gridsvc.repository import snapshots as repo
from gridsvc.services import coverage as coverage_service

FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_area(area: str | None) -> str | None:
    """``area`` if it names a district, street or community (None: everything)."""
    return None if area is None else coverage_service.check_area(area, "报表")


def format_of(path: Path) -> str:
    """The report format a file name asks for (.html, .xlsx or .pdf)."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(f"{path}：报表只能写成 .html、.xlsx 或 .pdf，不能是 {Path(path).suffix or '无扩展名'}")
    return fmt


def report(
    engine: Engine,
    area: str | None,
    limits: Thresholds,
    map_link: str | None = None,
    as_of: dt.date | None = None,
    deadlines: dict[str, int] | None = None,
    weights: dict[str, float] | None = None,
) -> Report:
    """The report of ``area``, compared with the newest snapshot that holds it, with every stored
    snapshot for its trend and each gap's status; ``deadlines``: days to fix, by gap kind or severity;
    ``weights``: the assessment's (GRIDSVC_ASSESSMENT_WEIGHTS)."""
    bulletin.check_weights(weights or {})  # a bad setting is named before any work
    cov = coverage_service.coverage(engine, check_area(area), as_of, limits)
    with engine.connect() as conn:
        history = repo.history(conn, area)
    previous = history[-1] if history else None
    made = build_report(cov, area, dt.datetime.now().astimezone(), limits, previous)
    made.map_link = map_link
    bulletin.complete(made, cov, history, deadlines or {}, weights)
    return made


def render(made: Report, fmt: str, font: Path | None = None) -> bytes:
    """``made`` as bytes of ``fmt`` (html, xlsx or pdf); ``font``: GRIDSVC_REPORT_FONT."""
    if fmt == "xlsx":
        from gridsvc.reports.xlsx import xlsx_bytes

        return xlsx_bytes(made)
    if fmt == "html":
        from gridsvc.reports.html import html_text

        return html_text(made, font).encode("utf-8")
    if fmt == "pdf":
        from gridsvc.reports.pdf import pdf_bytes

        return pdf_bytes(made, font)
    raise InvalidInput(f"未知报表格式 {fmt!r}；应为 html、xlsx 或 pdf")


def take_snapshot(
    engine: Engine, area: str | None, limits: Thresholds, note: str | None = None, as_of: dt.date | None = None
) -> dict:
    """Store the coverage tree of ``area`` (None: everything) and its open gaps; returns its record.
    With ``as_of`` in the past the coverage is computed as it stood that day (who was in office then)
    and the snapshot is dated that day: a back-dated snapshot."""
    today = dt.date.today()
    if as_of is not None and as_of > today:
        raise InvalidInput(f"--as-of {as_of}：不能为尚未到来的日期保存快照")
    cov = coverage_service.coverage(engine, check_area(area), as_of, limits)
    tree = (
        [cov.tree(area)]
        if area
        else [
            {
                "area": {"code": None, "level": "all", "name": "全部地区"},
                "metrics": cov.metrics(None),
                "children": cov.tree(),
            }
        ]
    )
    gaps = cov.gap_list(area) if area else cov.gaps
    keys = [[k, str(o)] for k, o in zip(gaps["kind"], gaps["object_id"], strict=True)]
    taken_at = None
    if as_of is not None and as_of < today:
        taken_at = dt.datetime.combine(as_of, dt.time(12)).astimezone()
    with engine.begin() as conn:
        return repo.insert_snapshot(conn, area, cov.scene.as_of, cov.scene.generated, tree, note, keys, taken_at)


def snapshots(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return repo.snapshots(conn)
