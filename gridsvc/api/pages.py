"""The pages a person opens first: ``/`` (where to go: the areas' maps, the API docs, login) and the
API docs (``/docs``, ``/redoc``) with their scripts served from the package, so they work offline and
under a Content-Security-Policy like the maps."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from gridsvc.api.auth import caller
from gridsvc.api.guard import page_policy
from gridsvc.errors import GridsvcError
from gridsvc.labels import LEVEL_LABEL
from gridsvc.repository import read as repo

router = APIRouter(include_in_schema=False)
VENDOR = "/static/vendor"


def _with_policy(page: str) -> HTMLResponse:
    tagged, policy = page_policy(page)
    # Swagger UI and ReDoc style themselves inline and ReDoc runs a worker from a blob
    policy = policy.replace("connect-src 'self'", "connect-src 'self'; worker-src 'self' blob:")
    return HTMLResponse(tagged, headers={"Content-Security-Policy": policy})


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon, said without an error: browsers ask each server for one at every page."""
    return Response(status_code=204)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="gridsvc · 接口文档",
        swagger_js_url=f"{VENDOR}/swagger-ui-dist/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui-dist/swagger-ui.css",
        swagger_favicon_url="data:,",
    )
    return _with_policy(page.body.decode())


@router.get("/redoc")
def redoc() -> HTMLResponse:
    page = get_redoc_html(
        openapi_url="/openapi.json",
        title="gridsvc · 接口文档（ReDoc）",
        redoc_js_url=f"{VENDOR}/redoc/bundles/redoc.standalone.js",
        redoc_favicon_url="data:,",
        with_google_fonts=False,
    )
    return _with_policy(page.body.decode())


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    """Links to each area's coverage map the caller may open (after login when one is needed), the
    API docs and the login page."""
    try:
        who = caller(request, None)
        with who.db.connect() as conn:
            areas = repo.areas(conn)
        scope = who.principal.scope
        areas = areas[areas["code"].str.startswith(scope)] if scope else areas  # not the areas above it
    except (GridsvcError, SQLAlchemyError):  # no login yet, or no database: the page still says where to go
        areas = None
    return HTMLResponse(_landing(areas))


def _landing(areas) -> str:
    if areas is None:
        listed = "<p>登录后可查看各区、街道、社区的覆盖地图。</p>"
    elif areas.empty:
        listed = "<p>还没有数据：请先导入（gridsvc import）或生成演示区（gridsvc demo）。</p>"
    else:
        rows = []
        for level in ("district", "street", "community"):
            for a in areas[areas["level"] == level].sort_values("code").itertuples():
                indent = {"district": 0, "street": 1, "community": 2}[level]
                rows.append(
                    f'<li style="margin-left:{indent * 1.2}em"><a href="/maps/coverage/{html.escape(a.code)}">'
                    f"{html.escape(a.name)}</a> <small>{LEVEL_LABEL[level]} {html.escape(a.code)}</small></li>"
                )
        listed = f"<ul>{''.join(rows)}</ul>"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>gridsvc · 网格化管理</title>
<style>body{{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;max-width:40rem;
margin:2rem auto;padding:0 1rem;line-height:1.6}} ul{{padding-left:1em;list-style:none}} small{{color:#667}}</style>
</head><body><h1>网格化管理服务</h1>
<h2>覆盖地图</h2>{listed}
<h2>其他</h2><ul><li><a href="/docs">接口文档（Swagger UI）</a></li><li><a href="/redoc">接口文档（ReDoc）</a></li>
<li><a href="/login?next=/">登录</a></li></ul></body></html>"""
