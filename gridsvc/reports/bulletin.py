"""What makes a report a 通报 rather than a data annex: a summary written from the figures, a ranking
by a composite score with its weights shown, a named owner, a deadline (整改时限) and a status for
every gap, and the trend of the headline rates over every stored snapshot.

Everything is read off the report, its Coverage and the stored snapshots; nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridsvc.analysis.coverage import Coverage
from gridsvc.analysis.gaps import object_names
from gridsvc.analysis.metrics import METRICS
from gridsvc.errors import InvalidInput
from gridsvc.reports import content as rc

# Days to fix a gap, by severity; GRIDSVC_DEADLINE_DAYS overrides by kind or severity ({"no_grid_leader": 15}).
DEFAULT_DAYS = {"high": 30, "medium": 60, "low": 90}
# Whose a gap is: the Party side's to the grid branch (or the community Party committee), the staff
# side's to the grid leader (or the community), the rest (boundaries, codes) to the community.
PARTY_SIDE = {
    "no_grid_branch",
    "multiple_grid_branches",
    "building_group_missing",
    "org_should_build",
    "org_no_work_coverage",
}
STAFF_SIDE = {
    "no_grid_leader",
    "multiple_grid_leaders",
    "no_grid_worker",
    "no_fulltime_worker",
    "worker_overloaded",
    "no_building_leader",
}
# The composite score of an area (0–100): its headline rates, weighted; the weights are printed.
WEIGHTS = {
    "grid_branch_coverage": 15,
    "building_group_coverage": 10,
    "member_coverage": 10,
    "org_coverage": 10,
    "org_work_coverage": 10,
    "grid_leader_coverage": 15,
    "grid_worker_coverage": 10,
    "building_leader_coverage": 10,
    "alignment_rate": 10,
}
TREND_KEYS = tuple(k for k in rc.CHILD_KEYS if k in WEIGHTS)


@dataclass
class Bulletin:
    summary: list[str]  # paragraphs, written from the figures
    ranking: pd.DataFrame  # rank, code, name, score, weakest (what cost it most)
    trend: pd.DataFrame  # date, label (快照#n / 本期), key, value: the headline rates over time
    fixed: int | None = None  # gaps of the last snapshot (of this very area) fixed since
    new: int | None = None
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)  # analysis.targets.assess, in the area


def check_weights(weights: dict) -> dict:
    """The assessment's weights (GRIDSVC_ASSESSMENT_WEIGHTS), checked: rate metrics, none negative,
    some above zero; empty: the defaults.

    >>> check_weights({"grid_leader_coverage": 3, "alignment_rate": 1})
    {'grid_leader_coverage': 3.0, 'alignment_rate': 1.0}
    >>> check_weights({"households_per_fulltime_worker": 1})
    Traceback (most recent call last):
    ...
    gridsvc.errors.InvalidInput: GRIDSVC_ASSESSMENT_WEIGHTS：'households_per_fulltime_worker' 不是比率指标；权重只能给比率：...
    """
    if not weights:
        return dict(WEIGHTS)
    rates = [m.key for m in METRICS if m.kind == "rate"]
    for key, weight in weights.items():
        if key not in rates:
            raise InvalidInput(f"GRIDSVC_ASSESSMENT_WEIGHTS：{key!r} 不是比率指标；权重只能给比率：{', '.join(rates)}")
        if not 0 <= float(weight) < float("inf"):
            raise InvalidInput(f"GRIDSVC_ASSESSMENT_WEIGHTS：{key} 的权重应是 ≥ 0 的数，而不是 {weight!r}")
    if not sum(float(w) for w in weights.values()) > 0:
        raise InvalidInput("GRIDSVC_ASSESSMENT_WEIGHTS：至少一项权重要大于 0")
    return {k: float(w) for k, w in weights.items()}


def weights_text(weights: dict) -> str:
    """The weights as printed under a ranking, in percent of their sum.

    >>> weights_text({"grid_leader_coverage": 3, "alignment_rate": 1})
    '网格长配备率75%，两网融合率（按户）25%'
    """
    total = sum(weights.values())
    return "，".join(f"{rc.label(k)}{100 * w / total:.3g}%" for k, w in weights.items())


def complete(
    report: rc.Report, cov: Coverage, history: list[dict], deadlines: dict[str, int], weights: dict | None = None
) -> None:
    """Give ``report`` its owners, deadlines and statuses, and its bulletin (summary, ranking by the
    assessment ``weights`` (default ``WEIGHTS``), trend, targets)."""
    seen = first_seen(history)
    report.actions = owned(report.actions, cov, report.as_of, seen, deadlines)
    fixed = new = None
    same_area = [h for h in history if h.get("gaps") is not None and (h["area"] or None) == report.area["code"]]
    if same_area:
        last = {tuple(k) for k in same_area[-1]["gaps"]}
        now = set(zip(report.actions["kind_code"], report.actions["object_id"].astype(str), strict=True))
        fixed, new = len(last - now), len(now - last)
    weights = check_weights(weights or {})
    ranking = ranked(report, weights)
    report.bulletin = Bulletin(summary(report, ranking, fixed, new), ranking, trend(report, history), fixed, new)
    report.bulletin.weights = weights
    targets = cov.targets()
    report.bulletin.targets = targets[targets["area"].str.startswith(report.area["code"] or "")]


def first_seen(history: list[dict]) -> dict[tuple[str, str], dt.date]:
    """(kind, object id) -> the statistics date of the oldest snapshot that had the gap open."""
    seen: dict[tuple[str, str], dt.date] = {}
    for h in history:
        for kind, oid in h.get("gaps") or []:
            seen.setdefault((kind, str(oid)), h["as_of"])
    return seen


def owned(actions: pd.DataFrame, cov: Coverage, as_of: dt.date, seen: dict, deadlines: dict) -> pd.DataFrame:
    """``actions`` with a named ``owner``, ``since`` (first seen), ``deadline`` and ``status`` per gap."""
    out = actions.copy()
    branches = _branches(cov)
    owners, since, due, status = [], [], [], []
    for r in out.itertuples():
        committee = f"{r.community}党委书记" if r.community else "街道党工委"
        if r.kind_code in PARTY_SIDE:
            owners.append(f"{branches[r.grid]}书记" if r.grid in branches else committee)
        elif r.kind_code in STAFF_SIDE and r.grid_leader:
            owners.append(f"网格长 {r.grid_leader}")
        else:
            owners.append(committee)
        start = seen.get((r.kind_code, str(r.object_id)), as_of)
        days = deadlines.get(r.kind_code) or deadlines.get(r.severity_code) or DEFAULT_DAYS[r.severity_code]
        deadline = start + dt.timedelta(days=int(days))
        since.append(start)
        due.append(deadline)
        if start == as_of:
            status.append("新发现")
        else:
            status.append(f"逾期未改（{start:%Y-%m-%d}起）" if deadline < as_of else f"整改中（{start:%Y-%m-%d}起）")
    out["responsible"], out["since"], out["deadline"], out["status"] = owners, since, due, status
    out["object_name"] = object_names(out["object_type"], out["object_id"], cov.scene)
    return out


def _branches(cov: Coverage) -> dict[str, str]:
    """Grid code -> the name of the branch (支部) whose scope it is."""
    scene = cov.scene
    scopes = scene.scopes.join(scene.party_orgs.set_index("id")[["name", "kind"]], on="party_org_id")
    branch = scopes[(scopes["target_type"] == "grid") & scopes["kind"].isin(["branch", "joint_branch"])]
    return dict(zip(branch["target_id"], branch["name"], strict=False))


def score(metrics: dict, weights: dict | None = None) -> tuple[float | None, list[tuple[str, float]]]:
    """The composite score (0–100) of one area's metrics, and what cost it points, most first.

    >>> score({"grid_leader_coverage": {"value": 0.8}, "alignment_rate": {"value": 1.0}})
    (88.0, [('grid_leader_coverage', 0.8), ('alignment_rate', 1.0)])
    """
    parts = [(k, w, (metrics.get(k) or {}).get("value")) for k, w in (weights or WEIGHTS).items()]
    parts = [(k, w, v) for k, w, v in parts if v is not None]
    if not parts:
        return None, []
    total = sum(w for _, w, _ in parts)
    value = 100 * sum(w * v for _, w, v in parts) / total
    lost = sorted(parts, key=lambda p: -p[1] * (1 - p[2]))
    return round(value, 1), [(k, v) for k, _, v in lost]


def ranked(report: rc.Report, weights: dict | None = None) -> pd.DataFrame:
    """The areas one level below, by composite score (``weights``, default ``WEIGHTS``), lowest first."""
    columns = ["rank", "code", "name", "score", "weakest"]
    if not report.levels or not report.levels[0].rows:
        return pd.DataFrame(columns=columns)
    rows = []
    for r in report.levels[0].rows:
        value, lost = score(r["metrics"], weights)
        weakest = "、".join(f"{rc.label(k)}{v:.0%}" for k, v in lost[:2] if v < 1) or "各项均满分"
        rows.append({"code": r["code"], "name": r["name"], "score": value, "weakest": weakest})
    out = pd.DataFrame(rows).sort_values(["score", "code"], na_position="last").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[columns]


def trend(report: rc.Report, history: list[dict]) -> pd.DataFrame:
    """The headline rates of the report's area in every snapshot that holds it, then today's."""
    code = report.area["code"] or ""
    rows = []
    for h in history:
        metrics = rc.flatten(h["tree"]).get(code)
        if metrics:
            rows += [(h["as_of"], f"快照#{h['id']}", k, (metrics.get(k) or {}).get("value")) for k in TREND_KEYS]
    rows += [(report.as_of, "本期", k, (report.headline.get(k) or {}).get("value")) for k in TREND_KEYS]
    return pd.DataFrame(rows, columns=["date", "label", "key", "value"])


def summary(report: rc.Report, ranking: pd.DataFrame, fixed: int | None, new: int | None) -> list[str]:
    """The report's opening paragraphs, written from its figures: where things stand, what changed
    since the last snapshot, the three weakest areas and why, and what is overdue."""
    area = report.area["name"]
    h = report.headline
    families = []
    for fam, fam_label in rc.FAMILY_LABEL.items():
        parts = [f"{rc.label(k)}{_rate(h[k])}" for k in h if rc.family(k) == fam and rc.is_rate(k)]
        if parts:
            families.append(f"{fam_label}方面，" + "，".join(parts))
    paragraphs = [f"截至{report.as_of:%Y年%m月%d日}，{area}：" + "；".join(families) + "。"]
    paragraphs.append(_changes(report, fixed, new))
    if len(ranking):
        child = rc.LEVEL_LABEL[report.levels[0].level]
        worst = [
            f"{r.name}（{r.score:.1f}分，主要失分在{r.weakest}）"
            for r in ranking.head(3).itertuples()
            if r.score is not None and not pd.isna(r.score)
        ]
        if worst:
            paragraphs.append(f"按综合得分，最弱的{len(worst)}个{child}是：" + "；".join(worst) + "。")
    overdue = int(report.actions["status"].str.startswith("逾期").sum()) if len(report.actions) else 0
    if overdue:
        paragraphs.append(f"已有{overdue}个问题超过整改时限仍未整改，请各责任人抓紧落实。")
    return paragraphs


def _changes(report: rc.Report, fixed: int | None, new: int | None) -> str:
    a = report.actions
    high = int((a["severity_code"] == "high").sum()) if len(a) else 0
    counts = f"本期共有问题{len(a)}个，其中高严重度{high}个"
    if fixed is not None:
        counts += f"；与上次快照相比，新发现{new}个，已整改{fixed}个"
    if report.previous is None:
        return counts + "。尚无快照可比，以后的通报将与本期比较。"
    before = rc.previous_values(report, report.area["code"] or "") or {}
    moved = []
    for key, now in report.headline.items():
        was = before.get(key)
        if rc.is_rate(key) and was is not None and now["value"] is not None and abs(now["value"] - was) >= 0.001:
            moved.append(
                f"{rc.label(key)}{'上升' if now['value'] > was else '下降'}{abs(now['value'] - was) * 100:.1f}个百分点"
            )
    taken = report.previous["taken_at"]
    changed = "，".join(moved) if moved else "主要指标与之持平"
    return f"与{taken:%Y年%m月%d日}的快照相比，{changed}。{counts}。"


def _rate(m: dict) -> str:
    return "—" if m["value"] is None else f"{m['value']:.1%}"
