"""Column values on the way in: typed, checked, and every bad value named."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from gridsvc.errors import Problem
from gridsvc.ingest.schema import Column, Layer

_TRUE = {"true", "t", "yes", "y", "1", "是"}
_FALSE = {"false", "f", "no", "n", "0", "否"}


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def _to_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code stored as a number in a spreadsheet-made file
    return str(value).strip()


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("这里应是整数，不是是/否")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} 不是整数")
        number = int(value)
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            raise ValueError(f"{value!r} 不是整数")
        number = int(float(text))
    if number < 0:
        raise ValueError(f"{number} 是负数")
    return number


def _to_number(value: Any) -> float:
    """A number not below zero; '95%' is 0.95 (a rate as people write it)."""
    if isinstance(value, bool):
        raise ValueError("这里应是数，不是是/否")
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueError(f"{value!r} 不是数") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} 不是有限的数")
    if number < 0:
        raise ValueError(f"{number:g} 是负数")
    return number / 100 if percent else number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} 不是是/否（true/false）")


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    written = _CHINESE_DATE.fullmatch(text)  # 2024/3/1, 2024.3.1, 2024年3月1日 as ledgers write them
    try:
        if written:
            return dt.date(*(int(g) for g in written.groups()))
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{value!r} 不是日期（YYYY-MM-DD）") from None


_CHINESE_DATE = re.compile(r"(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _to_text,
    "int": _to_int,
    "number": _to_number,
    "bool": _to_bool,
    "date": _to_date,
}


def without_blanks(value):
    """A value written in groups without its blanks; anything else as it is.

    >>> without_blanks(" 139 1234 5679 "), without_blanks(13900000009)
    ('13912345679', 13900000009)
    """
    return "".join(value.split()) if isinstance(value, str) else value


def ungroup(frame: pd.DataFrame, layer: Layer, label: Callable[[str], str]) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the blanks taken out of the values of ``layer``'s grouped columns where that
    makes them valid (139 1234 5679 → 13912345679; a copy when any is), and a note per column saying
    so, ``label(column)`` naming it. A value still invalid without them is left as written, for its
    problem to quote."""
    notes = []
    for column in (c for c in layer.columns if c.grouped and c.name in frame):
        written = frame[column.name].astype(object)
        plain = written.map(without_blanks)
        fixed = [
            isinstance(w, str) and w.strip() != p and re.fullmatch(column.pattern or ".*", p) is not None
            for w, p in zip(written, plain, strict=True)
        ]
        if any(fixed):
            example = written[fixed].iloc[0].strip()
            frame = frame.assign(**{column.name: written.where(~pd.Series(fixed, index=frame.index), plain)})
            notes.append(
                f"{label(column.name)}：{sum(fixed)} 个值去掉了空格（如 {example!r} → {without_blanks(example)!r}）"
            )
    return frame, notes


def convert_column(
    values: pd.Series, column: Column, layer: Layer, feature_names: pd.Series
) -> tuple[list[Any], list[Problem]]:
    """Convert one column; return the values (None for blanks) and the problems found.

    A column that is already clean takes a vectorized path; any other goes value by value so
    that each problem can be named.
    """
    fast = _fast_convert(values, column)
    if fast is not None:
        return fast, []
    convert = _CONVERTERS[column.type]
    out: list[Any] = []
    problems: list[Problem] = []
    for value, feature in zip(values.tolist(), feature_names.tolist(), strict=True):
        if _blank(value):
            if column.required:
                problems.append(Problem(layer.name, feature, column.name, "必填值为空"))
            out.append(None)
            continue
        try:
            converted = convert(value)
        except ValueError as exc:
            problems.append(Problem(layer.name, feature, column.name, str(exc)))
            out.append(None)
            continue
        reason = _check_text(converted, column) if column.type == "text" else None
        if reason:
            problems.append(Problem(layer.name, feature, column.name, reason))
        out.append(converted)
    return out, problems


def _check_text(value: str, column: Column) -> str | None:
    if column.choices is not None and value not in column.choices:
        return f"{value!r} 不是 {'、'.join(column.words) if column.words else ', '.join(column.choices)} 之一"
    if column.pattern is not None and not re.fullmatch(column.pattern, value):
        return f"{value!r} 不符合格式（{column.describe}）"
    return None


def _fast_convert(values: pd.Series, column: Column):
    """The converted values when the whole column is clean, else None."""
    if column.required and values.isna().any():
        return None
    if column.type == "int":
        return _fast_int(values)
    if column.type == "bool" and pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean").array
    if column.type == "text":
        return _fast_text(values, column)
    return None


def _fast_int(values: pd.Series):
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_integer_dtype(values.dtype):
        ints = values.astype("Int64")
    elif pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        present = floats[~np.isnan(floats)]
        if (present % 1 != 0).any():
            return None
        ints = values.astype("Int64")
    else:
        return None
    return None if (ints.fillna(0) < 0).any() else ints.array


def _fast_text(values: pd.Series, column: Column):
    present = values.notna().to_numpy()
    kept = values[present]
    if pd.api.types.infer_dtype(kept, skipna=False) not in ("string", "empty"):
        return None
    kept = kept.str.strip()
    if (kept == "").any():
        return None
    if column.choices is not None and not kept.isin(column.choices).all():
        return None
    if column.pattern is not None and not kept.str.fullmatch(column.pattern).all():
        return None
    out = np.full(len(values), None, dtype=object)
    out[present] = kept.to_numpy(dtype=object)
    return out
