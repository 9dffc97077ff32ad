"""Users, their passwords (argon2), bearer tokens that expire, and the brake on failed logins.

Tokens are random; the database keeps only their SHA-256, so a copy of the database holds no
usable token. Users, tokens and failed logins are the owner's tables: scoped connections cannot
read them, so everything here runs on the caller's unscoped connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, text

from gridsvc.errors import InvalidInput, TooManyAttempts, Unauthenticated
from gridsvc.labels import ROLE_LABEL, no_code
from gridsvc.repository import audit
from gridsvc.repository import read as repo
from gridsvc.services.access import ROLES, Principal

PASSWORD_MIN_LENGTH = 8
USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # as the users table checks it
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")  # unknown users cost the same time as known ones
_USER_COLUMNS = "id, name, role, scope, disabled, created_at"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(conn: Connection, name: str) -> dict:
    row = conn.execute(text(f"SELECT {_USER_COLUMNS} FROM users WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise InvalidInput(f"没有名为 {name!r} 的用户（gridsvc user list 列出全部用户）")
    return dict(row._mapping)


def add_user(conn: Connection, name: str, role: str, scope: str | None, password: str) -> dict:
    """A new user with ``role`` over ``scope`` (a district, street, community or grid that exists;
    only an admin may have none, meaning everything)."""
    if not USER_NAME.fullmatch(name):
        raise InvalidInput(f"用户名 {name!r}：只能用 1–64 个字母、数字和 _ . @ -")
    if role not in ROLES:
        raise InvalidInput(f"角色 {role!r}：应为 {', '.join(ROLES)} 之一")
    if scope is None and role != "admin":
        raise InvalidInput(f"{ROLE_LABEL[role]}（{role}）需要 --scope：其负责的区、街道、社区或网格编码")
    if scope is not None and not (repo.area_exists(conn, scope) or repo.grid_exists(conn, scope)):
        raise InvalidInput(f"--scope {scope!r}：{no_code(scope, 'district', 'street', 'community', 'current_grid')}")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"密码太短：至少 {PASSWORD_MIN_LENGTH} 个字符")
    if conn.scalar(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}):
        raise InvalidInput(f"已有名为 {name!r} 的用户")
    row = conn.execute(
        text(f"""INSERT INTO users (name, role, scope, password_hash)
                                VALUES (:n, :r, :s, :h) RETURNING {_USER_COLUMNS}"""),
        {"n": name, "r": role, "s": scope, "h": _hasher.hash(password)},
    ).one()
    user = dict(row._mapping)
    audit.record(conn, "user.add", "user", name, None, {"role": role, "scope": scope})
    return user


def list_users(conn: Connection) -> list[dict]:
    rows = conn.execute(
        text(f"""
        SELECT {_USER_COLUMNS},
               (SELECT count(*) FROM tokens t WHERE t.user_id = users.id AND t.expires_at > now()) AS live_tokens
        FROM users ORDER BY name""")
    )
    return [dict(r._mapping) for r in rows]


def set_disabled(conn: Connection, name: str, disabled: bool = True) -> dict:
    """Disable (or enable again) a user; disabling also ends every token they hold."""
    user = _user(conn, name)
    conn.execute(text("UPDATE users SET disabled = :d WHERE id = :id"), {"d": disabled, "id": user["id"]})
    if disabled:
        conn.execute(text("DELETE FROM tokens WHERE user_id = :id"), {"id": user["id"]})
    audit.record(
        conn,
        "user.disable" if disabled else "user.enable",
        "user",
        name,
        {"disabled": user["disabled"]},
        {"disabled": disabled},
    )
    return user | {"disabled": disabled}


def issue_token(conn: Connection, name: str, ttl: dt.timedelta) -> tuple[str, dt.datetime]:
    """A new bearer token for ``name``, valid for ``ttl``: (token, expires_at)."""
    user = _user(conn, name)
    if user["disabled"]:
        raise InvalidInput(f"用户 {name!r} 已停用")
    if ttl <= dt.timedelta(0):
        raise InvalidInput("令牌的有效期必须大于零")
    token = secrets.token_urlsafe(32)
    expires = conn.scalar(
        text("""INSERT INTO tokens (digest, user_id, expires_at)
                                  VALUES (:d, :u, now() + :ttl) RETURNING expires_at"""),
        {"d": _digest(token), "u": user["id"], "ttl": ttl},
    )
    audit.record(conn, "token.issue", "user", name, None, {"expires_at": expires})
    return token, expires


LOGIN_LOCK = 7001  # advisory-lock class of login attempts by name (and +1: by client)


def login(
    conn: Connection,
    name: str,
    password: str,
    client: str,
    *,
    ttl: dt.timedelta,
    max_failures: int,
    window: dt.timedelta,
) -> tuple[str, dt.datetime]:
    """A token for the right password. After ``max_failures`` failed attempts within ``window``
    for the same user name, or from the same client, every attempt is refused until the window
    has passed (TooManyAttempts), right password or not.

    Attempts for one name, and from one client, take their turn (transaction-scoped advisory locks,
    always the name's first): concurrent wrong passwords cannot all pass the brake before any of
    them is counted, so at most ``max_failures`` passwords are ever checked within the window."""
    for kind, key in ((LOGIN_LOCK, name), (LOGIN_LOCK + 1, client)):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(:v))"), {"k": kind, "v": key})
    _brake(conn, name, client, max_failures, window)
    row = conn.execute(text("SELECT password_hash, disabled FROM users WHERE name = :n"), {"n": name}).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        ok = row is not None and not row.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        conn.execute(text("INSERT INTO login_failures (user_name, client) VALUES (:n, :c)"), {"n": name, "c": client})
        conn.commit()  # the failure counts even though the caller's request fails
        raise Unauthenticated("用户名或密码错误，或该用户已停用")
    conn.execute(text("DELETE FROM login_failures WHERE user_name = :n"), {"n": name})
    return issue_token(conn, name, ttl)


def _brake(conn: Connection, name: str, client: str, max_failures: int, window: dt.timedelta) -> None:
    """Refuse while the last ``max_failures`` failures for this name or client lie within ``window``."""
    wait = conn.scalar(
        text("""
        SELECT ceil(extract(epoch FROM at + :w - now())) FROM login_failures
        WHERE (user_name = :n OR client = :c) AND at > now() - :w
        ORDER BY at DESC OFFSET :skip LIMIT 1"""),
        {"n": name, "c": client, "w": window, "skip": max_failures - 1},
    )
    if wait is not None:
        retry = max(int(wait), 1)
        raise TooManyAttempts(f"登录失败次数过多，请 {retry} 秒后再试", retry)


def principal_for_token(conn: Connection, token: str) -> Principal:
    """The user a bearer token belongs to, if it is known, unexpired and the user not disabled."""
    row = conn.execute(
        text("""
        SELECT u.id, u.name, u.role, u.scope, u.disabled, t.expires_at, t.expires_at <= now() AS expired
        FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = :d"""),
        {"d": _digest(token)},
    ).first()
    if row is None:
        raise Unauthenticated("令牌无效：请重新登录（POST /api/auth/token）")
    if row.expired:
        raise Unauthenticated(f"令牌已于 {row.expires_at:%Y-%m-%d %H:%M %Z} 过期：请重新登录")
    if row.disabled:
        raise Unauthenticated(f"用户 {row.name!r} 已停用")
    return Principal(row.name, row.role, row.scope, row.id, identified=True)


def end_token(conn: Connection, token: str) -> bool:
    """Forget a token (logout); whether it existed."""
    return conn.execute(text("DELETE FROM tokens WHERE digest = :d"), {"d": _digest(token)}).rowcount > 0
