"""The ``gridsvc`` command line: thin over :mod:`gridsvc.services`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from gridsvc.analysis.crs import DATUMS
from gridsvc.cli.plans import history, plan
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.cli.users import audit_, user
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports
from gridsvc.settings import Settings


class RowProgress:
    """A progress bar over rows written, shown on a terminal only."""

    def __init__(self, total: int | None, label: str):
        self.bar = tqdm(total=total, desc=label, unit=" rows", disable=None, file=sys.stderr)

    def __call__(self, table: str, rows: int) -> None:
        self.bar.set_postfix_str(table)
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


@click.group()
@click.version_option(package_name="gridsvc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """gridsvc — 网格化管理: grids, buildings, Party organizations and staff in PostGIS.

    Without GRIDSVC_DATABASE_URL a private PostGIS is created and started under GRIDSVC_HOME.
    """
    ctx.obj = Settings()


@main.group()
def db() -> None:
    """The database: status, start, stop, reset."""


@db.command("status")
@click.pass_obj
@_fail_cleanly
def db_status(settings: Settings) -> None:
    """Where the database is, whether it runs, its migration and row counts."""
    from gridsvc.db.engine import current_revision, local_cluster

    if settings.database_url:
        click.echo(f"database: {settings.database_url} (GRIDSVC_DATABASE_URL)")
    else:
        cluster = local_cluster(settings)
        state = "running" if cluster.running() else ("stopped" if cluster.initialized() else "not created")
        click.echo(f"database: private PostGIS under {cluster.home} ({state})")
        if state != "running":
            return
    engine = _engine(settings)
    click.echo(f"migration: {current_revision(engine)}")
    for table, count in imports.inventory(engine).items():
        click.echo(f"  {table:<18}{count:>9}")


@db.command("start")
@click.pass_obj
@_fail_cleanly
def db_start(settings: Settings) -> None:
    """Create (first time) and start the private PostGIS, and apply migrations."""
    _engine(settings)
    click.echo("database ready")


@db.command("stop")
@click.pass_obj
@_fail_cleanly
def db_stop(settings: Settings) -> None:
    """Stop the private PostGIS (nothing to do with GRIDSVC_DATABASE_URL)."""
    from gridsvc.db.engine import local_cluster

    if settings.database_url:
        click.echo("GRIDSVC_DATABASE_URL is set: that database is not gridsvc's to stop")
        return
    stopped = local_cluster(settings).stop()
    click.echo("stopped" if stopped else "not running")


@db.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_fail_cleanly
def db_reset(settings: Settings, yes: bool) -> None:
    """Delete every gridsvc table and row, and migrate afresh."""
    from gridsvc.db.engine import downgrade, upgrade

    if not yes:
        click.confirm("Delete all gridsvc data in this database?", abort=True)
    engine = _engine(settings)
    downgrade(engine, "base")
    upgrade(engine)
    click.echo("database reset: empty and migrated")


def _print_result(result: imports.ImportResult) -> None:
    for note in result.notes:
        click.echo(f"note: {note}")
    for table, counts in result.counts.items():
        click.echo(f"  {table:<18}{counts}")
    click.echo("imported" if result.changed else "nothing changed: the database already holds this data")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--datum", type=click.Choice(DATUMS), default=None,
              help="Datum of lon/lat coordinates (gcj02 for AMap/Tencent, bd09 for Baidu).")
@click.option("--layer", default=None, help="Layer to read footprints from (non-exchange files).")
@click.pass_obj
@_fail_cleanly
def import_(settings: Settings, file: Path, datum: str | None, layer: str | None) -> None:
    """Import an exchange GeoPackage, or building footprints (OSM, GeoJSON, Shapefile, GeoPackage).

    All or nothing: any problem is reported with layer, feature and column, and nothing is stored.
    """
    click.echo(f"reading {file} ...", err=True)
    dataset = imports.read_file(file, datum, layer)
    progress = RowProgress(sum(dataset.rows().values()), "importing")
    try:
        result = imports.import_dataset(_engine(settings), dataset, str(file), imports.file_sha256(file),
                                         progress)
    finally:
        progress.close()
    _print_result(result)


@main.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_fail_cleanly
def export(settings: Settings, file: Path) -> None:
    """Write everything stored to an exchange GeoPackage (EPSG:4490)."""
    if file.suffix.lower() != ".gpkg":
        raise click.BadParameter(f"the file name should end in .gpkg, got {file.name!r}", param_hint="FILE")
    written = imports.export_file(_engine(settings), file)
    for layer, rows in written.items():
        click.echo(f"  {layer:<18}{rows:>9}")
    click.echo(f"wrote {file}")


@main.command()
@click.option("--osm", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Lay the overlay on the real footprints of this OSM file.")
@click.option("--seed", type=int, default=20240501, show_default=True)
@click.pass_obj
@_fail_cleanly
def demo(settings: Settings, osm: Path | None, seed: int) -> None:
    """Build the demo district: generated communities, grids, organizations, staff and planted gaps."""
    engine = _engine(settings)
    click.echo("generating the demo district (all data generated; 生成数据) ...", err=True)
    progress = RowProgress(None, "storing")
    try:
        result, demo_ = imports.build_demo(engine, seed, osm, progress)
    finally:
        progress.close()
    _print_result(result)
    click.echo(f"demo district {demo_.district_code}; planted gaps (埋设的问题):")
    for kind, items in demo_.plants.items.items():
        first = items[0]
        click.echo(f"  {kind:<24}{len(items):>4}  e.g. {first[0]}: {first[1]}")


@main.command("coverage")
@click.option("--area", default=None, help="District, street, community or grid code (default: every district).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def coverage_(settings: Settings, area: str | None, fmt: str) -> None:
    """Organization and work coverage (组织覆盖, 工作覆盖) per area, rolled up by sums."""
    from gridsvc.textual import coverage_text

    cov = coverage_service.coverage(_engine(settings), area, limits=coverage_service.thresholds(settings))
    tree = cov.tree(area)
    if fmt == "json":
        click.echo(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    for node in tree if isinstance(tree, list) else [tree]:
        click.echo(coverage_text(node, cov.scene.generated))


@main.command("gaps")
@click.option("--area", default=None, help="District, street, community or grid code.")
@click.option("--kind", default=None, help="Only this kind of gap, e.g. no_grid_leader.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "geojson"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def gaps_(settings: Settings, area: str | None, kind: str | None, fmt: str) -> None:
    """The coverage gaps (问题清单), most severe first, each with a sentence for the grid leader."""
    from gridsvc.analysis.gaps import GAP_KIND
    from gridsvc.textual import gaps_text

    if kind is not None and kind not in GAP_KIND:
        raise click.BadParameter(f"{kind!r}; expected one of {', '.join(GAP_KIND)}", param_hint="--kind")
    cov = coverage_service.coverage(_engine(settings), area, limits=coverage_service.thresholds(settings))
    gaps = cov.gap_list(area, kind)
    if fmt == "geojson":
        click.echo(gaps.to_json(ensure_ascii=False, drop_id=True))
    elif fmt == "json":
        click.echo(json.dumps(gaps.drop(columns="geometry").to_dict("records"), ensure_ascii=False, indent=2))
    else:
        click.echo(gaps_text(gaps, cov.scene.generated))


@main.group("map")
def map_() -> None:
    """Interactive maps as standalone HTML files that work offline."""


def _write_map(settings: Settings, draw, code: str, basemap: str | None, output: Path | None, default_name: str,
               engine=None, **options) -> None:
    """Draw the map of ``code`` with ``draw`` (a gridsvc.services.maps function), the configured base map and
    thresholds, and write it to ``output`` (default: GRIDSVC_MAPS_DIR/``default_name``)."""
    from gridsvc.services.maps import basemap_from

    html_text = draw(engine or _engine(settings), code, basemap_from(settings, basemap),
                     limits=coverage_service.thresholds(settings), **options)
    target = output or settings.maps_dir / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html_text, encoding="utf-8")
    click.echo(f"wrote {target} ({len(html_text.encode()) / 1024:.0f} KB)")


BASEMAP_OPTION = click.option("--basemap", type=click.Choice(["none", "xyz", "tianditu", "amap"]), default=None,
                              help="Base map (default GRIDSVC_BASEMAP, else none: no tiles, works offline).")


@main.command("alignment")
@click.argument("community")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def alignment_(settings: Settings, community: str, fmt: str) -> None:
    """How far a community's Party and governance grids are apart (两网融合): matched pairs, moves."""
    from gridsvc.textual import alignment_text

    result = coverage_service.alignment(_engine(settings), community, limits=coverage_service.thresholds(settings))
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(alignment_text(result))


@map_.command("grid")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="HTML file to write (default maps/grid-CODE.html).")
@BASEMAP_OPTION
@click.option("--with-phones", is_flag=True, default=False,
              help="Write staff phone numbers whole (personal data: only for files that stay with the grid's own "
                   "staff). Without it they are masked, 138****0001.")
@click.pass_obj
@_fail_cleanly
def map_grid(settings: Settings, code: str, output: Path | None, basemap: str | None, with_phones: bool) -> None:
    """The grid leader's map of one grid: buildings by status, Party members, staff, gaps.

    The file is made to be passed on to phones, so staff phone numbers are masked unless --with-phones."""
    import dataclasses

    from gridsvc.services.access import local_admin, scoped
    from gridsvc.services.maps import grid_map_html

    # the local admin, identified only when asked: an unidentified caller sees phone numbers masked
    writer = dataclasses.replace(local_admin(), identified=with_phones)
    _write_map(settings, grid_map_html, code, basemap, output, f"grid-{code}.html",
               engine=scoped(_engine(settings), writer))
    if with_phones:
        click.echo("the file holds whole phone numbers: share it only with the grid's own staff", err=True)


@map_.command("coverage")
@click.argument("area")
@click.option("--metric", default="building_group_coverage", show_default=True,
              help="The grid-level metric the grids are coloured by.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="HTML file to write (default maps/coverage-AREA.html).")
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_coverage(settings: Settings, area: str, metric: str, output: Path | None, basemap: str | None) -> None:
    """The coverage-gap map of a community, street or district."""
    from gridsvc.services.maps import coverage_map_html

    _write_map(settings, coverage_map_html, area, basemap, output, f"coverage-{area}.html", metric=metric)


@map_.command("alignment")
@click.argument("community")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="HTML file to write (default maps/alignment-COMMUNITY.html).")
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_alignment(settings: Settings, community: str, output: Path | None, basemap: str | None) -> None:
    """Both grid layers of a community over each other, with a swipe, pairs and buildings to move."""
    from gridsvc.services.maps import alignment_map_html

    _write_map(settings, alignment_map_html, community, basemap, output, f"alignment-{community}.html")


@main.command("report")
@click.option("--area", default=None, help="District, street or community code (default: everything stored).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="File to write: .html, .xlsx (the 台账) or .pdf.")
@click.option("--map-link", default=None,
              help="URL of the interactive map the HTML links to (default: a map written beside the report).")
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
        _write_map(settings, coverage_map_html, area, None, map_file, map_file.name, engine)
        map_link = map_file.name
    click.echo(f"building the {fmt} report of {area or 'everything stored'} ...", err=True)
    made = reports.report(engine, area, coverage_service.thresholds(settings), map_link)
    data = reports.render(made, fmt, settings.report_font)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    compared = f"; compared with snapshot #{made.previous['id']}" if made.previous else "; no snapshot to compare with"
    click.echo(f"wrote {output} ({len(data) / 1024:.0f} KB, {len(made.actions):,} gaps{compared})")


@main.command("snapshot")
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
        rows = [[str(r["id"]), f"{r['taken_at']:%Y-%m-%d %H:%M:%S}", r["area"] or "全部", str(r["as_of"]),
                 "是" if r["generated"] else "", r["note"] or ""] for r in reports.snapshots(_engine(settings))]
        click.echo(table(["编号", "时间", "地区", "统计日期", "生成数据", "备注"], rows) if rows else "no snapshots yet")
        return
    record = reports.take_snapshot(_engine(settings), area, coverage_service.thresholds(settings), note)
    click.echo(f"snapshot #{record['id']} of {record['area'] or 'everything stored'} taken at "
               f"{record['taken_at']:%Y-%m-%d %H:%M:%S}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (GRIDSVC_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (GRIDSVC_PORT, default 8000).")
@click.pass_obj
@_fail_cleanly
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from gridsvc.api import create_app, server_config

    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    app = create_app(settings)
    click.echo(f"serving on http://{settings.host}:{settings.port}  (API docs: /docs)", err=True)
    uvicorn.Server(server_config(app, settings, settings.host, settings.port)).run()


if __name__ == "__main__":
    main()


main.add_command(plan)
main.add_command(history)
main.add_command(user)
main.add_command(audit_)
