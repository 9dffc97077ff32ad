"""The OGC API's HTML encoding (Part 1, conformance class html): each answer as a page a person can
read in a browser — its links, and the collections or the features as a table. Asked for with
``f=html``, or by a browser (``Accept: text/html`` before any JSON). Every text is escaped; the pages
run no script."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from gridsvc.errors import InvalidInput

STYLE = """body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:1.5rem;
line-height:1.5}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccd;padding:.2rem .5rem;
text-align:left;vertical-align:top}th{background:#eef}small{color:#667}.wide{overflow-x:auto}"""


def wanted(request: Request) -> bool:
    """Whether the caller asked for HTML: ``f=html``, or no ``f`` and a browser's Accept header."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("html", "json"):
            raise InvalidInput(f"f={f!r}：应为 json 或 html")
        return f == "html"
    accept = request.headers.get("accept", "")
    at = accept.find("text/html")
    return at >= 0 and all(at < i for i in (accept.find("json"),) if i >= 0)


def as_html(href: str) -> str:
    """The same link asking for HTML (``f=html``)."""
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "f"] + [("f", "html")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page(title: str, links: list[dict], columns: list[str] = (), rows: list[list] = (), note: str = "") -> HTMLResponse:
    """A page: the title, the links (each also offered as HTML when it is one of ours), and a table."""
    items = []
    for link in links:
        href, rel = link["href"], link.get("rel", "")
        ours = "/ogc" in urlsplit(href).path and link.get("type") != "application/vnd.oai.openapi+json;version=3.0"
        target = as_html(href) if ours else href
        label = link.get("title") or rel
        items.append(
            f'<li><a href="{html.escape(target)}">{html.escape(label)}</a> <small>{html.escape(rel)}</small></li>'
        )
    table = ""
    if columns:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
        table = f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    return HTMLResponse(
        f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)} · gridsvc</title>
<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>
{f"<p>{html.escape(note)}</p>" if note else ""}<ul>{"".join(items)}</ul>{table}</body></html>"""
    )


def _cell(value) -> str:
    if isinstance(value, tuple):  # (text, href): a link to one of our pages
        text, href = value
        return f'<a href="{html.escape(as_html(href))}">{html.escape(str(text))}</a>'
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else html.escape(str(value))


def landing_page(doc: dict) -> HTMLResponse:
    return page("网格化管理 · OGC API – Features", doc["links"], note=doc["description"])


def conformance_page(classes: list[str]) -> HTMLResponse:
    return page("符合的标准（conformance）", [], ["标准"], [[c] for c in classes])


def collections_page(doc: dict) -> HTMLResponse:
    rows = [[(c["id"], _items(c)), c["title"], _box(c)] for c in doc["collections"]]
    return page("数据集（collections）", doc["links"], ["编号", "名称", "范围（经纬度）"], rows)


def collection_page(doc: dict) -> HTMLResponse:
    rows = [["编号", doc["id"]], ["范围（经纬度）", _box(doc)], ["坐标系", "，".join(doc["crs"])]]
    return page(doc["title"], doc["links"], ["", ""], rows)


def items_page(title: str, features: list[dict], links: list[dict]) -> HTMLResponse:
    names = list(dict.fromkeys(k for f in features for k in f["properties"]))
    self_href = next(link["href"] for link in links if link["rel"] == "self")
    base = urlsplit(self_href)._replace(query="").geturl()
    rows = [[(f["id"], f"{base}/{f['id']}"), *(f["properties"].get(k) for k in names)] for f in features]
    return page(f"{title}：{len(features)} 个要素", links, ["编号", *names], rows)


def feature_page(title: str, found: dict, links: list[dict]) -> HTMLResponse:
    rows = [[k, v] for k, v in found["properties"].items()]
    return page(f"{title} {found['id']}", links, ["属性", "值"], rows, note=f"几何：{found['geometry']['type']}")


def _items(collection: dict) -> str:
    return next(link["href"] for link in collection["links"] if link["rel"] == "items")


def _box(collection: dict) -> str:
    box = collection["extent"]["spatial"]["bbox"][0]
    return "（暂无要素）" if box == [-180, -90, 180, 90] else ", ".join(f"{v:g}" for v in box)
