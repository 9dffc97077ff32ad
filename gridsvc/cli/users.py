"""``gridsvc user …`` and ``gridsvc audit``: accounts for the API, and the record of every write.

The CLI itself needs no account: on its own database it acts as the local admin."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.errors import InvalidInput
from gridsvc.labels import ROLE_LABEL, SAYS, say
from gridsvc.repository import audit
from gridsvc.services import users
from gridsvc.services.access import ROLES
from gridsvc.settings import Settings


@click.group("user")
def user() -> None:
    """API 用户：角色（管理员、规划员、网格长、查看者）和地区范围；密码和令牌。API users."""


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("标准输入中没有密码")
        return line
    return click.prompt("密码", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin 管理员：全部；planner 规划员：编制和应用方案；leader 网格长：修改楼栋和人员分配；viewer 查看者：只读。",
)
@click.option(
    "--scope",
    default=None,
    metavar="CODE",
    help="用户工作的区、街道、社区或网格编码（管理员可不设：全部）。Scope code.",
)
@click.option(
    "--password-stdin", is_flag=True, help="从标准输入（第一行）读取密码。Read the password from standard input."
)
@click.pass_obj
@_fail_cleanly
def user_add(settings: Settings, name: str, role: str, scope: str | None, password_stdin: bool) -> None:
    """添加用户 NAME，密码在提示时输入（或从标准输入读取）。Add user NAME."""
    password = _password(password_stdin)
    with _engine(settings).begin() as conn:
        made = users.add_user(conn, name, role, scope, password)
    click.echo(
        say(
            "user_added",
            name=made["name"],
            role=made["role"],
            role_label=ROLE_LABEL[made["role"]],
            scope=made["scope"] or SAYS["everything"],
        )
    )


@user.command("list")
@click.pass_obj
@_fail_cleanly
def user_list(settings: Settings) -> None:
    """全部用户及其角色、范围、状态和有效令牌。Every user."""
    from gridsvc.textual import table

    with _engine(settings).connect() as conn:
        rows = [
            [
                u["name"],
                f"{u['role']} {ROLE_LABEL[u['role']]}",
                u["scope"] or "全部",
                "停用" if u["disabled"] else "正常",
                str(u["live_tokens"]),
                f"{u['created_at']:%Y-%m-%d}",
            ]
            for u in users.list_users(conn)
        ]
    click.echo(table(["用户", "角色", "范围", "状态", "有效令牌", "创建"], rows) if rows else say("no_users"))


def _set_disabled(settings: Settings, name: str, disabled: bool) -> None:
    with _engine(settings).begin() as conn:
        users.set_disabled(conn, name, disabled)
    click.echo(say("user_disabled" if disabled else "user_enabled", name=name))


@user.command("disable")
@click.argument("name")
@click.pass_obj
@_fail_cleanly
def user_disable(settings: Settings, name: str) -> None:
    """停用用户 NAME：其令牌失效，不能再登录。Disable user NAME."""
    _set_disabled(settings, name, True)


@user.command("enable")
@click.argument("name")
@click.pass_obj
@_fail_cleanly
def user_enable(settings: Settings, name: str) -> None:
    """重新启用用户 NAME。Enable user NAME again."""
    _set_disabled(settings, name, False)


@user.command("token")
@click.argument("name")
@click.option(
    "--minutes",
    type=click.IntRange(min=1),
    default=None,
    help="令牌有效分钟数（默认 GRIDSVC_TOKEN_TTL_MINUTES，480）。Token lifetime.",
)
@click.pass_obj
@_fail_cleanly
def user_token(settings: Settings, name: str, minutes: int | None) -> None:
    """为 NAME 签发令牌，输出在最后一行（以 Authorization: Bearer … 发送）。A bearer token for NAME."""
    ttl = dt.timedelta(minutes=minutes or settings.token_ttl_minutes)
    with _engine(settings).begin() as conn:
        token, expires = users.issue_token(conn, name, ttl)
    click.echo(say("token_for", name=name, expires=expires), err=True)
    click.echo(token)


@click.command("audit")
@click.option("--actor", default=None, help="只看此用户（命令行为 local:NAME）。Only this user.")
@click.option("--action", default=None, help="只看此操作，如 building.update、plan.apply、import。Only this action.")
@click.option(
    "--since", type=click.DateTime(), default=None, help="只看此时间之后的记录。Only entries from this time on."
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def audit_(
    settings: Settings, actor: str | None, action: str | None, since: dt.datetime | None, limit: int, fmt: str
) -> None:
    """审计日志，最新的在前：谁在何时改了什么，改前改后。The audit log, newest first."""
    from gridsvc.labels import AUDIT_ACTION_LABEL
    from gridsvc.textual import table

    with _engine(settings).connect() as conn:
        rows = audit.entries(conn, actor=actor, action=action, since=since, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
        return
    cells = [
        [
            str(r["id"]),
            f"{r['at']:%Y-%m-%d %H:%M:%S}",
            r["actor"],
            f"{AUDIT_ACTION_LABEL.get(r['action'], r['action'])}（{r['action']}）",
            r["target_id"] or r["target_type"],  # the action's label names the kind (修改楼栋 → b1)
            _brief(r["before"]),
            _brief(r["after"]),
        ]
        for r in rows
    ]
    click.echo(table(["编号", "时间", "操作人", "操作", "对象", "之前", "之后"], cells) if cells else "没有审计记录")


def _brief(value, width: int = 60) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
