"""The report as a 通报 (issue 16, item 5), on the demo with three back-dated snapshots (as ./dev up
takes them): a summary written from the figures, a ranking by composite score with its weights, a
named owner, a deadline and a status for every gap, and the trend over all snapshots. Sentences
never start with "，" and never show an internal id."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import text

from gridsvc.cli import main
from gridsvc.reports import bulletin
from gridsvc.services import imports
from gridsvc.services import reports as report_service
from gridsvc.services.coverage import thresholds
from gridsvc.settings import Settings

DAYS = ["2025-03-31", "2025-09-30", "2026-03-31"]
INTERNAL_ID = re.compile(r"demo-|po-|\bst-|\bld-|fp-")


@pytest.fixture(scope="module")
def with_history(engine, settings):
    from tests.conftest import TABLES

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    for day in DAYS:
        taken = CliRunner().invoke(
            main, ["snapshot", "--area", demo.district_code, "--as-of", day, "--note", "演示数据：回溯快照"], env=env
        )
        assert taken.exit_code == 0 and f"时间 {day} 12:00:00" in taken.output, taken.output
    return engine, demo.district_code, env


@pytest.fixture(scope="module")
def made(with_history):
    engine, district, _ = with_history
    return report_service.report(engine, district, thresholds(Settings()), deadlines={"no_grid_leader": 7})


def test_the_trend_runs_over_every_snapshot_and_shows_the_appointments(made):
    t = made.bulletin.trend
    assert list(dict.fromkeys(t["label"])) == ["快照#1", "快照#2", "快照#3", "本期"]
    leaders = t[t["key"] == "building_leader_coverage"]["value"].tolist()
    assert leaders == sorted(leaders) and leaders[0] < leaders[-1]  # building leaders appointed 2025–2026


def test_the_ranking_is_the_weighted_score_lowest_first(made):
    r = made.bulletin.ranking
    assert sum(bulletin.WEIGHTS.values()) == 100
    assert list(r["score"]) == sorted(r["score"]) and list(r["rank"]) == list(range(1, len(r) + 1))
    first = next(row for row in made.levels[0].rows if row["code"] == r.iloc[0]["code"])
    assert bulletin.score(first["metrics"])[0] == r.iloc[0]["score"]
    assert r.iloc[0]["name"] in " ".join(made.bulletin.summary)  # the weakest is named, with why


def test_every_gap_has_an_owner_a_deadline_and_a_status(made):
    a = made.actions
    assert a["responsible"].str.contains("书记|网格长").all()
    staffed = a[a["kind_code"].isin(bulletin.STAFF_SIDE) & a["grid_leader"].notna()]
    assert len(staffed) and (staffed["responsible"] == "网格长 " + staffed["grid_leader"]).all()
    assert not a["responsible"].str.endswith("（社区）").any()
    opened = dt.date.fromisoformat(DAYS[0])
    old = a[a["since"] == opened]
    assert len(old) and old["status"].str.startswith("逾期未改（2025-03-31起）").all()
    leaders = a[a["kind_code"] == "no_grid_leader"]
    assert ((leaders["deadline"] - leaders["since"]).map(lambda d: d.days) == 7).all()  # the configured days
    medium = a[a["severity_code"] == "medium"]
    assert ((medium["deadline"] - medium["since"]).map(lambda d: d.days) == 60).all()


def test_sentences_read_as_sentences_and_name_no_ids(made):
    sentences = [*made.bulletin.summary, *made.actions["message"]]
    assert not [s for s in sentences if s.startswith(("，", "、", "；"))]
    assert not [s for s in sentences if INTERNAL_ID.search(s)]
    assert made.bulletin.summary[0].startswith("截至") and "演示区" in made.bulletin.summary[0]
    assert "与2026年03月31日的快照相比" in made.bulletin.summary[1]


def test_the_pdf_and_excel_carry_it(with_history, tmp_path):
    _, district, env = with_history
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for path in (pdf, xlsx):
        assert CliRunner().invoke(main, ["report", "--area", district, "-o", str(path)], env=env).exit_code == 0
    words = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    for heading in ("摘要", "综合排名", "整改时限", "图4"):
        assert heading in words
    import openpyxl

    book = openpyxl.load_workbook(xlsx)
    assert {"综合排名", "趋势"} <= set(book.sheetnames)
    assert book["趋势"].max_row == 5  # three snapshots, today
    header = [c.value for c in book["问题清单"][1]]
    assert {"责任人", "整改时限", "状态", "对象"} <= set(header)


def test_a_snapshot_of_a_day_to_come_is_refused(with_history):
    _, district, env = with_history
    result = CliRunner().invoke(main, ["snapshot", "--area", district, "--as-of", "2099-01-01"], env=env)
    assert result.exit_code == 2 and "尚未到来的日期" in result.output
