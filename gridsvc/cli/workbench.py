"""``gridsvc plan edit`` and ``gridsvc plan versions``: the workbench's edits from a file, the same
edits the plan map sends (:mod:`gridsvc.services.workbench`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gridsvc.cli.plans import plan
from gridsvc.cli.support import engine, fail_cleanly
from gridsvc.errors import InvalidInput
from gridsvc.labels import BAND_LABEL, PLAN_ORIGIN_LABEL, PLAN_STATUS_LABEL
from gridsvc.services import coverage as coverage_service
from gridsvc.services import workbench
from gridsvc.settings import Settings
from gridsvc.textual import table


def _edits(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}：不是修改清单的 JSON 文件（{exc}）") from None
    edits = data.get("edits") if isinstance(data, dict) else data
    if not isinstance(edits, list):
        raise InvalidInput(f'{path}：应是一组修改，或 {{"edits": [...]}}，与方案地图发送的相同')
    return edits


@plan.command("edit")
@click.argument("plan_id", type=int)
@click.option(
    "--edits",
    "edits_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help='编辑列表（JSON，与方案图发送的相同）。A JSON list of edits: {"op": "move"|"new"|"split"|"merge", ...}.',
)
@click.option("--name", default=None, help="新版本的名称（默认：原名加版本号）。")
@click.option("--dry-run", is_flag=True, help="只显示结果，不保存。Show the figures, store nothing.")
@click.pass_obj
@fail_cleanly
def plan_edit(settings: Settings, plan_id: int, edits_file: Path, name: str | None, dry_run: bool) -> None:
    """按编辑列表修改方案，保存为新版本（新的方案草稿）。Apply edits; save them as the plan's next version."""
    db, limits = engine(settings), coverage_service.thresholds(settings)
    edits = _edits(edits_file)
    seen = workbench.preview(db, plan_id, edits, limits)
    panel = seen["panel"]
    rows = [
        [g["code"], g["name"] or "新网格", str(g["households"]), BAND_LABEL[g["band"]], str(g["pieces"])]
        for g in panel["grids"]
    ]
    click.echo(table(["网格", "名称", "户数", "户数范围", "块数"], rows, right={2, 4}))
    rate = panel["alignment_rate"]
    click.echo(
        f"改动 {len(panel['buildings_changed'])} 栋 {panel['households_changed']} 户；户数不在范围的网格 "
        f"{panel['outside_band']} 个；被拆开的党小组 {len(panel['split_groups'])} 个；与治理网格一致率 "
        f"{'—' if rate is None else f'{rate:.1%}'}"
    )
    if dry_run:
        return
    saved = workbench.save(db, plan_id, edits, limits, name)
    click.echo(f"已保存为方案 {saved['id']}（第 {saved['version']} 版）")
    click.echo(saved["id"])


@plan.command("versions")
@click.argument("plan_id", type=int)
@click.pass_obj
@fail_cleanly
def plan_versions(settings: Settings, plan_id: int) -> None:
    """方案的各个版本，最早的在前。The plan's versions, oldest first."""
    rows = workbench.versions(engine(settings), plan_id)
    click.echo(
        table(
            ["id", "版本", "名称", "来源", "上一版", "状态", "网格数"],
            [
                [
                    str(r["id"]),
                    str(r["version"]),
                    r["name"],
                    PLAN_ORIGIN_LABEL[r["origin"]],
                    str(r["parent_id"] or ""),
                    PLAN_STATUS_LABEL[r["status"]],
                    str(r["grids"]),
                ]
                for r in rows
            ],
            right={0, 1, 4, 6},
        )
    )
