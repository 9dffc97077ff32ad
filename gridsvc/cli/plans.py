"""``gridsvc plan …`` and ``gridsvc history``: redraw plans from the command line (thin over
:mod:`gridsvc.services.plans`; applying and settling in ``cli.plan_apply``)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from gridsvc.analysis.crs import DATUMS
from gridsvc.analysis.metrics import HEADLINE, LABELS
from gridsvc.analysis.objective import Weights
from gridsvc.cli.support import engine, fail_cleanly
from gridsvc.errors import InvalidInput
from gridsvc.labels import LAYER_LABEL, PLAN_ORIGIN_LABEL, PLAN_STATUS_LABEL, STAFF_ROLE_LABEL, say
from gridsvc.services import coverage as coverage_service
from gridsvc.services import plan_scores as scoring
from gridsvc.services import plans, proposals
from gridsvc.settings import Settings
from gridsvc.textual import figure, score, table

# what a redraw changes first: the alignment, then every headline rate (analysis.metrics.HEADLINE)
SUMMARY = ("alignment_rate", *HEADLINE)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} 不是日期（YYYY-MM-DD）") from None


def _dump(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group("plan")
def plan() -> None:
    """网格调整方案：创建、校验、比较、应用、列表、查看。Redraw plans."""


@plan.command("create")
@click.option(
    "--community",
    "-c",
    "communities",
    multiple=True,
    required=True,
    help="社区编码（可多次给出），或街道编码（其全部社区）。Community or street code.",
)
@click.option(
    "--from-file",
    "path",
    type=click.Path(path_type=Path),
    help="网格多边形的 GeoJSON 或 GeoPackage 文件。Grid polygons file.",
)
@click.option("--adopt-governance", is_flag=True, help="采用治理网格。Copy the governance grids.")
@click.option(
    "--repair-band",
    is_flag=True,
    help="与 --adopt-governance 同用：合并被拆分的党小组，再逐栋调整边界楼栋直到户数达标（对照基线）。"
    "With --adopt-governance: then repair the household band greedily.",
)
@click.option("--propose", is_flag=True, help="自动方案，每个社区求解一次。The automatic proposal.")
@click.option("--name", default=None)
@click.option(
    "--layer",
    type=click.Choice(plans.LAYERS),
    default="unified",
    show_default=True,
    help="方案应用后成为哪一层网格。The layer the plan becomes.",
)
@click.option(
    "--datum",
    type=click.Choice(sorted(DATUMS)),
    default=None,
    help="--from-file 的坐标系。Datum of --from-file coordinates.",
)
@click.option(
    "--time-limit",
    type=float,
    default=60.0,
    show_default=True,
    help="每个社区的求解时限（秒，--propose）。Seconds per community.",
)
@click.option(
    "--boundary-weight",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="网格间边界比现状每多一米的代价，以一户迁出党建网格为 1（--propose；0：紧凑度只在代价相同的方案间取舍）。"
    "Cost per metre of boundary between grids beyond today's (moving one household off its Party grid costs 1).",
)
@click.pass_obj
@fail_cleanly
def plan_create(  # noqa: PLR0913 - one option each
    settings: Settings,
    communities,
    path,
    adopt_governance,
    repair_band,
    propose,
    name,
    layer,
    datum,
    time_limit,
    boundary_weight,
):
    """创建方案草稿，最后一行输出方案编号。Create a draft plan; prints its id on the last line."""
    communities = list(communities)
    if repair_band and not adopt_governance:
        raise InvalidInput("--repair-band 修补采用的治理网格层，须与 --adopt-governance 一起使用")
    if sum([path is not None, adopt_governance, propose]) != 1:
        raise InvalidInput("请说明方案来源：--from-file、--adopt-governance、--propose 三者之一")
    db = engine(settings)
    if repair_band:
        plan_id = proposals.repaired(db, communities, coverage_service.thresholds(settings), name, layer)
    elif path is not None:
        plan_id, notes = plans.create_from_file(db, path, name, communities, layer, datum)
        click.echo("".join(say("note", note=note) + "\n" for note in notes), err=True, nl=False)
    elif adopt_governance:
        plan_id = plans.adopt_governance(db, communities, name, layer)
    else:

        def report(community, layout):
            note = "; ".join(layout.notes) or say("proposed_cleanly")
            click.echo(
                say("proposed", community=community, grids=len(layout.geoms), seconds=layout.seconds, note=note),
                err=True,
            )

        limits = coverage_service.thresholds(settings)
        weights = Weights(boundary=boundary_weight)
        plan_id, _ = proposals.propose(db, communities, limits, name, time_limit, report, weights)
    click.echo(say("plan_created", id=plan_id))
    click.echo(plan_id)


@plan.command("list")
@click.pass_obj
@fail_cleanly
def plan_list(settings: Settings) -> None:
    """全部方案，最新的在后。Every plan, newest last."""
    rows = plans.list_plans(engine(settings))
    click.echo(
        table(
            ["id", "名称", "社区", "图层", "来源", "状态", "网格数", "生效日期", "待定原网格"],
            [
                [
                    str(p["id"]),
                    p["name"],
                    ",".join(p["communities"]),
                    LAYER_LABEL[p["layer"]],
                    PLAN_ORIGIN_LABEL[p["origin"]],
                    PLAN_STATUS_LABEL[p["status"]],
                    str(p["grids"]),
                    str(p["effective"] or ""),
                    str(p["undecided"]) if p["status"] == "applied" else "",  # left for plan settle
                ]
                for p in rows
            ],
            right={0, 6, 8},
        )
    )


@plan.command("show")
@click.argument("plan_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "geojson"]), default="table", show_default=True)
@click.pass_obj
@fail_cleanly
def plan_show(settings: Settings, plan_id: int, fmt: str) -> None:
    """查看一个方案及其网格（geojson：可编辑后再上传）。One plan and its grids."""
    info, grids = plans.show_plan(engine(settings), plan_id)
    if fmt == "geojson":
        click.echo(grids.to_json(ensure_ascii=False, drop_id=True))
    elif fmt == "json":
        _dump(info | {"grids": grids.drop(columns="geometry").to_dict("records")})
    else:
        click.echo(
            say(
                "plan_header",
                id=info["id"],
                name=info["name"],
                origin=PLAN_ORIGIN_LABEL[info["origin"]],
                status=PLAN_STATUS_LABEL[info["status"]],
                layer=LAYER_LABEL[info["layer"]],
            )
        )
        click.echo(
            table(["网格编码", "名称", "社区"], [[g.code, g.name or "", g.community_code] for g in grids.itertuples()])
        )
        if info["outcome"]:  # applied: what is still for a person to decide, and what was decided
            outcome = info["outcome"]
            click.echo(say("plan_outcome", effective=outcome["effective"], n=len(outcome["undecided"])))
            undecided(outcome["undecided"])
            for item in outcome.get("settled", []):
                click.echo(say("plan_settled_line", grid=item["grid"], to=item["to"]))


def undecided(items: list[dict]) -> None:
    """The grids a plan closed without a clear successor, with where their households went."""
    for item in items:
        landing = ", ".join(f"{g} ({h} 户)" for g, h in item["landing"].items())
        click.echo(say("plan_undecided", grid=item["grid"], landing=landing or "无楼栋"))


@plan.command("validate")
@click.argument("plan_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@fail_cleanly
def plan_validate(settings: Settings, plan_id: int, fmt: str) -> None:
    """按网格规则和连通性校验方案，有错误时退出码为 1。Check the plan; exit 1 on errors."""
    checked = plans.validate(engine(settings), plan_id, coverage_service.thresholds(settings))
    problems = [{k: v for k, v in p.items() if k != "geometry"} for p in checked.problems]
    if fmt == "json":
        _dump({"plan": plan_id, "errors": len(checked.errors), "problems": problems})
    else:
        click.echo(
            table(
                ["级别", "规则", "网格", "对象", "数值", "说明"],
                [
                    [
                        p["severity"],
                        p["rule"],
                        p["grid"] or "",
                        str(p["other"] or ""),
                        "" if p["value"] is None else str(p["value"]),
                        p["message"],
                    ]
                    for p in problems
                ],
                right={4},
            )
        )
        click.echo(say("plan_checked", errors=len(checked.errors), warnings=len(problems) - len(checked.errors)))
    sys.exit(1 if checked.errors else 0)


@plan.command("diff")
@click.argument("plan_id", type=int)
@click.option("--effective", default=None, help="方案生效日期（默认今天）。Date the plan would take effect.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@fail_cleanly
def plan_diff(settings: Settings, plan_id: int, effective: str | None, fmt: str) -> None:
    """应用方案会带来的变化：楼栋、党组织、人员、指标。What applying the plan would change."""
    checked = plans.validate(engine(settings), plan_id, coverage_service.thresholds(settings), _date(effective))
    diff = checked.diff()
    if fmt == "json":
        _dump(diff)
        return
    click.echo(
        f"楼栋换网格 {len(diff['buildings'])} 栋; 党组织受影响 {len(diff['party_orgs'])} 个; "
        f"人员受影响 {len(diff['staff'])} 人; 待人工确定的原网格 {len(diff['undecided'])} 个"
    )
    if diff["party_orgs"]:
        click.echo(
            table(
                ["党组织", "变化", "原网格", "新网格"],
                [
                    [
                        o["name"] or o["party_org_id"],
                        o["label"],
                        ",".join(o["from"]),
                        ",".join(t or "" for t in o["to"]),
                    ]
                    for o in diff["party_orgs"]
                ],
            )
        )
    if diff["staff"]:
        click.echo(
            table(
                ["姓名", "岗位", "变化", "原", "新"],
                [
                    [s["name"], STAFF_ROLE_LABEL.get(s["role"], s["role"]), s["label"], s["from"] or "", s["to"] or ""]
                    for s in diff["staff"]
                ],
            )
        )
    names = coverage_service.area_names(engine(settings), list(diff["metrics"]))
    for community, metrics in diff["metrics"].items():
        rows = [
            [LABELS.get(k, k), figure(metrics[k]["before"], key=k), figure(metrics[k]["after"], key=k)]
            for k in SUMMARY
            if k in metrics
        ]
        title = f"{names.get(community, '')}（{community}）" if names.get(community) else community
        click.echo(f"{title}\n" + table(["指标", "调整前", "调整后"], rows, right={1, 2}))


@plan.command("scores")
@click.argument("plan_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--boundary-weight",
    type=click.FloatRange(min=0, max=1000),
    default=None,
    help="边界每米的代价（户），不给则用方案生成时的值。Price per metre of boundary; default: the plan's own.",
)
@click.pass_obj
@fail_cleanly
def plan_scores(settings: Settings, plan_id: int, fmt: str, boundary_weight: float | None) -> None:
    """方案使多少户离开原治理网格和党建网格，与现状对照。Households the plan moves."""
    rows = scoring.scores(engine(settings), plan_id, coverage_service.thresholds(settings), boundary_weight)
    if fmt == "json":
        _dump(rows)
        return
    click.echo(
        table(
            [
                "社区",
                "户数",
                "离开治理网格户数",
                "离开党建网格户数",
                "合计",
                "下限",
                "高出下限",
                "边界比现状增减（米）",
                "加权代价",
                "问题",
            ],
            [
                [
                    r["community"],
                    str(r["households"]),
                    str(r["moved_from_governance"]),
                    str(r["moved_from_party"]),
                    str(r["moved_from_governance"] + r["moved_from_party"]),
                    str(r["live_unmatched_households"]),
                    str(r["above_lower_bound"]),
                    f"{r['boundary_beyond_today_m']:+.0f}",
                    f"{r['weighted_cost']:.0f}",
                    " ".join(f"{k}×{v}" for k, v in r["problems"].items()),
                ]
                for r in rows
            ],
            right={1, 2, 3, 4, 5, 6, 7, 8},
        )
    )
    for r in rows:
        click.echo(f"\n{r['community']}：现状、方案与最好可能")
        click.echo(
            table(
                ["指标", "现状", "方案", "最好可能", "含义"],
                [
                    [f["label"], *(score(f[k], f["kind"]) for k in ("before", "after", "best")), f["meaning"]]
                    for f in r["figures"]
                ],
                right={1, 2, 3},
            )
        )
    click.echo(
        "\n下限：离开治理网格户数 + 离开党建网格户数 不可能少于现状两网不一致的户数（任何方案下，这些户至少离开其中一个网格）。"
        f"加权代价 = {scoring.WEIGHTS.governance:g}×离开治理网格户数 + {scoring.WEIGHTS.party:g}×离开党建网格户数 + "
        f"{scoring.WEIGHTS.grid:g}×（新设或撤销的网格数）"
        + (f" + {rows[0]['boundary_weight']:g}×边界比现状增减（米）。" if rows and rows[0]["boundary_weight"] else "。")
    )


@click.command("history")
@click.argument("building_id")
@click.option(
    "--on", "on", default=None, help="日期（YYYY-MM-DD），不给则列出全部历史。Date; without it, the whole history."
)
@click.pass_obj
@fail_cleanly
def history(settings: Settings, building_id: str, on: str | None) -> None:
    """某一日期楼栋所在的网格（各层）。Which grid a building was in on a date."""
    day = _date(on)
    rows = plans.grids_of_building(engine(settings), building_id, day)
    if not rows:
        click.echo(say("never_in_a_grid", id=building_id, on=day) if day else say("no_grid_history", id=building_id))
        return
    click.echo(
        table(
            ["图层", "网格编码", "名称", "起", "止"],
            [
                [LAYER_LABEL[r["layer"]], r["code"], r["name"] or "", str(r["valid_from"]), str(r["valid_to"] or "")]
                for r in rows
            ],
        )
    )
