"""The API description in OpenAPI 3.0, for OGC API clients that read only 3.0 (FastAPI writes 3.1).

The differences that matter for gridsvc's schemas: 3.1 says "or null" with ``{"type": "null"}`` in an
``anyOf`` (3.0: ``nullable``), has ``const`` (3.0: a one-value ``enum``), lists ``examples`` (3.0: one
``example``) and gives ``exclusiveMinimum`` a number (3.0: a flag beside ``minimum``).

>>> down({"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "n"})
{'type': 'integer', 'title': 'n', 'nullable': True}
>>> down({"const": "Feature", "exclusiveMinimum": 0, "examples": [3]})
{'exclusiveMinimum': True, 'enum': ['Feature'], 'minimum': 0, 'example': 3}
"""

from __future__ import annotations

from typing import Any

VERSION = "3.0.3"
_NULL = {"type": "null"}


def document(spec: dict) -> dict:
    """``spec`` (OpenAPI 3.1 from FastAPI) as OpenAPI 3.0."""
    converted = down(spec)
    converted["openapi"] = VERSION
    return converted


def down(node: Any) -> Any:
    """One schema node (and everything under it) in OpenAPI 3.0 terms."""
    if isinstance(node, list):
        return [down(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    for key in ("anyOf", "oneOf"):
        if _NULL in node.get(key, []):
            rest = [v for v in node.pop(key) if v != _NULL]
            node = ({key: rest} if len(rest) > 1 else rest[0] if rest else {}) | node | {"nullable": True}
    if isinstance(node.get("type"), list):
        kinds = [t for t in node["type"] if t != "null"]
        if len(kinds) < len(node["type"]):
            node["nullable"] = True
        node["type"] = kinds[0] if kinds else "string"
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("exclusiveMinimum"), int | float) and not isinstance(node["exclusiveMinimum"], bool):
        node["minimum"], node["exclusiveMinimum"] = node["exclusiveMinimum"], True
    if isinstance(node.get("exclusiveMaximum"), int | float) and not isinstance(node["exclusiveMaximum"], bool):
        node["maximum"], node["exclusiveMaximum"] = node["exclusiveMaximum"], True
    if "examples" in node and isinstance(node["examples"], list) and "schema" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    return {k: down(v) for k, v in node.items()}
