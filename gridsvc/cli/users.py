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
from gridsvc.repository import audit
from gridsvc.services import users
from gridsvc.services.access import ROLE_LABEL, ROLES
from gridsvc.settings import Settings


@click.group("user")
def user() -> None:
    """API users: a role (admin, planner, leader, viewer) over an area scope; passwords and tokens."""


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("no password on standard input")
        return line
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin: everything; planner: drafts and applies plans; leader: edits buildings and "
    "assignments; viewer: reads.",
)
@click.option(
    "--scope",
    default=None,
    metavar="CODE",
    help="District, street, community or grid code the user works in (an admin may have none: everything).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (first line).")
@click.pass_obj
@_fail_cleanly
def user_add(settings: Settings, name: str, role: str, scope: str | None, password_stdin: bool) -> None:
    """Add user NAME; the password is asked for (or read from standard input)."""
    password = _password(password_stdin)
    with _engine(settings).begin() as conn:
        made = users.add_user(conn, name, role, scope, password)
    click.echo(
        f"user {made['name']} added: {made['role']} ({ROLE_LABEL[made['role']]}), scope {made['scope'] or 'everything'}"
    )


@user.command("list")
@click.pass_obj
@_fail_cleanly
def user_list(settings: Settings) -> None:
    """Every user with role, scope, state and live tokens."""
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
    click.echo(table(["用户", "角色", "范围", "状态", "有效令牌", "创建"], rows) if rows else "no users yet")


def _set_disabled(settings: Settings, name: str, disabled: bool) -> None:
    with _engine(settings).begin() as conn:
        users.set_disabled(conn, name, disabled)
    click.echo(f"user {name} disabled; their tokens no longer work" if disabled else f"user {name} enabled")


@user.command("disable")
@click.argument("name")
@click.pass_obj
@_fail_cleanly
def user_disable(settings: Settings, name: str) -> None:
    """Disable user NAME: their tokens end and they cannot log in."""
    _set_disabled(settings, name, True)


@user.command("enable")
@click.argument("name")
@click.pass_obj
@_fail_cleanly
def user_enable(settings: Settings, name: str) -> None:
    """Enable user NAME again."""
    _set_disabled(settings, name, False)


@user.command("token")
@click.argument("name")
@click.option(
    "--minutes",
    type=click.IntRange(min=1),
    default=None,
    help="How long the token lives (default GRIDSVC_TOKEN_TTL_MINUTES, 480).",
)
@click.pass_obj
@_fail_cleanly
def user_token(settings: Settings, name: str, minutes: int | None) -> None:
    """A bearer token for NAME, printed on the last line (send it as Authorization: Bearer …)."""
    ttl = dt.timedelta(minutes=minutes or settings.token_ttl_minutes)
    with _engine(settings).begin() as conn:
        token, expires = users.issue_token(conn, name, ttl)
    click.echo(f"token for {name}, valid until {expires:%Y-%m-%d %H:%M:%S %Z}:", err=True)
    click.echo(token)


@click.command("audit")
@click.option("--actor", default=None, help="Only this user (or local:NAME for the CLI).")
@click.option("--action", default=None, help="Only this action, e.g. building.update, plan.apply, import.")
@click.option("--since", type=click.DateTime(), default=None, help="Only entries from this time on.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
@_fail_cleanly
def audit_(
    settings: Settings, actor: str | None, action: str | None, since: dt.datetime | None, limit: int, fmt: str
) -> None:
    """The audit log, newest first: who changed what, when, before and after."""
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
            r["action"],
            f"{r['target_type']} {r['target_id'] or ''}".strip(),
            _brief(r["before"]),
            _brief(r["after"]),
        ]
        for r in rows
    ]
    click.echo(table(["编号", "时间", "操作人", "操作", "对象", "之前", "之后"], cells) if cells else "no entries")


def _brief(value, width: int = 60) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
