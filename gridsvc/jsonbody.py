"""JSON bodies of large answers, such as a city's coverage tree (13 MB).

FastAPI turns a returned dict into JSON by walking it through ``jsonable_encoder`` first: 3.7 s on
the 200,000-building city's tree, where writing it takes 0.06 s with orjson (0.38 s with
``json.dumps``); a district's 4,600 gaps as GeoJSON: 0.54 s against 0.013 s. Answers that are plain
JSON already (str keys; str, int, float, bool, None, dates and numpy numbers as values: what
:func:`gridsvc.api.geojson.json_value` leaves) are written here and returned as a ready
:class:`~fastapi.Response`.
"""

from __future__ import annotations

import orjson
from fastapi import Response


def dumps(value) -> bytes:
    """Compact UTF-8 JSON, byte for byte what ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))`` writes; NaN (never meant to reach an answer) as null, not as invalid JSON.

    >>> import json
    >>> tree = {"area": {"code": "320199", "name": "示范区"}, "metrics": {"a": {"value": 0.5, "n": 3, "d": None}}}
    >>> dumps(tree).decode() == json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
    True
    >>> dumps({"x": float("nan")})
    b'{"x":null}'
    """
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)


def response(value, media_type: str = "application/json") -> Response:
    """``value`` as a ready answer (see the module docstring)."""
    return Response(dumps(value), media_type=media_type)
