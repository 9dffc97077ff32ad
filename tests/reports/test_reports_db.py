"""Reports of the demo district in every format, read back: the numbers are the coverage engine's.

Built through the CLI and the API as users would, on a real PostGIS; the HTML is also opened in
headless Chromium to see that its pictures load.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import text

from gridsvc.analysis.metrics import LABELS
from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.reports.content import GENERATED_NOTICE, is_rate
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports
from gridsvc.textual import figure

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def demo_db(engine):
    from tests.conftest import TABLES

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    return engine, demo.district_code


@pytest.fixture(scope="module")
def env(settings):
    return {"GRIDSVC_DATABASE_URL": settings.database_url}


@pytest.fixture(scope="module")
def written(demo_db, env, tmp_path_factory) -> dict[str, Path]:
    """The district's report in each format, written by ``gridsvc report``."""
    _, district = demo_db
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for fmt in ("xlsx", "pdf", "html"):
        out[fmt] = folder / f"report.{fmt}"
        result = CliRunner().invoke(main, ["report", "--area", district, "-o", str(out[fmt])], env=env)
        assert result.exit_code == 0, result.output
        assert "没有可比较的快照" in result.output
    return out


def test_excel_ledger_holds_the_engines_numbers_in_typed_cells(demo_db, written):
    engine, district = demo_db
    cov = coverage_service.coverage(engine, district)
    book = openpyxl.load_workbook(written["xlsx"])
    assert book.sheetnames == [
        "说明",
        "汇总",
        "街道排名",
        "社区排名",
        "网格排名",
        "综合排名",
        "目标",
        "问题清单",
        "网格员负荷",
        "两网融合",
    ]
    assert book["说明"]["A2"].value == GENERATED_NOTICE  # generated data says so on the first sheet
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:"), name
    summary = book["汇总"]
    rows = {r[2].value: r for r in summary.iter_rows(min_row=2)}
    assert set(rows) == set(cov.metrics(district))
    for key, m in cov.metrics(district).items():
        value, numerator, denominator = (c.value for c in rows[key][3:6])
        assert (value, numerator, denominator) == (m["value"], m["numerator"], m["denominator"]), key
        assert rows[key][1].value == LABELS[key]
        if is_rate(key):
            assert rows[key][3].number_format == "0.0%", key
    communities = book["社区排名"]
    header = [c.value for c in communities[1]]
    column = header.index("楼栋党小组应建已建率")
    assert header[column + 1 : column + 3] == ["楼栋党小组应建已建率·分子", "楼栋党小组应建已建率·分母"]
    seen = {}
    for row in communities.iter_rows(min_row=2, values_only=True):
        seen[row[0]] = row[column : column + 3]
    assert set(seen) == set(cov.descendants(district, "community"))
    for code, cells in seen.items():
        m = cov.metrics(code)["building_group_coverage"]
        assert cells == (m["value"], m["numerator"], m["denominator"]), code
    assert communities.cell(2, column + 1).number_format == "0.0%"
    gaps = cov.gap_list(district)
    actions = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    assert len(actions) == len(gaps)
    assert sum(r[0] == "高" for r in actions) == (gaps["severity"] == "high").sum()
    load = {r[0]: r for r in book["网格员负荷"].iter_rows(min_row=2, values_only=True)}
    staff = cov.units.staff_grids.set_index("grid")
    assert set(load) == set(staff.index)
    for grid, r in staff.iterrows():
        assert load[grid][4] == r["households"] and load[grid][8] == r["fulltime_workers"]
        expected = r["households"] / r["fulltime_workers"] if r["fulltime_workers"] else None
        assert load[grid][9] == (pytest.approx(expected) if expected is not None else None)
    alignment = {r[0]: r for r in book["两网融合"].iter_rows(min_row=2, values_only=True)}
    for code, r in alignment.items():
        m = cov.metrics(code)["alignment_rate"]
        assert (r[6], r[7], r[8]) == (m["numerator"], m["denominator"], m["value"])


def _pdf_text(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages]


def test_pdf_says_generated_on_every_page_and_shows_the_engines_figures(demo_db, written):
    engine, district = demo_db
    cov = coverage_service.coverage(engine, district)
    pages = _pdf_text(written["pdf"])
    assert len(pages) > 3
    assert GENERATED_NOTICE in pages[0] and "网格覆盖情况报告" in pages[0]
    assert all("生成数据，仅供演示" in page for page in pages)
    whole = " ".join(pages)
    for key, m in cov.metrics(district).items():
        assert f"{LABELS[key]} {figure(m)}" in whole, key
    for section in ("二、问题分布", "三、下级排名", "四、图表", "五、两网融合", "六、问题清单"):
        assert section in whole
    reader = PdfReader(written["pdf"])
    assert sum(len(page.images) for page in reader.pages) == 3  # gap map, coverage chart, workload chart


class Page(HTMLParser):
    """Tables (rows of cell texts), images, links and paragraphs of an HTML page."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.paragraphs: list[tuple[str, str]] = []
        self._cell: list[str] | None = None
        self._para: list[str] | None = None
        self._class = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "a":
            self.links.append(a["href"])
        elif tag == "p":
            self._para, self._class = [], a.get("class", "")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "p" and self._para is not None:
            self.paragraphs.append((self._class, "".join(self._para)))
            self._para = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._para is not None:
            self._para.append(data)


def test_html_tables_images_and_the_map_link(demo_db, written):
    engine, district = demo_db
    cov = coverage_service.coverage(engine, district)
    html = written["html"].read_text(encoding="utf-8")
    page = Page(html)
    assert page.paragraphs[0] == ("notice", GENERATED_NOTICE)
    headline = {row[0]: row[1] for table in page.tables[:3] for row in table[1:]}
    assert headline == {LABELS[k]: figure(m) for k, m in cov.metrics(district).items()}
    streets = next(t for t in page.tables if t[0][0] == "街道" and "网格长" in t[0])
    assert {r[0] for r in streets[1:]} == {cov.name(c) for c in cov.children(district)}
    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the network
    (link,) = page.links
    assert link == "report.map.html" and (written["html"].parent / link).exists()
    actions = next(t for t in page.tables if t[0][:5] == ["严重", "问题", "位置", "说明", "责任人"])
    assert len(actions) - 1 == len(cov.gap_list(district))  # the demo's gaps fit under the HTML's limit


def test_html_pictures_load_in_a_browser(written):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: ./dev setup installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(written["html"].as_uri())
        widths = page.eval_on_selector_all("figure img", "imgs => imgs.map(i => i.naturalWidth)")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        notice = page.locator("p.notice").bounding_box()
        browser.close()
    assert len(widths) == 3 and min(widths) > 500
    assert not overflow  # no sideways scrolling
    assert notice is not None and notice["y"] < 200  # the generated-data notice is at the top


def test_snapshot_then_change_shows_in_every_format(demo_db, env, tmp_path):
    engine, district = demo_db
    taken = CliRunner().invoke(main, ["snapshot", "--area", district, "--note", "月初"], env=env)
    assert taken.exit_code == 0 and "快照 #" in taken.output
    before = coverage_service.coverage(engine, district).metrics(district)["grid_leader_coverage"]
    with engine.begin() as conn:  # a grid leader leaves
        leader = conn.execute(
            text("""SELECT a.id FROM assignments a JOIN staff s ON s.id = a.staff_id
                                      WHERE s.role = 'grid_leader' AND a.target_type = 'grid'
                                        AND a.target_id LIKE :d AND a.end_date IS NULL
                                      ORDER BY a.id LIMIT 1"""),
            {"d": district + "%"},
        ).scalar_one()
        conn.execute(
            text("UPDATE assignments SET end_date = :d WHERE id = :id"),
            {"d": dt.date.today() - dt.timedelta(days=1), "id": leader},
        )
    try:
        after = coverage_service.coverage(engine, district).metrics(district)["grid_leader_coverage"]
        assert after["numerator"] == before["numerator"] - 1
        for fmt in ("xlsx", "pdf", "html"):
            out = tmp_path / f"r.{fmt}"
            result = CliRunner().invoke(main, ["report", "--area", district, "-o", str(out)], env=env)
            assert result.exit_code == 0 and "与快照 #1 比较" in result.output
        book = openpyxl.load_workbook(tmp_path / "r.xlsx")
        summary = {r[2]: r for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
        assert summary["grid_leader_coverage"][6:] == (before["value"], pytest.approx(after["value"] - before["value"]))
        changed = {(r[0], r[4]) for r in book["变化"].iter_rows(min_row=2, values_only=True)}
        assert (district, "grid_leader_coverage") in changed
        drop = f"{(after['value'] - before['value']) * 100:+.1f}个百分点"
        assert drop in " ".join(_pdf_text(tmp_path / "r.pdf"))
        page = Page((tmp_path / "r.html").read_text(encoding="utf-8"))
        # the change table's row (area, metric, before, after, change); the targets table has more columns
        rows = [
            r for t in page.tables for r in t if r[:2] == [cov_name(engine, district), "网格长配备率"] and len(r) == 5
        ]
        assert rows and rows[0][4] == drop
        listed = CliRunner().invoke(main, ["snapshot", "--list"], env=env)
        assert "月初" in listed.output and district in listed.output
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE assignments SET end_date = NULL WHERE id = :id"), {"id": leader})
            conn.execute(text("DELETE FROM snapshots"))


def cov_name(engine, code: str) -> str:
    return coverage_service.coverage(engine, code).name(code)


def test_reports_over_http(demo_db, settings):
    _, district = demo_db
    with TestClient(create_app(settings)) as client:
        xlsx = client.get(f"/api/reports/{district}", params={"format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
        assert "attachment" in xlsx.headers["content-disposition"]
        assert openpyxl.load_workbook(io.BytesIO(xlsx.content))["说明"]["A2"].value == GENERATED_NOTICE
        pdf = client.get(f"/api/reports/{district}", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        html = client.get(f"/api/reports/{district}")
        assert html.headers["content-type"].startswith("text/html")
        assert f"/maps/coverage/{district}" in Page(html.text).links
        assert client.get(f"/maps/coverage/{district}").status_code == 200  # the link leads somewhere
        assert client.get(f"/api/reports/{district}", params={"format": "doc"}).status_code == 422
        missing = client.get("/api/reports/320198")
        assert missing.status_code == 404 and "320198" in missing.json()["detail"]
        assert client.get(f"/api/reports/{district}001001001").status_code == 422  # a grid
        made = client.post("/api/snapshots", json={"area": district, "note": "季度"})
        assert made.status_code == 201 and made.json()["area"] == district
        assert [s["note"] for s in client.get("/api/snapshots").json()] == ["季度"]
        compared = client.get(f"/api/reports/{district}")
        assert "七、与上次快照相比" in compared.text


def test_report_cli_errors_name_the_problem(demo_db, env, tmp_path):
    _, district = demo_db
    bad_suffix = CliRunner().invoke(main, ["report", "--area", district, "-o", str(tmp_path / "r.docx")], env=env)
    assert bad_suffix.exit_code != 0 and "不能是 .docx" in bad_suffix.output
    grid = CliRunner().invoke(
        main, ["report", "--area", district + "001001001", "-o", str(tmp_path / "r.pdf")], env=env
    )
    assert grid.exit_code != 0 and "是网格编码" in grid.output
    assert not (tmp_path / "r.pdf").exists()
