"""Who is calling: a bearer token (the Authorization header, or the cookie the login page sets)
becomes a :class:`~gridsvc.services.access.Principal`, and every route reaches the database as that
principal may see it (``Caller.db``). Login, logout, "who am I", the login page, the audit log."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gridsvc.analysis.scene import Thresholds
from gridsvc.api import guard, schemas
from gridsvc.api.geojson import json_value
from gridsvc.errors import Unauthenticated
from gridsvc.labels import ROLE_LABEL
from gridsvc.repository import audit
from gridsvc.services import access, users
from gridsvc.services import coverage as coverage_service
from gridsvc.services.access import Principal, ScopedEngine
from gridsvc.settings import Settings

COOKIE = "gridsvc_token"
_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/auth/token or `gridsvc user token`")


@dataclass(frozen=True)
class Caller:
    principal: Principal
    db: ScopedEngine  # the database as the principal may see it: use this, never app.state.engine
    settings: Settings

    @property
    def limits(self) -> Thresholds:
        """The configured thresholds (domain.md §4)."""
        return coverage_service.thresholds(self.settings)

    def area(self, code: str | None) -> str | None:
        """``code`` checked against the scope; no code means the whole scope."""
        return self.principal.check(code) if code is not None else self.principal.scope


def caller(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    settings: Settings = request.app.state.settings
    engine = request.app.state.engine
    token = credentials.credentials if credentials else request.cookies.get(COOKIE)
    if token:
        with engine.connect() as conn:
            principal = users.principal_for_token(conn, token)
    elif settings.auth_required:
        raise Unauthenticated(
            "此服务需要登录令牌：用用户名和密码 POST /api/auth/token（或运行 "
            "`gridsvc user token NAME`），再在请求中带上 Authorization: Bearer <token>"
        )
    else:
        principal = access.ANONYMOUS
    return Caller(principal, access.scoped(engine, principal), settings)


CallerDep = Annotated[Caller, Depends(caller)]
router = APIRouter(prefix="/api", tags=["auth"])


def _accounts(request: Request, actor: str) -> ScopedEngine:
    """The account tables are the owner's: reached unscoped, with ``actor`` named in the audit log."""
    return access.scoped(request.app.state.engine, Principal(actor, "viewer"))


def _login(request: Request, name: str, password: str) -> tuple[str, dt.datetime]:
    settings: Settings = request.app.state.settings
    client = guard.client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        settings.trusted_proxies,
    )
    with _accounts(request, name).connect() as conn:
        made = users.login(
            conn,
            name,
            password,
            client,
            ttl=dt.timedelta(minutes=settings.token_ttl_minutes),
            max_failures=settings.login_max_failures,
            window=dt.timedelta(seconds=settings.login_window_seconds),
        )
        conn.commit()
    return made


def _set_cookie(response: Response, token: str, expires: dt.datetime) -> None:
    response.set_cookie(COOKIE, token, expires=expires.astimezone(dt.UTC), httponly=True, samesite="strict", path="/")


@router.post(
    "/auth/token",
    response_model=None,
    responses=schemas.ok(schemas.Token),
    summary="Log in: a bearer token for a user name and password",
)
def token(
    request: Request,
    response: Response,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> dict:
    """Answers ``access_token`` (send it as ``Authorization: Bearer …``) and ``expires_at``; also
    sets it as an HTTP-only cookie for map pages. Repeated failures answer 429 with Retry-After."""
    made, expires = _login(request, username, password)
    _set_cookie(response, made, expires)
    return {"access_token": made, "token_type": "bearer", "expires_at": expires.isoformat()}


@router.post(
    "/auth/logout", response_model=None, responses=schemas.ok(schemas.LoggedOut), summary="End the caller's token"
)
def logout(
    request: Request,
    response: Response,
    who: CallerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict:
    value = credentials.credentials if credentials else request.cookies.get(COOKIE)
    ended = False
    if value:
        with _accounts(request, who.principal.name).connect() as conn:
            ended = users.end_token(conn, value)
            conn.commit()
    response.delete_cookie(COOKIE, path="/")
    return {"ended": ended}


@router.get(
    "/auth/me", response_model=None, responses=schemas.ok(schemas.Me), summary="The caller: name, role and area scope"
)
def me(who: CallerDep) -> dict:
    p = who.principal
    return {
        "name": p.name,
        "role": p.role,
        "role_label": ROLE_LABEL[p.role],
        "scope": p.scope,
        "registered": p.user_id is not None,
        "sees_phones_in_scope": p.identified,
    }


@router.get(
    "/audit",
    response_model=None,
    responses=schemas.ok(list[schemas.AuditEntry]),
    summary="The audit log, newest first (admins)",
)
def audit_log(
    who: CallerDep,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict]:
    """Every write: who (``actor``), when (``at``), what (``action``, ``target_type``, ``target_id``)
    and the data ``before`` and ``after``."""
    who.principal.require("admin")
    with who.db.connect() as conn:
        rows = audit.entries(conn, actor=actor, action=action, since=since, limit=limit)
    return [{k: json_value(v) for k, v in r.items()} for r in rows]


pages = APIRouter()


def _login_page(next_url: str, message: str = "") -> str:
    note = f'<p class="error">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · gridsvc</title>
<style>body{{font-family:sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.3rem 0;font-size:1rem}}input{{padding:.4rem}}
.error{{color:#b00020}}</style></head><body><h1>网格化管理 · 登录</h1>{note}
<form method="post" action="/login?next={quote(next_url)}">
<label for="u">用户名</label><input id="u" name="username" autocomplete="username" required>
<label for="p">密码</label><input id="p" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button></form></body></html>"""


def _safe_next(next_url: str) -> str:
    """Only paths on this server (no open redirect to another site)."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/docs"


@pages.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/docs") -> HTMLResponse:
    return HTMLResponse(_login_page(_safe_next(next)))


@pages.post("/login", include_in_schema=False)
def login_form(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: str = "/docs",
) -> Response:
    target = _safe_next(next)
    try:
        made, expires = _login(request, username, password)
    except Unauthenticated as exc:
        return HTMLResponse(_login_page(target, f"登录失败: {exc}"), status_code=401)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, made, expires)
    return response
