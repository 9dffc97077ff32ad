"""``gridsvc report`` and ``snapshot``: coverage-gap reports and the snapshots they compare with."""

from __future__ import annotations

from pathlib import Path

import click

from gridsvc.cli.maps import write_map
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.labels import SAYS, say
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.command("report")
@click.option("--area", default=None, help="区、街道或社区编码（默认全部数据）。Area code.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="写入的文件：.html、.xlsx（台账）或 .pdf。File to write.",
)
@click.option(
    "--map-link",
    default=None,
    help="HTML 报告链接的交互地图地址（默认在报告旁写一份地图）。URL of the interactive map.",
)
@click.pass_obj
@_fail_cleanly
def report_(settings: Settings, area: str | None, output: Path, map_link: str | None) -> None:
    """覆盖问题通报：主要指标、排名、整改清单、地图、图表、与上次快照的变化。A coverage-gap report."""
    from gridsvc.services import reports

    fmt = reports.format_of(output)
    reports.check_area(area)
    engine = _engine(settings)
    if fmt == "html" and map_link is None and area is not None:
        from gridsvc.services.maps import coverage_map_html

        click.echo(say("drawing_map"), err=True)
        map_file = output.with_name(output.stem + ".map.html")
        write_map(settings, coverage_map_html, area, None, map_file, map_file.name, engine)
        map_link = map_file.name
    click.echo(say("building_report", area=area or SAYS["everything"], fmt=fmt), err=True)
    made = reports.report(
        engine,
        area,
        coverage_service.thresholds(settings),
        map_link,
        deadlines=settings.deadline_days,
        weights=settings.assessment_weights,
    )
    data = reports.render(made, fmt, settings.report_font)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    compared = say("compared_with", id=made.previous["id"]) if made.previous else say("no_snapshot")
    click.echo(say("report_written", path=output, kb=len(data) / 1024, gaps=len(made.actions), compared=compared))


@click.command("snapshot")
@click.option("--area", default=None, help="区、街道或社区编码（默认全部数据）。Area code.")
@click.option("--note", default=None, help="随快照保存的备注。A remark kept with the snapshot.")
@click.option("--list", "list_", is_flag=True, help="列出已保存的快照，而不新建。List the stored snapshots.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="回溯快照：按该日在岗情况计算并注明该日（如 2025-06-30）。A back-dated snapshot of that day.",
)
@click.pass_obj
@_fail_cleanly
def snapshot_(settings: Settings, area: str | None, note: str | None, list_: bool, as_of) -> None:
    """保存今天的覆盖指标快照，以后的报告据此显示变化。Store today's coverage as a snapshot."""
    from gridsvc.services import reports
    from gridsvc.textual import table

    if list_:
        rows = [
            [
                str(r["id"]),
                f"{r['taken_at']:%Y-%m-%d %H:%M:%S}",
                r["area"] or "全部",
                str(r["as_of"]),
                "是" if r["generated"] else "",
                r["note"] or "",
            ]
            for r in reports.snapshots(_engine(settings))
        ]
        click.echo(
            table(["编号", "时间", "地区", "统计日期", "生成数据", "备注"], rows) if rows else say("no_snapshots")
        )
        return
    record = reports.take_snapshot(
        _engine(settings), area, coverage_service.thresholds(settings), note, as_of.date() if as_of else None
    )
    click.echo(say("snapshot_taken", id=record["id"], area=record["area"] or SAYS["everything"], at=record["taken_at"]))
