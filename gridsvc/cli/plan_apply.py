"""``gridsvc plan apply`` and ``gridsvc plan settle``: make a plan live, then say where each grid it
closed without a clear successor (待人工确定) went (:mod:`gridsvc.services.plans`)."""

from __future__ import annotations

import click

from gridsvc.cli.plans import _date, plan, undecided
from gridsvc.cli.support import engine, fail_cleanly
from gridsvc.labels import say
from gridsvc.services import coverage as coverage_service
from gridsvc.services import plans
from gridsvc.settings import Settings


@plan.command("apply")
@click.argument("plan_id", type=int)
@click.option("--effective", default=None, help="新网格启用日期（默认今天）。Date the new grids start.")
@click.pass_obj
@fail_cleanly
def plan_apply(settings: Settings, plan_id: int, effective: str | None) -> None:
    """应用方案（全部成功或全部不变），原网格留作历史。Make the plan live, all or nothing."""
    outcome = plans.apply(engine(settings), plan_id, coverage_service.thresholds(settings), _date(effective))
    click.echo(
        say(
            "plan_applied",
            id=plan_id,
            effective=outcome["effective"],
            closed=outcome["grids_closed"],
            opened=outcome["grids_opened"],
            scopes=outcome["scopes_moved"],
            assignments=outcome["assignments_moved"],
        )
    )
    undecided(outcome["undecided"])
    if outcome["undecided"]:
        click.echo(say("plan_settle_hint", id=plan_id))


@plan.command("settle")
@click.argument("plan_id", type=int)
@click.argument("grid")
@click.argument("to")
@click.pass_obj
@fail_cleanly
def plan_settle(settings: Settings, plan_id: int, grid: str, to: str) -> None:
    """定下已应用方案中待人工确定的原网格 GRID 的去向 TO（其党组织范围和人员分配随之迁移）。
    Where a grid the plan closed without a clear successor went."""
    settled = plans.settle(engine(settings), plan_id, grid, to)
    left = settled["undecided"]
    click.echo(
        say("plan_settled", grid=grid, to=to, scopes=settled["scopes_moved"], assignments=settled["assignments_moved"])
        + (say("plan_still_undecided", id=plan_id, n=len(left)) if left else say("plan_all_settled", id=plan_id))
    )
    undecided(left)
