"""``gridsvc map …``: the maps as standalone HTML files that work offline."""

from __future__ import annotations

from pathlib import Path

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.group("map")
def map_() -> None:
    """Interactive maps as standalone HTML files that work offline."""


def write_map(
    settings: Settings,
    draw,
    code: str,
    basemap: str | None,
    output: Path | None,
    default_name: str,
    engine=None,
    **options,
) -> None:
    """Draw the map of ``code`` with ``draw`` (a gridsvc.services.maps function), the configured base map and
    thresholds, and write it to ``output`` (default: GRIDSVC_MAPS_DIR/``default_name``)."""
    from gridsvc.services.maps import basemap_from

    html_text = draw(
        engine or _engine(settings),
        code,
        basemap_from(settings, basemap),
        limits=coverage_service.thresholds(settings),
        **options,
    )
    target = output or settings.maps_dir / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html_text, encoding="utf-8")
    click.echo(f"wrote {target} ({len(html_text.encode()) / 1024:.0f} KB)")


BASEMAP_OPTION = click.option(
    "--basemap",
    type=click.Choice(["none", "xyz", "tianditu", "amap"]),
    default=None,
    help="Base map (default GRIDSVC_BASEMAP, else none: no tiles, works offline).",
)


@map_.command("grid")
@click.argument("code")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file to write (default maps/grid-CODE.html).",
)
@BASEMAP_OPTION
@click.option(
    "--with-phones",
    is_flag=True,
    default=False,
    help="Write staff phone numbers whole (personal data: only for files that stay with the grid's own "
    "staff). Without it they are masked, 138****0001.",
)
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
    write_map(
        settings, grid_map_html, code, basemap, output, f"grid-{code}.html", engine=scoped(_engine(settings), writer)
    )
    if with_phones:
        click.echo("the file holds whole phone numbers: share it only with the grid's own staff", err=True)


@map_.command("coverage")
@click.argument("area")
@click.option(
    "--metric",
    default="building_group_coverage",
    show_default=True,
    help="The grid-level metric the grids are coloured by.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file to write (default maps/coverage-AREA.html).",
)
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_coverage(settings: Settings, area: str, metric: str, output: Path | None, basemap: str | None) -> None:
    """The coverage-gap map of a community, street or district."""
    from gridsvc.services.maps import coverage_map_html

    write_map(settings, coverage_map_html, area, basemap, output, f"coverage-{area}.html", metric=metric)


@map_.command("alignment")
@click.argument("community")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file to write (default maps/alignment-COMMUNITY.html).",
)
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_alignment(settings: Settings, community: str, output: Path | None, basemap: str | None) -> None:
    """Both grid layers of a community over each other, with a swipe, pairs and buildings to move."""
    from gridsvc.services.maps import alignment_map_html

    write_map(settings, alignment_map_html, community, basemap, output, f"alignment-{community}.html")
