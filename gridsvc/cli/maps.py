"""``gridsvc map …``: the maps as standalone HTML files that work offline."""

from __future__ import annotations

from pathlib import Path

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.labels import say
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.group("map")
def map_() -> None:
    """交互地图，写成可离线打开的 HTML 文件。Interactive maps as offline HTML files."""


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
    click.echo(say("wrote_size", path=target, kb=len(html_text.encode()) / 1024))


def output_option(default_name: str):
    """``-o/--output``: the HTML file to write (default ``maps/<default_name>``)."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        default=None,
        help=f"写入的 HTML 文件（默认 maps/{default_name}）。HTML file to write.",
    )


BASEMAP_OPTION = click.option(
    "--basemap",
    type=click.Choice(["none", "xyz", "tianditu", "amap"]),
    default=None,
    help="底图（默认 GRIDSVC_BASEMAP，否则无底图，可离线）。Base map.",
)


@map_.command("grid")
@click.argument("code")
@output_option("grid-CODE.html")
@BASEMAP_OPTION
@click.option(
    "--with-phones",
    is_flag=True,
    default=False,
    help="写入完整手机号（个人信息：文件只可留在本网格工作人员手中）；不加时打码为 138****0001。"
    "Write staff phone numbers whole.",
)
@click.pass_obj
@_fail_cleanly
def map_grid(settings: Settings, code: str, output: Path | None, basemap: str | None, with_phones: bool) -> None:
    """网格长的网格图：楼栋状态、党员、工作人员和问题。The grid leader's map of one grid.

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
        click.echo(say("phones_in_file"), err=True)


@map_.command("coverage")
@click.argument("area")
@click.option(
    "--metric",
    default="building_group_coverage",
    show_default=True,
    help="网格着色所用的指标。The metric the grids are coloured by.",
)
@output_option("coverage-AREA.html")
@BASEMAP_OPTION
@click.option(
    "--joint-branches/--no-joint-branches",
    default=None,
    help="画出联合党支部建议（默认：社区和街道画，区不画）。Draw the suggested joint branches.",
)
@click.pass_obj
@_fail_cleanly
def map_coverage(
    settings: Settings, area: str, metric: str, output: Path | None, basemap: str | None, joint_branches: bool | None
) -> None:
    """社区、街道或区的覆盖问题地图。The coverage-gap map of an area."""
    from gridsvc.services.maps import coverage_map_html

    write_map(
        settings,
        coverage_map_html,
        area,
        basemap,
        output,
        f"coverage-{area}.html",
        metric=metric,
        joint_branches=joint_branches,
    )


@map_.command("alignment")
@click.argument("community")
@output_option("alignment-COMMUNITY.html")
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_alignment(settings: Settings, community: str, output: Path | None, basemap: str | None) -> None:
    """一个社区的两层网格叠加对照（卷帘、配对、需调整的楼栋）。Both grid layers of a community."""
    from gridsvc.services.maps import alignment_map_html

    write_map(settings, alignment_map_html, community, basemap, output, f"alignment-{community}.html")


@map_.command("plan")
@click.argument("plan_id", type=int)
@output_option("plan-ID.html")
@BASEMAP_OPTION
@click.pass_obj
@_fail_cleanly
def map_plan(settings: Settings, plan_id: int, output: Path | None, basemap: str | None) -> None:
    """调整方案图：方案网格与现状对照（卷帘）、换网格的楼栋、问题和评分。A redraw plan on the map."""
    from gridsvc.services.maps import plan_map_html

    write_map(settings, plan_map_html, str(plan_id), basemap, output, f"plan-{plan_id}.html")
