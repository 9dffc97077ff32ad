"""Targets (目标, domain.md §8.5) over HTTP and the command line: listed beside the current figures,
set and removed by the roles that own them inside their scope, each change audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from gridsvc.analysis.metrics import METRIC_BY_KEY
from gridsvc.analysis.targets import STATUS_LABEL
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.repository import audit
from gridsvc.services import coverage as coverage_service
from gridsvc.services.access import area_in_scope, principal_of


def listed(engine: Engine, area: str, limits=None) -> list[dict]:
    """The targets of ``area`` and the areas inside it, each beside its current figure."""
    cov = coverage_service.coverage(engine, coverage_service.check_area(area, "目标"), limits=limits)
    table = cov.targets()
    table = table[table["area"].str.startswith(area)]
    return [
        {
            "area": t.area,
            "name": t.name,
            "metric": t.metric,
            "label": t.label,
            "target": t.target,
            "current": t.current,
            "short": t.short,
            "due_date": t.due_date.isoformat(),
            "days_left": int(t.days_left),
            "status": t.status,
            "status_label": STATUS_LABEL[t.status],
        }
        for t in table.itertuples(index=False)
    ]


def set_target(engine: Engine, area: str, metric: str, value: float, due: dt.date, note: str | None) -> dict:
    """Store (or change) the target of ``area``'s ``metric`` due on ``due``; audited ``target.set``."""
    coverage_service.check_area(area, "目标")
    if METRIC_BY_KEY[metric].kind == "rate" and value > 1:
        raise InvalidInput(f"目标值 {value:g}：比率（{metric}）的目标应在 0 到 1 之间")
    principal = principal_of(engine)
    principal.require("target")
    with engine.begin() as conn:
        area_in_scope(conn, principal, area)
        key = {"a": area, "m": metric, "d": due}
        before = conn.execute(
            text("SELECT value, note FROM targets WHERE area_code = :a AND metric = :m AND due_date = :d"), key
        ).one_or_none()
        conn.execute(
            text("""INSERT INTO targets (area_code, metric, value, due_date, note) VALUES (:a, :m, :v, :d, :n)
                    ON CONFLICT (area_code, metric, due_date) DO UPDATE SET value = :v, note = :n"""),
            key | {"v": value, "n": note},
        )
        after = {"value": value, "note": note}
        audit.record(conn, "target.set", "target", _id(area, metric, due), before and dict(before._mapping), after)
    return {"area": area, "metric": metric, "due_date": due.isoformat(), **after, "created": before is None}


def remove_target(engine: Engine, area: str, metric: str, due: dt.date) -> None:
    """Remove a target; audited ``target.delete``."""
    principal = principal_of(engine)
    principal.require("target")
    with engine.begin() as conn:
        gone = conn.execute(
            text("""DELETE FROM targets WHERE area_code = :a AND metric = :m AND due_date = :d
                    RETURNING value, note"""),
            {"a": area, "m": metric, "d": due},
        ).one_or_none()
        if gone is None or not principal.covers(area):
            raise NotFound(f"你的范围内没有 {area} 的 {metric} 目标（期限 {due}）")
        audit.record(conn, "target.delete", "target", _id(area, metric, due), dict(gone._mapping), None)


def _id(area: str, metric: str, due: dt.date) -> str:
    return f"{area}:{metric}:{due.isoformat()}"
