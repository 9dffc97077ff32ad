"""Plans as users run them (CLI and API alike): create, validate, diff, apply, propose, history.

Every check and comparison is the pure analysis of :mod:`gridsvc.analysis.plans`; the database work
is :mod:`gridsvc.repository.plans`; applying happens in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from sqlalchemy import Connection, Engine, text

from gridsvc.analysis import plans as rules
from gridsvc.analysis.coverage import Coverage, compute_coverage
from gridsvc.analysis.plan_diff import plan_diff
from gridsvc.analysis.scene import STAFF_SIDE, Thresholds
from gridsvc.analysis.units import building_units
from gridsvc.errors import ImportRejected, InvalidInput, NotFound, PlanRejected
from gridsvc.ingest.encodings import text_decoding
from gridsvc.ingest.exchange import typed_layer
from gridsvc.ingest.geojson import frame_from_geojson
from gridsvc.ingest.schema import GRIDS
from gridsvc.labels import no_code, not_found
from gridsvc.repository import audit, read
from gridsvc.repository import plans as repo
from gridsvc.repository.scene import load_scene

LAYERS = ("party", "governance", "unified")
TIDY_GRID_DEG = 1e-7  # ~1 cm: the precision adopted grids are snapped to


# -- creating ------------------------------------------------------------------------------------
def communities_of(engine: Engine, codes: list[str]) -> list[str]:
    """The communities named by ``codes`` (community codes, or a street's code for all of its own)."""
    out: list[str] = []
    with engine.connect() as conn:
        for code in codes:
            if len(code) == 9 and code.isdigit():
                found = [a["code"] for a in read.areas(conn, "community", code).to_dict("records")]
                if not found:
                    raise NotFound(no_code(code, "street") + "（或该街道下没有社区）")
                out += found
            elif len(code) == 12 and code.isdigit():
                if not read.area_exists(conn, code):
                    raise NotFound(no_code(code, "community"))
                out.append(code)
            else:
                raise InvalidInput(f"{code!r} 既不是社区编码（12 位）也不是街道编码（9 位）")
    if not out:
        raise InvalidInput("方案至少要包含一个社区")
    return sorted(set(out))


def _check_layer(layer: str) -> str:
    if layer not in LAYERS:
        raise InvalidInput(f"图层应为 {', '.join(LAYERS)} 之一，收到 {layer!r}")
    return layer


def create_from_frame(
    engine: Engine,
    frame: gpd.GeoDataFrame,
    name: str,
    communities: list[str] | None = None,
    layer: str = "unified",
    datum: str | None = None,
    source: str = "upload",
) -> int:
    """A plan from grid polygons (any CRS the file declares; ``datum`` for GCJ-02/BD-09 input).

    Columns: ``code`` (optional: numbered when missing), ``community_code`` (optional when the plan
    has one community), ``name``, ``urban``. Problems are named by feature and column.
    """
    _check_layer(layer)
    if frame.empty:
        raise InvalidInput(f"{source}：没有网格，方案至少要有一个面要素")
    raw = frame.copy()
    if "name" not in raw.columns:
        raw["name"] = None  # a grid without a name is shown by its code
    if "community_code" not in raw.columns or raw["community_code"].isna().all():
        if not communities or len(communities) != 1:
            raise InvalidInput(f"{source}：没有 community_code 字段；请指定方案所属的一个社区")
        raw["community_code"] = communities[0]
    raw["community_code"] = raw["community_code"].astype(str)
    if "code" not in raw.columns:
        raw["code"] = None
    raw["layer"] = layer
    missing = raw["code"].isna()
    with engine.connect() as conn:
        taken = repo.used_codes(conn, sorted(set(raw["community_code"])))
    for community, rows in raw[missing].groupby("community_code"):
        keep = taken - _replaced_codes(engine, [community], layer) | set(raw["code"].dropna().astype(str))
        free = rules.free_codes(keep, community, len(rows))
        if len(free) < len(rows):
            raise InvalidInput(
                f"{source}：社区 {community} 有 {len(rows)} 个网格没有编码，而它的 999 个网格编码只剩 "
                f"{len(free)} 个可用；请为网格填写编码"
            )
        raw.loc[rows.index, "code"] = free
    raw["code"] = raw["code"].astype(str)
    typed, problems, _ = typed_layer(raw, GRIDS, datum)
    if problems:
        raise ImportRejected(source, problems)
    plan_communities = communities_of(engine, communities or sorted(set(typed["community_code"])))
    outside = sorted(set(typed["community_code"]) - set(plan_communities))
    if outside:
        raise InvalidInput(f"{source}：社区 {', '.join(outside)} 的网格不在方案范围内")
    grids = gpd.GeoDataFrame(typed, geometry="geometry", crs=4490)
    grids["urban"] = grids["urban"].fillna(True) if "urban" in grids else True
    with engine.begin() as conn:
        return repo.insert_plan(conn, name, plan_communities, layer, "upload", grids, note=source)


def create_from_file(
    engine: Engine,
    path: Path,
    name: str | None = None,
    communities: list[str] | None = None,
    layer: str = "unified",
    datum: str | None = None,
    shown_as: str | None = None,
) -> tuple[int, list[str]]:
    """A plan from a GeoJSON or GeoPackage of grid polygons (the first polygon layer), and notes on
    what was decided in reading it (a GeoJSON's text encoding, as imports decide it).

    ``shown_as`` is the file's name in messages (an upload's own name, never the server's temporary
    path). GeoJSON is read by Python, not GDAL, so a file's references (a ``crs`` URL) are refused
    rather than fetched; a GeoPackage is read with GDAL's network access off."""
    path = Path(path)
    shown = shown_as or str(path)
    if not path.exists():
        raise InvalidInput(f"{shown}：文件不存在")
    if not path.name.lower().endswith((".geojson", ".json", ".gpkg")):
        raise InvalidInput(f"{shown}：方案须为 .geojson 或 .gpkg 文件")
    notes: list[str] = []
    if path.suffix.lower() == ".gpkg":
        try:
            frame = pyogrio.read_dataframe(path)  # GDAL's network is off (gridsvc.ingest)
        except Exception:  # noqa: BLE001 - any reader failure is the file's problem, said plainly
            raise InvalidInput(f"{shown}：无法作为网格面的 GeoPackage 读取") from None
    else:
        raw = path.read_bytes()
        try:
            encoding, notes = text_decoding(raw, shown)
        except InvalidInput:
            raise InvalidInput(f"{shown}：不是 GeoJSON 文件（文字既不是 UTF-8 也不是 GB18030）") from None
        try:
            data = json.loads(raw.decode(encoding))
        except ValueError as exc:
            raise InvalidInput(f"{shown}：不是 GeoJSON 文件（JSON 无效：{exc}）") from None
        frame = frame_from_geojson(data, shown)
    return create_from_frame(engine, frame, name or path.stem, communities, layer, datum, source=shown), notes


def adopt_governance(engine: Engine, communities: list[str], name: str | None = None, layer: str = "unified") -> int:
    """A plan copying the governance-side grids (governance and unified) of ``communities``, tidied
    to tile each community (gaps to the neighbour with the longest shared border, overlaps to the
    first grid, nothing outside the community)."""
    _check_layer(layer)
    communities = communities_of(engine, communities)
    with engine.begin() as conn:
        live = repo.current_grids(conn, communities)
        grids = live[live["layer"].isin(STAFF_SIDE)].copy()
        if grids.empty:
            raise InvalidInput(f"社区 {', '.join(communities)} 没有可采用的治理网格")
        areas = read.areas(conn, "community").set_index("code")
        for community, rows in grids.groupby("community_code"):  # in the stored CRS: no round trip
            grids.loc[rows.index, "geometry"] = rules.tidy_layer(
                areas.geometry[community], list(rows.geometry), grid_size=TIDY_GRID_DEG
            )
        return repo.insert_plan(
            conn,
            name or "采用治理网格",
            communities,
            layer,
            "adopt_governance",
            grids[["code", "community_code", "name", "urban", "geometry"]],
        )


def _replaced_codes(engine: Engine, communities: list[str], layer: str) -> set[str]:
    with engine.connect() as conn:
        live = repo.current_grids(conn, communities)
    return set(live.loc[live["layer"].isin(rules.replaced_layers(layer)), "code"])


# -- reading -------------------------------------------------------------------------------------
def list_plans(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return repo.plans(conn)


def get_plan(conn: Connection, plan_id: int, lock: bool = False) -> dict:
    found = repo.plan(conn, plan_id, lock)
    if found is None:
        raise NotFound(not_found("plan", plan_id, scoped=False))
    return found


def show_plan(engine: Engine, plan_id: int) -> tuple[dict, gpd.GeoDataFrame]:
    with engine.connect() as conn:
        return get_plan(conn, plan_id), repo.plan_grids(conn, plan_id)


# -- checking and comparing ------------------------------------------------------------------------
@dataclasses.dataclass
class Review:
    """A plan looked at against the live data: its problems, the mapping, coverage before and after."""

    plan: dict
    problems: list[dict]
    remap: rules.Remap
    before: Coverage
    after: Coverage
    effective: dt.date

    @property
    def errors(self) -> list[dict]:
        return rules.blocking(self.problems)

    def diff(self) -> dict:
        return plan_diff(self.before, self.after, self.plan["communities"], self.remap, self.effective)


def review(conn: Connection, plan: dict, limits: Thresholds, effective: dt.date) -> Review:
    """Validate ``plan`` and model applying it on ``effective``, from what ``conn`` sees."""
    communities = list(plan["communities"])
    scene = load_scene(conn, common_area(communities), effective)
    grids = repo.plan_grids(conn, plan["id"])
    grids["source"] = "plan"
    before = compute_coverage(scene, limits)
    crs = scene.crs
    live = scene.grids[scene.grids["community_code"].isin(communities)]
    replaced = live[live["layer"].isin(rules.replaced_layers(plan["layer"]))]
    kept_codes = set(live["code"]) - set(replaced["code"])
    b = before.units.buildings
    mine = b["community"].isin(communities).to_numpy()
    buildings_m = gpd.GeoDataFrame(
        {
            "id": b["id"][mine].to_numpy(),
            "community": b["community"][mine].to_numpy(),
            "households": b["households"][mine].to_numpy(),
        },
        geometry=scene.buildings.geometry[mine].to_crs(crs).values,
        crs=crs,
    )
    buildings_m["rep_point"] = scene.metric_rep_points(mine)
    grids_m = grids.to_crs(crs)
    problems = rules.validate_plan(
        scene.communities[scene.communities["code"].isin(communities)].to_crs(crs),
        grids_m,
        buildings_m,
        party_groups(scene, set(buildings_m["id"])),
        limits,
        kept_codes,
    )
    placed = rules.plan_scene(scene, grids, plan["layer"], rules.Remap({}, {}), effective)
    after_units = building_units(placed, limits)
    remap = rules.grid_mapping(b, after_units, replaced.to_crs(crs), grids_m)
    after = compute_coverage(rules.plan_scene(scene, grids, plan["layer"], remap, effective), limits)
    return Review(plan, problems, remap, before, after, effective)


def party_groups(scene, buildings: set[str]) -> dict[str, list[str]]:
    """Party groups naming any of ``buildings``, with those of their buildings."""
    named = {g: [b for b in members if b in buildings] for g, members in scene.group_buildings().items()}
    return {g: members for g, members in named.items() if members}


def common_area(communities: list[str]) -> str:
    for length in (12, 9, 6):
        prefixes = {c[:length] for c in communities}
        if len(prefixes) == 1:
            return prefixes.pop()
    raise InvalidInput("方案的社区应在同一个区内")


def validate(engine: Engine, plan_id: int, limits: Thresholds, effective: dt.date | None = None) -> Review:
    with engine.connect() as conn:
        return review(conn, get_plan(conn, plan_id), limits, effective or dt.date.today())


# -- applying ------------------------------------------------------------------------------------
def apply(engine: Engine, plan_id: int, limits: Thresholds, effective: dt.date | None = None) -> dict:
    """Make the plan the live layer from ``effective`` (default today), all or nothing.

    Refused when the plan has errors, is already applied, or ``effective`` is before a replaced
    grid's start. The outcome (what moved, what is left for a person to decide) is kept with the plan.
    """
    effective = effective or dt.date.today()
    with engine.begin() as conn:
        plan = get_plan(conn, plan_id, lock=True)
        if plan["status"] != "draft":
            raise InvalidInput(f"方案 {plan_id} 已于 {plan['effective']} 应用")
        checked = review(conn, plan, limits, effective)
        if checked.errors:
            raise PlanRejected(plan_id, checked.errors)
        _check_dates(conn, plan, effective)
        diff = checked.diff()
        moved = {old: new for old, new in checked.remap.target.items() if new is not None and new != old}
        communities = list(plan["communities"])
        closed = repo.close_grids(conn, communities, rules.replaced_layers(plan["layer"]), effective)
        opened = repo.open_plan_grids(conn, plan_id, plan["layer"], effective, "import")
        scopes = repo.move_grid_scopes(conn, moved)
        assignments = repo.move_grid_assignments(conn, moved, effective)
        outcome = {
            "effective": effective.isoformat(),
            "grids_closed": len(closed),
            "grids_opened": opened,
            "scopes_moved": scopes,
            "assignments_moved": assignments,
            "moved": moved,
            "undecided": diff["undecided"],
            "diff": diff,
        }
        repo.mark_applied(conn, plan_id, effective, outcome)
        audit.record(
            conn,
            "plan.apply",
            "plan",
            plan_id,
            {"status": "draft", "live_grids": closed},
            {k: v for k, v in outcome.items() if k != "diff"} | {"status": "applied"},
        )
    return outcome


def settle(engine: Engine, plan_id: int, grid: str, to: str) -> dict:
    """Where grid ``grid``, closed by applied plan ``plan_id`` without a clear successor (待人工确定),
    went: live grid ``to`` of the plan's layer in its communities. Its Party scopes and running staff
    assignments move there from the plan's effective date, as applying moves a clear successor's
    (the assignments until then stay as history); audited ``plan.settle``. What moved, and the
    grids still undecided."""
    with engine.begin() as conn:
        plan = get_plan(conn, plan_id, lock=True)
        if plan["status"] != "applied":
            raise InvalidInput(f"方案 {plan_id} 尚未应用：应用后才有待人工确定的原网格")
        outcome = plan["outcome"]
        waiting = [item["grid"] for item in outcome["undecided"]]
        if grid not in waiting:
            raise InvalidInput(f"{grid!r} 不是方案 {plan_id} 待人工确定的原网格（待定：{'、'.join(waiting) or '无'}）")
        live = repo.current_grids(conn, list(plan["communities"]))
        choices = sorted(live.loc[live["layer"] == plan["layer"], "code"])
        if to not in choices:
            raise InvalidInput(f"{to!r} 不是方案所涉社区的现有网格（可选：{'、'.join(choices)}）")
        effective = dt.date.fromisoformat(outcome["effective"])
        settled = {
            "grid": grid,
            "to": to,
            "scopes_moved": repo.move_grid_scopes(conn, {grid: to}),
            "assignments_moved": repo.move_grid_assignments(conn, {grid: to}, effective),
        }
        outcome["undecided"] = [item for item in outcome["undecided"] if item["grid"] != grid]
        outcome["moved"][grid] = to
        outcome["settled"] = [*outcome.get("settled", []), settled]
        repo.set_outcome(conn, plan_id, outcome)
        audit.record(conn, "plan.settle", "plan", plan_id, {"undecided": grid}, settled)
    return settled | {"undecided": outcome["undecided"]}


def _check_dates(conn: Connection, plan: dict, effective: dt.date) -> None:
    live = repo.current_grids(conn, list(plan["communities"]))
    live = live[live["layer"].isin(rules.replaced_layers(plan["layer"]))]
    late = live[pd.to_datetime(live["valid_from"]) > pd.Timestamp(effective)]
    if len(late):
        raise InvalidInput(
            f"生效日期 {effective} 早于网格 {late['code'].iloc[0]} 的启用日期（{late['valid_from'].iloc[0]}）"
        )


def grids_of_building(engine: Engine, building_id: str, on: dt.date | None = None) -> list[dict]:
    """Which grid (per layer) building ``building_id`` was in on ``on`` — or its whole history."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT count(*) FROM buildings WHERE id = :id"), {"id": building_id}) == 0:
            raise NotFound(not_found("building", building_id, scoped=False))
        return repo.grids_of_building(conn, building_id, on)
