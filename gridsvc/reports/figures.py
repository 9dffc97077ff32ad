"""Pictures in a report, as PNG bytes: coverage by community, households per worker, the gap map.

Drawn with matplotlib (Agg, no display) in the report's Chinese font; the HTML embeds the same
PNGs the PDF does.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # TTC weights: harmless, noisy

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from gridsvc.analysis.gaps import SEVERITY_LABEL  # noqa: E402
from gridsvc.analysis.metrics import METRIC_BY_KEY, SHORT_LABELS  # noqa: E402
from gridsvc.rendering.common import style  # noqa: E402
from gridsvc.reports.content import CHILD_KEYS, Report  # noqa: E402

# the rates of the coverage chart, in the order organization → work → alignment
CHART_KEYS = tuple(k for k in CHILD_KEYS if METRIC_BY_KEY.get(k) and METRIC_BY_KEY[k].kind == "rate")
MAX_CHART_ROWS = 40
# one palette and one wording for severities, the maps' (rendering/styles.json; analysis.gaps)
SEVERITY_COLOR = {level: spec["color"] for level, spec in style()["severity"].items()}
RATE_COLORS = LinearSegmentedColormap.from_list("rate", ["#d7301f", "#fee08b", "#1a9850"])
DPI = 130


def use_font(path: Path) -> None:
    """Draw every later figure in the font at ``path``."""
    plt.rcParams["font.family"] = [_registered(str(path))]
    plt.rcParams["axes.unicode_minus"] = False


@functools.cache
def _registered(path: str) -> str:
    """Add the font at ``path`` to matplotlib once per process (each add grows its font list)."""
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _mean_rate(row: dict) -> float:
    values = [row["metrics"][k]["value"] for k in CHART_KEYS if row["metrics"].get(k, {}).get("value") is not None]
    return sum(values) / len(values) if values else 1.0


def coverage_rows(report: Report) -> tuple[list[dict], bool]:
    """The communities the coverage chart shows (all, or the worst MAX_CHART_ROWS) and whether cut."""
    table = report.level("community")
    rows = list(table.rows) if table else []
    rows.sort(key=lambda r: (_mean_rate(r), r["code"]))
    return rows[:MAX_CHART_ROWS], len(rows) > MAX_CHART_ROWS


def coverage_chart(report: Report) -> bytes | None:
    """A table of colours: communities × rates, each cell red (low) to green (high) with its percentage."""
    rows, cut = coverage_rows(report)
    if not rows:
        return None
    values = np.array([[(r["metrics"].get(k) or {}).get("value") for k in CHART_KEYS] for r in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.32 * len(rows)))
    ax.imshow(np.ma.masked_invalid(values), cmap=RATE_COLORS, vmin=0, vmax=1, aspect="auto")
    ax.set_facecolor("#e0e0e0")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "—" if np.isnan(v) else f"{v:.0%}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(CHART_KEYS)), [SHORT_LABELS[k] for k in CHART_KEYS], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows], fontsize=9)
    ax.tick_params(length=0)
    title = (
        f"各社区覆盖率（最差的{MAX_CHART_ROWS}个社区，按平均覆盖率升序）" if cut else "各社区覆盖率（按平均覆盖率升序）"
    )
    ax.set_title(title, fontsize=11, pad=28)
    return _png(fig)


def workload_chart(report: Report) -> bytes | None:
    """Grids by households per full-time worker; bars over the limit in red."""
    load = report.staff_load
    per = load["per_worker"].dropna().to_numpy(dtype=float)
    if len(load) == 0:
        return None
    limit = report.thresholds.households_per_fulltime_worker
    top = max(limit * 1.6, float(per.max()) if len(per) else 0) + 50
    bins = np.arange(0, top + 50, 50)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    counts, edges, patches = ax.hist(per, bins=bins, color="#4575b4", edgecolor="white")
    for patch, left in zip(patches, edges[:-1], strict=True):
        if left >= limit:
            patch.set_facecolor("#d7301f")
    ax.axvline(limit, color="#d7301f", linestyle="--", linewidth=1)
    over = int((per > limit).sum())
    none = int(load["per_worker"].isna().sum())
    ax.text(
        limit, ax.get_ylim()[1] * 0.95, f" 标准 {limit} 户：{over} 个网格超标", color="#d7301f", va="top", fontsize=9
    )
    ax.set_xlabel("每名专职网格员服务户数")
    ax.set_ylabel("网格数")
    note = f"（另有 {none} 个网格没有专职网格员）" if none else ""
    ax.set_title(f"专职网格员负荷：{len(per)} 个网格{note}", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def gap_map(report: Report) -> bytes | None:
    """The area's communities and grids with its gaps: grids and gap areas shaded by the most
    severe gap in them, buildings and organizations with a gap as dots."""
    layers = report.map_layers
    crs = layers["crs"]
    communities = layers["communities"].to_crs(crs)
    if communities.empty:
        return None
    grids = layers["grids"].to_crs(crs)
    gaps = layers["gaps"].to_crs(crs)
    if len(grids) > MAX_MAP_GRIDS:
        return _community_gap_map(report, communities, gaps)
    fig, ax = plt.subplots(figsize=(9, 8))
    grids.boundary.plot(ax=ax, color="#9e9e9e", linewidth=0.3)
    polygonal = gaps[gaps.geom_type.isin(["Polygon", "MultiPolygon"])]
    dots = gaps[~gaps.index.isin(polygonal.index) | (gaps["kind"].isin(DOT_KINDS))]
    shaded = polygonal[~polygonal["kind"].isin(DOT_KINDS)]
    for severity in reversed(SEVERITY_COLOR):  # the most severe drawn last, on top
        mine = shaded[shaded["severity"] == severity]
        if len(mine):
            mine.plot(ax=ax, color=SEVERITY_COLOR[severity], alpha=0.45, linewidth=0)
    points = shapely.point_on_surface(dots.geometry.values.to_numpy())
    for severity in reversed(SEVERITY_COLOR):
        mask = (dots["severity"] == severity).to_numpy()
        if mask.any():
            ax.scatter(
                shapely.get_x(points[mask]),
                shapely.get_y(points[mask]),
                s=6,
                color=SEVERITY_COLOR[severity],
                edgecolors="#4d4d4d",
                linewidths=0.2,
                zorder=3,
            )
    communities.boundary.plot(ax=ax, color="#252525", linewidth=0.9)
    if report.area["level"] == "community":
        _grid_names(ax, grids, report.area["name"])
    elif len(communities) <= 60:
        for name, point in zip(communities["name"], communities.geometry.representative_point(), strict=True):
            ax.annotate(
                name,
                (point.x, point.y),
                ha="center",
                fontsize=7,
                color="#252525",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )
    handles = [Patch(color=c, alpha=0.7, label=f"{SEVERITY_LABEL[s]}严重度问题") for s, c in SEVERITY_COLOR.items()]
    handles.append(Patch(facecolor="none", edgecolor="#252525", label="社区边界"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0), ncol=4, fontsize=8, frameon=False)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(f"{report.area['name']}问题分布（网格、空白区按最严重的问题着色，圆点为楼栋和组织）", fontsize=11)
    _scale_bar(ax)
    return _png(fig)


def _grid_names(ax, grids, community: str) -> None:
    """A community's map names its grids (without the community's name they all begin with), the
    governance side's above their centre and the Party side's below, so that the layers do not collide."""
    for name, layer, point in zip(grids["name"], grids["layer"], grids.geometry.representative_point(), strict=True):
        if not isinstance(name, str) or not name:
            continue
        short = name.removeprefix(community) or name
        ax.annotate(
            short,
            (point.x, point.y),
            xytext=(0, 8 if layer == "governance" else -8),
            textcoords="offset points",
            ha="center",
            va="bottom" if layer == "governance" else "top",
            fontsize=7,
            color=style()["layers"][layer]["stroke"],
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.75},
        )


def trend_chart(report: Report) -> bytes | None:
    """Each headline rate of the report's area over every stored snapshot and today."""
    t = getattr(report.bulletin, "trend", None)
    if t is None or t["label"].nunique() < 2:
        return None
    points = t.drop_duplicates(["label", "key"]).copy()
    order = list(dict.fromkeys(points.sort_values("date", kind="stable")["label"]))
    fig, ax = plt.subplots(figsize=(9, 4))
    for key, line in points.groupby("key", sort=False):
        line = line.set_index("label").reindex(order)
        ax.plot(
            range(len(order)), line["value"].astype(float) * 100, marker="o", linewidth=1.4, label=SHORT_LABELS[key]
        )
    dates = points.drop_duplicates("label").set_index("label")["date"]
    ax.set_xticks(range(len(order)), [f"{dates[lbl]:%Y-%m-%d}\n{lbl}" for lbl in order], fontsize=8)
    ax.set_ylabel("%")
    ax.set_ylim(top=101)
    ax.legend(fontsize=8, ncol=3, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"{report.area['name']}主要覆盖率的变化（各次快照与本期）", fontsize=11)
    return _png(fig)


MAX_MAP_GRIDS = 1500  # beyond this, grids and dots blur into one colour: shade communities instead


def _community_gap_map(report: Report, communities, gaps) -> bytes:
    """A large area: each community shaded by its number of high-severity gaps."""
    high = gaps[gaps["severity"] == "high"]
    counts = report.actions.loc[report.actions["severity_code"] == "high", "community_code"].value_counts()
    shaded = communities.assign(high=communities["code"].map(counts).fillna(0).to_numpy())
    fig, ax = plt.subplots(figsize=(9, 8))
    shaded.plot(
        ax=ax,
        column="high",
        cmap="Reds",
        linewidth=0.2,
        edgecolor="#757575",
        legend=True,
        legend_kwds={"label": "高严重度问题数（个）", "shrink": 0.6},
    )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(f"{report.area['name']}问题分布：各社区高严重度问题数（共{len(high):,}个）", fontsize=11)
    _scale_bar(ax)
    return _png(fig)


DOT_KINDS = (
    "building_no_grid",
    "split_building",
    "building_group_missing",
    "no_building_leader",
    "org_should_build",
    "org_no_work_coverage",
)


def _scale_bar(ax) -> None:
    """A scale bar of a round length under the map's lower right corner (axes are metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    length = next(v for v in (10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50) if v <= target or v == 50)
    x = x1 - length
    y = y0 - (y1 - y0) * 0.04  # below the map, beside the legend
    ax.plot([x, x + length], [y, y], color="black", linewidth=2, clip_on=False)
    ax.text(
        x + length / 2,
        y + (y1 - y0) * 0.01,
        f"{length / 1000:g} 千米" if length >= 1000 else f"{length} 米",
        ha="center",
        va="bottom",
        fontsize=8,
        clip_on=False,
    )


__all__ = ["coverage_chart", "workload_chart", "gap_map", "trend_chart", "use_font"]
