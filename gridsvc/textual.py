"""Coverage and gaps as text for a terminal: aligned columns that count Chinese characters as two."""

from __future__ import annotations

import unicodedata

from gridsvc.analysis.alignment import DISTURB_LABEL
from gridsvc.analysis.gaps import GAP_KIND, SEVERITY_LABEL
from gridsvc.analysis.metrics import HEADLINE, LABELS, METRIC_BY_KEY, METRICS, SHORT_LABELS
from gridsvc.labels import FAMILY_LABEL, IOU_LABEL, LAYER_LABEL, LEVEL_LABEL  # noqa: F401 - defined once, there

# the columns of the children table: metric key -> short header
CHILD_COLUMNS = {k: SHORT_LABELS[k] for k in HEADLINE}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int, right: bool = False) -> str:
    space = " " * max(0, size - width(text))
    return space + text if right else text + space


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    sizes = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(pad(h, s, i in right) for i, (h, s) in enumerate(zip(headers, sizes, strict=True)))]
    lines.append("  ".join("─" * s for s in sizes))
    lines += ["  ".join(pad(c, s, i in right) for i, (c, s) in enumerate(zip(r, sizes, strict=True))) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def figure(m: dict | None, digits: int = 1, key: str | None = None) -> str:
    """A metric as people read it, in its kind's units: a rate '88.4% (493/558)' ('— (0/0)' with
    nothing to count), households per full-time worker '339户/人 (339户÷1人)' ('无专职网格员' when
    there is none), or a count.

    >>> figure({"value": 339.0, "numerator": 339, "denominator": 1}, key="households_per_fulltime_worker")
    '339户/人（339户÷1人）'
    >>> figure({"value": 0.5, "numerator": 1, "denominator": 2}, digits=0, key="grid_leader_coverage")
    '50% (1/2)'
    """
    if m is None:
        return ""
    if _kind(key) == "per_worker":
        if m["denominator"] is None:  # an area's max or median over its grids
            return "—" if m["value"] is None else f"{m['value']:,.0f}户/人"
        if m["value"] is None:
            return f"无专职网格员（{m['numerator']:,.0f}户）"
        return f"{m['value']:,.0f}户/人（{m['numerator']:,.0f}户÷{m['denominator']:,.0f}人）"
    if m["denominator"] is None:
        return "—" if m["value"] is None else f"{m['value']:,.0f}"
    if m["value"] is None:
        return "— (0/0)"
    return f"{m['value']:.{digits}%} ({m['numerator']:,.0f}/{m['denominator']:,.0f})"


def score(value, kind: str) -> str:
    """A plan score (analysis.plan_scores) as tables show it: a rate as a percentage, an index to two
    places, a missing one as —.

    >>> score(0.8571, "rate"), score(1234, "households"), score(None, "count"), score(0.7312, "index")
    ('85.7%', '1,234', '—', '0.73')
    """
    if value is None:
        return "—"
    return f"{value:.1%}" if kind == "rate" else f"{value:.2f}" if kind == "index" else f"{value:,}"


def _kind(key: str | None) -> str | None:
    metric = METRIC_BY_KEY.get((key or "").split(".")[0])
    return metric.kind if metric else None


def short(m: dict | None, key: str | None = None) -> str:
    if m is None:
        return ""
    if m["value"] is None:
        return "—"
    if _kind(key) == "per_worker":
        return f"{m['value']:,.0f}户/人"
    return f"{m['value']:.0%}" if m["denominator"] is not None else f"{m['value']:,.0f}"


def coverage_text(node: dict, generated: bool) -> str:
    area = node["area"]
    title = f"覆盖情况：{area['name']}（{area['code']}，{LEVEL_LABEL[area['level']]}）"
    lines = [title + ("  ※ 生成数据，仅供演示" if generated else ""), ""]
    families = {m.key.split(".")[0]: m.family for m in METRICS}
    for family, label in FAMILY_LABEL.items():
        rows = [
            [LABELS.get(k, k), figure(v, key=k)]
            for k, v in node["metrics"].items()
            if families.get(k.split(".")[0]) == family
        ]
        if rows:
            lines += [f"【{label}】", table(["指标", "数值"], rows, right={1}), ""]
    if node["children"]:
        lines += [f"【下级{LEVEL_LABEL[node['children'][0]['area']['level']]}】", _children(node["children"])]
    return "\n".join(lines)


def _children(children: list[dict]) -> str:
    headers = ["代码", "名称", *CHILD_COLUMNS.values()]
    rows = []
    for child in children:
        a = child["area"]
        name = a["name"] + (f"［{LAYER_LABEL[a['layer']]}］" if "layer" in a else "")
        rows.append([a["code"], name, *(short(child["metrics"].get(k), k) for k in CHILD_COLUMNS)])
    return table(headers, rows, right=set(range(2, len(headers))))


def gaps_text(gaps, generated: bool) -> str:
    if gaps.empty:
        return "没有发现问题。"
    counts = gaps.groupby("kind", sort=False).size()
    lines = [f"共{len(gaps)}个问题" + ("（生成数据，仅供演示）" if generated else "") + "："]
    lines += [f"  {GAP_KIND[k].label}（{k}）：{n}" for k, n in counts.items()]
    rows = [
        [SEVERITY_LABEL[r.severity], GAP_KIND[r.kind].label, r.community or "", r.grid or "", r.message]
        for r in gaps.itertuples()
    ]
    return "\n".join([*lines, "", table(["严重", "类型", "社区", "网格", "说明"], rows)])


def alignment_text(result) -> str:
    rate = result.rate
    community = result.community_name or ""
    head = f"两网融合：{community}（{result.community}），已对应住户 {rate['numerator']:,}/{rate['denominator']:,}" + (
        f"（{rate['value']:.1%}）" if rate["value"] is not None else ""
    )
    pairs = [
        [
            grid_name(p["party"], p.get("party_name")),
            grid_name(p["governance"], p.get("governance_name")),
            f"{p['households']:,}",
            f"{p['iou']:.2f}",
        ]
        for p in result.pairs
    ]
    lines = [head, "", "【配对网格】", table(["党建网格", "治理网格", "户数", IOU_LABEL], pairs, right={2, 3})]
    if result.unmatched:
        lines += [
            "",
            "未配对网格："
            + "、".join(f"{grid_name(u['grid'], u.get('name'))}（{LAYER_LABEL[u['side']]}）" for u in result.unmatched),
        ]
    moves = [
        [
            m.get("building_name") or m["building_id"],
            m.get("from_name") or m["from_grid"] or "—",
            m.get("to_name") or m["to_grid"] or "—",
            f"{m['households']:,}",
            "、".join(DISTURB_LABEL[d["type"]] + "（" + _disturbed(d) + "）" for d in m["disturbs"]) or "",
        ]
        for m in result.moves
    ]
    if moves:
        lines += [
            "",
            f"【需调整的楼栋】{len(moves)}栋",
            table(["楼栋", "原党建网格", "应并入", "户数", "影响"], moves, right={3}),
        ]
    return "\n".join(lines)


def grid_name(code: str, name: str | None) -> str:
    """A grid as people name it, with its code (which they need to find it in the ledgers).

    >>> grid_name("320199001001001", "安康1格"), grid_name("320199001001002", None)
    ('安康1格（320199001001001）', '320199001001002')
    """
    return f"{name}（{code}）" if name else code


def _disturbed(d: dict) -> str:
    return d.get("name") or d.get("party_org_id") or d.get("staff_id") or ""
