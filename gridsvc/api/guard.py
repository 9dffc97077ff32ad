"""What stands between the network and the routes (pure ASGI middleware, outermost first):

- :class:`Admission` lets at most as many requests work at once as the database pool has
  connections (each request holds at most one), so waiting can never deadlock; a request that
  waits too long answers 503 with ``Retry-After``.
- :class:`BodyLimits` answers 413 to a body over ``GRIDSVC_MAX_UPLOAD_MB`` before reading it, and
  422 to a JSON body holding ``NaN``, ``Infinity`` or a number too large for a float (``1e309``),
  naming the field.
- :class:`SameOrigin` refuses a cookie-authenticated write whose ``Origin`` (or ``Referer``) is not
  this server's own origin: SameSite cookies do not stop another port or subdomain of the same site.
- :class:`SecurityHeaders` adds ``X-Content-Type-Options``, ``Referrer-Policy`` and frame
  protection to every answer; pages set their own Content-Security-Policy (:func:`page_policy`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "gridsvc_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOGIN_PATHS = {"/login", "/api/auth/token"}
RETRY_AFTER = 5  # seconds: what overload and outage answers suggest


def overloaded(detail: str) -> JSONResponse:
    """The one answer to "not now": 503 with Retry-After and a JSON body."""
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER)})


class Admission:
    """At most ``limit`` requests past this point at once; others wait up to ``wait`` seconds."""

    def __init__(self, app: ASGIApp, limit: int, wait: float):
        self.app = app
        self.limit = limit
        self.wait = wait
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait)
        except TimeoutError:
            await overloaded("服务繁忙，请稍后再试")(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


class BodyLimits:
    """Size limit on every body; finite numbers only in JSON bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        is_json = headers.get("content-type", "").split(";")[0].strip().lower().endswith("json")
        if length is not None and not is_json:
            await self.app(scope, receive, send)  # declared size within the limit: stream it on
            return
        body = bytearray()  # chunked bodies (no Content-Length) and JSON bodies are read here
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        if is_json:
            where = _non_finite(bytes(body))
            if where is not None:
                await JSONResponse(
                    status_code=422,
                    content={
                        "detail": [
                            {
                                "type": "finite_number",
                                "loc": ["body", *where],
                                "msg": "NaN, Infinity and numbers too large for a float are not allowed",
                            }
                        ]
                    },
                )(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes / (1 << 20)
        await JSONResponse(
            status_code=413,
            content={
                "detail": f"the request body is larger than this server accepts ({limit_mb:g} MB, "
                "GRIDSVC_MAX_UPLOAD_MB)"
            },
        )(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then whatever comes next (a disconnect)

    return again


def _non_finite(body: bytes) -> list | None:
    """The path to the first NaN/Infinity/overflowing number in a JSON body, or None (also when the
    body is not JSON at all: the route's own validation says so)."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    stack: list[tuple[list, object]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path
        if isinstance(item, dict):
            stack.extend((path + [k], v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((path + [i], v) for i, v in reversed(list(enumerate(item))))
    return None


class SameOrigin:
    """Cookie-authenticated writes must come from a page of this server (Origin, else Referer);
    bearer-token calls carry no ambient credential and pass."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # logging in does not act with the cookie: only a foreign Origin, when sent, is refused there
        is_login = scope["path"] in LOGIN_PATHS
        uses_cookie = not is_login and COOKIE in headers.get("cookie", "") and "authorization" not in headers
        if (uses_cookie or is_login) and not _from_here(headers, scope, required=uses_cookie):
            await JSONResponse(
                status_code=403,
                content={
                    "detail": "cross-site request refused: a write with the login cookie must come from a page "
                    "of this server (Origin/Referer), or send Authorization: Bearer <token>"
                },
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _from_here(headers: Headers, scope: Scope, required: bool) -> bool:
    origin = headers.get("origin")
    if origin is None or origin == "null":
        referer = headers.get("referer")
        if referer is None:
            return not required and origin is None
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return origin.lower() == own.lower()


class SecurityHeaders:
    """Headers every answer carries; a page's own Content-Security-Policy is kept, others get one
    for its kind: HTML documents their own styles and inline images, anything else nothing at all."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                raw += [(k, v) for k, v in DEFAULT_HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    kind = dict(raw).get(b"content-type", b"")
                    raw.append(
                        (
                            b"content-security-policy",
                            DOCUMENT_POLICY
                            if kind.startswith(b"text/html")
                            else b"default-src 'none'; frame-ancestors 'none'",
                        )
                    )
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)


DEFAULT_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
# pages without scripts (login, HTML reports): their own styles and inline images, forms to this server
DOCUMENT_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    b"base-uri 'none'; frame-ancestors 'none'"
)
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def page_policy(html_text: str, image_origins: tuple[str, ...] = ()) -> tuple[str, str]:
    """``html_text`` with a fresh nonce on each of its ``<script>`` tags, and the
    Content-Security-Policy that runs only those: no inline event handlers, no ``javascript:``
    URLs, nothing from another origin but the base map's tiles (``image_origins``).

    Text from the database never holds a raw ``<script`` here: it is escaped where it enters the
    page (rendering.common.geojson and the panels)."""
    nonce = secrets.token_urlsafe(18)
    tagged = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html_text)
    images = " ".join(("'self'", "data:", "blob:", *image_origins))
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
    return tagged, policy


def origin_of(url: str | None) -> str | None:
    """``scheme://host`` of a tile URL template (subdomain placeholders widened to ``*``)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    if "{" in labels[0]:  # t{s}.tianditu.gov.cn: any subdomain
        labels[0] = "*"
    if any("{" in label for label in labels):
        return None
    return f"{parts.scheme}://{'.'.join(labels)}"


def client_address(peer: str | None, forwarded_for: str | None, trusted: str) -> str:
    """The address a request came from: the peer, unless the peer is a configured proxy
    (``GRIDSVC_TRUSTED_PROXIES``: addresses or networks, comma separated), then the nearest
    untrusted address of ``X-Forwarded-For``."""
    networks = _networks(trusted)
    address = peer or "unknown"
    if not networks or not forwarded_for or not _within(address, networks):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not _within(hop, networks):
            break
    return address


def _networks(trusted: str) -> list:
    return [ipaddress.ip_network(t.strip(), strict=False) for t in trusted.split(",") if t.strip()]


def _within(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
