"""Column typing on the way in."""

from __future__ import annotations

import pandas as pd

from gridsvc.ingest.schema import BUILDINGS
from gridsvc.ingest.values import convert_column


def _convert(column: str, values: list):
    names = pd.Series([f"#{i + 1}" for i in range(len(values))])
    return convert_column(pd.Series(values, dtype=object), BUILDINGS.column(column), BUILDINGS, names)


def test_whole_numbers_accept_spreadsheet_forms():
    values, problems = _convert("floors", [6, 6.0, "7", " 8 ", None, float("nan")])
    assert values == [6, 6, 7, 8, None, None] and problems == []


def test_bad_numbers_are_named():
    _, problems = _convert("floors", ["six", 2.5, -1, True])
    assert [p.feature for p in problems] == ["#1", "#2", "#3", "#4"]
    assert "不是整数" in problems[0].reason and "负数" in problems[2].reason


def test_required_and_choices():
    values, problems = _convert("use", ["residential", "", "castle"])
    assert values[0] == "residential"
    assert problems[0].reason == "必填值为空"
    assert "'castle' 不是 residential" in problems[1].reason
