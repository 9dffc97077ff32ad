"""``gridsvc coverage``, ``gaps`` and ``alignment``: the figures as terminal tables or JSON."""

from __future__ import annotations

import json

import click

from gridsvc.analysis.bulk import paused
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.command("coverage")
@click.option("--area", default=None, help="区、街道、社区或网格编码（默认全部区）。Area or grid code.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
@paused()  # a city's tree: no cycle hunt among its millions of live objects (gridsvc.analysis.bulk)
def coverage_(settings: Settings, area: str | None, fmt: str) -> None:
    """组织覆盖和工作覆盖，逐级汇总。Organization and work coverage per area, rolled up by sums."""
    from gridsvc.textual import coverage_text

    cov = coverage_service.coverage(_engine(settings), area, limits=coverage_service.thresholds(settings))
    tree = cov.tree(area)
    if fmt == "json":
        click.echo(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    for node in tree if isinstance(tree, list) else [tree]:
        click.echo(coverage_text(node, cov.scene.generated))


@click.command("gaps")
@click.option("--area", default=None, help="区、街道、社区或网格编码。Area or grid code.")
@click.option("--kind", default=None, help="只列这一类问题，如 no_grid_leader。Only this kind of gap.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "geojson"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
@paused()
def gaps_(settings: Settings, area: str | None, kind: str | None, fmt: str) -> None:
    """问题清单，严重的在前，每条附给网格长的说明。The coverage gaps, most severe first."""
    from gridsvc.analysis.gaps import GAP_KIND
    from gridsvc.textual import gaps_text

    if kind is not None and kind not in GAP_KIND:
        raise click.BadParameter(f"{kind!r} 不是 {', '.join(GAP_KIND)} 之一", param_hint="'--kind'")
    cov = coverage_service.coverage(_engine(settings), area, limits=coverage_service.thresholds(settings))
    gaps = cov.gap_list(area, kind)
    if fmt == "geojson":
        click.echo(gaps.to_json(ensure_ascii=False, drop_id=True))
    elif fmt == "json":
        click.echo(json.dumps(gaps.drop(columns="geometry").to_dict("records"), ensure_ascii=False, indent=2))
    else:
        click.echo(gaps_text(gaps, cov.scene.generated))


@click.command("alignment")
@click.argument("community")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def alignment_(settings: Settings, community: str, fmt: str) -> None:
    """两网融合：党建网格与治理网格的对应、需调整的楼栋。How far a community's two grid layers are apart."""
    from gridsvc.textual import alignment_text

    result = coverage_service.alignment(_engine(settings), community, limits=coverage_service.thresholds(settings))
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(alignment_text(result))
