"""``gridsvc suggest joint-branches``: joint Party branches for small uncovered units (rule 16)."""

from __future__ import annotations

import json

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


@click.group()
def suggest() -> None:
    """建议：联合党支部等。Suggestions for organization departments."""


@suggest.command("joint-branches")
@click.option("--area", required=True, help="区、街道或社区编码。District, street or community code.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def joint_branches_(settings: Settings, area: str, fmt: str) -> None:
    """建议组建的联合党支部（地域相邻、行业相近）。Suggested joint Party branches."""
    from gridsvc.services.suggestions import joint_branches
    from gridsvc.textual import table

    found = joint_branches(_engine(settings), area, limits=coverage_service.thresholds(settings))
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    click.echo(f"{area}：候选单位 {found['units']} 个，建议组建联合党支部 {len(found['groups'])} 个")
    rows = [
        [str(n), "、".join(g["names"]), str(g["members"]), f"{g['distance_m']:,.0f}", "、".join(g["communities"])]
        for n, g in enumerate(found["groups"], start=1)
    ]
    if rows:
        click.echo(table(["#", "单位", "正式党员", "两两距离之和（米）", "社区"], rows, right={0, 2, 3}))
    for key, what in (("unplaceable", "无法组成有效联合支部的单位"), ("left_out", "可组但未纳入最优方案的单位")):
        if found[key]:
            click.echo(f"{what}：" + "、".join(u["name"] or u["id"] for u in found[key]))
    click.echo("方法：" + found["method"] + ("" if found["optimal"] else "（求解超时，结果未必最优）"))
