"""The GeoJSON writer's column rule (numbers by dtype at once) against the one cell rule, json_value."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gridsvc.api.geojson import _json_column, json_value

COLUMNS = {
    "bool": pd.Series([True, False]),
    "int": pd.Series([0, -3, 2**62]),
    "nullable int": pd.Series([1, None, 3], dtype="Int64"),
    "nullable bool": pd.Series([True, None], dtype="boolean"),
    "float": pd.Series([6.0, 2.5, np.nan, -0.0, np.inf, -np.inf]),
    "float beyond int64": pd.Series([1e20, -1e19, 2.0**63, 1.5e300]),
    "text": pd.Series(["网格", None, ""], dtype=object),
    "dates": pd.Series([dt.date(2026, 12, 3), None], dtype=object),
    "mixed": pd.Series([1, "a", 2.0, float("nan"), None], dtype=object),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_a_column_is_written_as_each_of_its_cells_would_be(name):
    column = COLUMNS[name]
    assert _json_column(column) == [json_value(v) for v in column.tolist()]
