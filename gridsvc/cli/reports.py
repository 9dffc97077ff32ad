"""``gridsvc report`` and ``snapshot``: coverage-gap reports and the snapshots they compare with."""

from __future__ import annotations

from pathlib import Path

import click

from gridsvc.cli.maps import write_map
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.command("report")
@click.option("--area", default=None, help="District, street or community code (default: everything stored).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="File to write: .html, .xlsx (the 台账) or .pdf.",
)
@click.option(
    "--map-link",
    default=None,
    help="URL of the interactive map the HTML links to (default: a map written beside the report).",
)
@click.pass_obj
@_fail_cleanly
def report_(settings: Settings, area: str | None, output: Path, map_link: str | None) -> None:
    """A coverage-gap report: headline figures, rankings, actions, map, charts, change since the last snapshot."""
    from gridsvc.services import reports

    fmt = reports.format_of(output)
    reports.check_area(area)
    engine = _engine(settings)
    if fmt == "html" and map_link is None and area is not None:
        from gridsvc.services.maps import coverage_map_html

        click.echo("drawing the interactive map ...", err=True)
        map_file = output.with_name(output.stem + ".map.html")
        write_map(settings, coverage_map_html, area, None, map_file, map_file.name, engine)
        map_link = map_file.name
    click.echo(f"building the {fmt} report of {area or 'everything stored'} ...", err=True)
    made = reports.report(engine, area, coverage_service.thresholds(settings), map_link)
    data = reports.render(made, fmt, settings.report_font)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    compared = f"; compared with snapshot #{made.previous['id']}" if made.previous else "; no snapshot to compare with"
    click.echo(f"wrote {output} ({len(data) / 1024:.0f} KB, {len(made.actions):,} gaps{compared})")


@click.command("snapshot")
@click.option("--area", default=None, help="District, street or community code (default: everything stored).")
@click.option("--note", default=None, help="A remark kept with the snapshot.")
@click.option("--list", "list_", is_flag=True, help="List the stored snapshots instead of taking one.")
@click.pass_obj
@_fail_cleanly
def snapshot_(settings: Settings, area: str | None, note: str | None, list_: bool) -> None:
    """Store today's coverage tree with a timestamp; later reports show the change since it."""
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
            table(["编号", "时间", "地区", "统计日期", "生成数据", "备注"], rows) if rows else "no snapshots yet"
        )
        return
    record = reports.take_snapshot(_engine(settings), area, coverage_service.thresholds(settings), note)
    click.echo(
        f"snapshot #{record['id']} of {record['area'] or 'everything stored'} taken at "
        f"{record['taken_at']:%Y-%m-%d %H:%M:%S}"
    )
