"""``gridsvc target``: targets (目标, domain.md §8.5) — list them beside today's figures, set, remove."""

from __future__ import annotations

import datetime as dt
import json

import click

from gridsvc.analysis.metrics import METRICS
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings

METRIC = click.Choice([m.key for m in METRICS])


@click.group()
def target() -> None:
    """考核目标：列出、设定、删除。Targets of areas."""


@target.command("list")
@click.option("--area", required=True, help="区、街道或社区编码。District, street or community code.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def list_(settings: Settings, area: str, fmt: str) -> None:
    """该地区及其下级的目标，与当前数值对照。The area's targets beside today's figures."""
    from gridsvc.analysis.targets import figure_text
    from gridsvc.services.targets import listed
    from gridsvc.textual import table

    found = listed(_engine(settings), area, limits=coverage_service.thresholds(settings))
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(f"{area}：没有目标（gridsvc target set）")
        return
    rows = [
        [
            t["name"],
            t["label"],
            figure_text(t["metric"], t["target"]),
            figure_text(t["metric"], t["current"]),
            t["due_date"],
            f"剩{t['days_left']}天" if t["days_left"] >= 0 else f"逾期{-t['days_left']}天",
            t["status_label"],
        ]
        for t in found
    ]
    click.echo(table(["地区", "指标", "目标", "当前", "截止日期", "剩余", "状态"], rows, right={2, 3}))


@target.command("set")
@click.argument("area")
@click.argument("metric", type=METRIC)
@click.argument("value", type=float)
@click.option("--due", required=True, type=click.DateTime(["%Y-%m-%d"]), help="截止日期 YYYY-MM-DD。Due date.")
@click.option("--note", default=None, help="说明。A note.")
@click.pass_obj
@_fail_cleanly
def set_(settings: Settings, area: str, metric: str, value: float, due: dt.datetime, note: str | None) -> None:
    """设定目标（比率写 0–1，如 0.95）。Set a target (a rate as 0–1)."""
    from gridsvc.services.targets import set_target

    stored = set_target(_engine(settings), area, metric, value, due.date(), note)
    click.echo(f"{'已设定' if stored['created'] else '已修改'}：{area} {metric} {value:g}（{due:%Y-%m-%d}前）")


@target.command("remove")
@click.argument("area")
@click.argument("metric", type=METRIC)
@click.option("--due", required=True, type=click.DateTime(["%Y-%m-%d"]), help="截止日期 YYYY-MM-DD。Due date.")
@click.pass_obj
@_fail_cleanly
def remove(settings: Settings, area: str, metric: str, due: dt.datetime) -> None:
    """删除目标。Remove a target."""
    from gridsvc.services.targets import remove_target

    remove_target(_engine(settings), area, metric, due.date())
    click.echo(f"已删除：{area} {metric}（{due:%Y-%m-%d}）")
