"""The demo district: a deterministic generated overlay on generated or real (OSM) footprints.

Everything here is made up — communities, grids, Party organizations, organizations, staff,
households and Party members — and every row says so (``source = 'generated'``); real OSM
footprints keep their ``osm_id`` and attribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gridsvc.analysis.assignment import assign_to_polygons, representative_points
from gridsvc.analysis.crs import metric_epsg
from gridsvc.analysis.scene import LAYER_WORD
from gridsvc.dataset import Dataset
from gridsvc.demo import cobuilding as demo_cobuilding
from gridsvc.demo import facilities as demo_facilities
from gridsvc.demo import layout, organize
from gridsvc.demo import registration as demo_registration
from gridsvc.demo import targets as demo_targets
from gridsvc.demo.overlay import (
    Plants,
    building_attributes,
    community_of,
    grid_layers,
    number_grids,
)
from gridsvc.demo.people import COMMUNITY_NAMES, STREET_NAMES

SYNTHETIC_ORIGIN = (117.250, 31.850)  # lon/lat of the generated district's south-west corner
SYNTHETIC_DISTRICT = ("320199", "演示区（生成数据）")
OSM_DISTRICT = ("320198", "新街口演示区（生成数据，楼栋轮廓来自OSM）")
LAYER_WORDS = LAYER_WORD | {"unified": ""}  # a unified grid is just 网格 in its name


@dataclass
class Demo:
    dataset: Dataset
    plants: Plants
    district_code: str


def build_demo(seed: int = 20240501, osm: Path | None = None) -> Demo:
    """The demo district as a :class:`Dataset`, and where its gaps were planted."""
    rng = np.random.default_rng(seed)
    if osm is None:
        buildings, roads, kinds, crs, bounds = _synthetic(rng)
        district = SYNTHETIC_DISTRICT
    else:
        buildings, roads, kinds, crs, bounds = _from_osm(Path(osm))
        district = OSM_DISTRICT
    return _overlay(buildings, roads, kinds, crs, bounds, district, rng)


def _synthetic(rng):
    shape = layout.DistrictShape()
    epsg = metric_epsg(*SYNTHETIC_ORIGIN)
    ox, oy = Transformer.from_crs(4326, epsg, always_xy=True).transform(*SYNTHETIC_ORIGIN)
    shift = lambda g: shapely.affinity.translate(g, ox, oy)  # noqa: E731
    footprints = layout.building_footprints(shape, rng)
    polys = [shift(p) for p, _ in footprints]
    kinds = pd.Series([k for _, k in footprints])
    order = np.lexsort(
        (
            shapely.get_coordinates(shapely.centroid(polys))[:, 0],
            -np.round(shapely.get_coordinates(shapely.centroid(polys))[:, 1] / 40),
        )
    )
    polys = [polys[i] for i in order]
    kinds = kinds.iloc[order].reset_index(drop=True)
    buildings = gpd.GeoDataFrame({"id": [f"demo-b{n + 1:05d}" for n in range(len(polys))]}, geometry=polys, crs=epsg)
    roads = gpd.GeoDataFrame(
        [
            {"id": f"demo-road-{n + 1:03d}", "kind": k, "name": name}
            for n, (k, name, _) in enumerate(layout.road_lines(shape))
        ],
        geometry=[shift(line) for _, _, line in layout.road_lines(shape)],
        crs=epsg,
    )
    bounds = (ox, oy, ox + shape.width, oy + shape.height)
    return buildings, roads, kinds, epsg, bounds


def _from_osm(path: Path):
    from gridsvc.ingest.osm import read_osm

    source = read_osm(path)
    raw = source.layers["buildings"]
    epsg = metric_epsg(*shapely.get_coordinates(shapely.centroid(shapely.union_all(raw.geometry.values.envelope)))[0])
    buildings = raw[["id", "use", "name", "address", "floors", "osm_id", "building_type", "geometry"]].to_crs(epsg)
    buildings = buildings.reset_index(drop=True)
    area = buildings.geometry.area
    kinds = pd.Series(np.where(area > 1500, "large", np.where(buildings["floors"].fillna(0) >= 10, "tower", "slab")))
    roads = source.layers.get("roads")
    roads = roads.to_crs(epsg).assign(source="osm") if roads is not None else None
    x0, y0, x1, y1 = buildings.total_bounds
    return buildings, roads, kinds, epsg, (x0 - 30, y0 - 30, x1 + 30, y1 + 30)


def _overlay(buildings, roads, kinds, crs, bounds, district, rng) -> Demo:
    plants = Plants()
    b = building_attributes(buildings, kinds, rng)
    xy = shapely.get_coordinates(representative_points(b.geometry.values))
    b["x"], b["y"] = xy[:, 0], xy[:, 1]
    communities, rects = _communities(bounds, district, None if district == SYNTHETIC_DISTRICT else b)
    b["community"] = communities["code"].to_numpy()[community_of(representative_points(b.geometry.values), rects)]
    b["name"] = _building_names(b, communities)
    grid_rows = []
    for i, c in communities.iterrows():
        mine = b[b["community"] == c["code"]]
        drawn = grid_layers(rects[i], i, c["code"], mine, plants)
        for code, layer_name, poly in number_grids(c["code"], drawn):
            grid_rows.append(
                {
                    "code": code,
                    "layer": layer_name,
                    "community_code": c["code"],
                    "name": f"{c['name']}{LAYER_WORDS[layer_name]}网格{code[-3:]}",
                    "urban": True,
                    "geometry": poly,
                }
            )
    grids = gpd.GeoDataFrame(grid_rows, geometry="geometry", crs=crs)
    points = representative_points(b.geometry.values)
    for column, layers in (("party_grid", ["party", "unified"]), ("staff_grid", ["governance", "unified"])):
        side = grids[grids["layer"].isin(layers)]
        where = assign_to_polygons(points, side.geometry.values)
        b[column] = np.where(where >= 0, side["code"].to_numpy()[np.maximum(where, 0)], None)
    rows = organize.Rows()
    organize.party_structure(rows, communities, grids, b, plants, rng)
    orgs = organize.organizations(rows, communities, b, plants, rng)
    organize.committees(rows, plants)
    organize.misplaced_parent(rows, communities, plants)
    organize.oversized_and_short(rows, plants)
    organize.staff(rows, communities, grids, b, plants, rng)
    dataset = _assemble(communities, rects, grids, b, orgs, rows, roads, crs)
    places = demo_facilities.place(communities, rects, grids, b, plants, rng)
    if places is not None:
        dataset.layers["facilities"] = places.set_geometry(places.geometry).to_crs(4490)
    dataset.layers["targets"] = demo_targets.targets(communities, plants)
    dataset.layers["unit_registrations"] = demo_registration.registrations(orgs, rows, communities, plants)
    dataset.layers["buildings"] = demo_registration.in_service(dataset.layers["buildings"])
    dataset.layers |= demo_cobuilding.cobuilding(orgs, communities, b, plants)
    return Demo(dataset, plants, district[0])


def _building_names(b: gpd.GeoDataFrame, communities: pd.DataFrame) -> pd.Series:
    """Real names where the footprints have them; else '春晖社区12号楼', numbered per community."""
    names = dict(zip(communities["code"], communities["name"], strict=True))
    number = b.groupby("community").cumcount() + 1
    made = [f"{names.get(c, '')}{n}号楼" for c, n in zip(b["community"], number, strict=True)]
    existing = b["name"] if "name" in b else pd.Series(None, index=b.index)
    return existing.where(existing.notna(), pd.Series(made, index=b.index))


def _communities(bounds, district, buildings=None) -> tuple[pd.DataFrame, list]:
    """3 streets × 4 communities: regular blocks, or household-balanced cuts over real footprints."""
    if buildings is None:
        per_street = layout.community_rects(bounds, 3, 2, 2)
    else:
        per_street = _balanced_communities(bounds, buildings)
    records, rects = [], []
    for s, street_rects in enumerate(per_street):
        street = f"{district[0]}{s + 1:03d}"
        for n, rect in enumerate(street_rects):
            i = len(records)
            records.append(
                {
                    "code": f"{street}{n + 1:03d}",
                    "name": f"{COMMUNITY_NAMES[i]}社区",
                    "street_code": street,
                    "street_name": f"{STREET_NAMES[s]}",
                    "district_code": district[0],
                    "district_name": district[1],
                }
            )
            rects.append(rect)
    return pd.DataFrame(records), rects


def _balanced_communities(bounds, b) -> list[list]:
    points = b[["x", "y"]].to_numpy()
    weights = b["households"].fillna(0).to_numpy(dtype=float) + 1.0
    footprints = shapely.bounds(b.geometry.values)
    streets = sorted(layout.kd_partition(bounds, points, weights, 3, footprints, first_axis=0), key=lambda r: r[0])
    out = []
    for x0, y0, x1, y1 in streets:
        inside = (points[:, 0] >= x0) & (points[:, 0] < x1) & (points[:, 1] >= y0) & (points[:, 1] < y1)
        rects = layout.kd_partition((x0, y0, x1, y1), points[inside], weights[inside], 4, footprints[inside])
        out.append(sorted(rects, key=lambda r: (-round(r[3]), r[0])))
    return out


def _assemble(communities, rects, grids, b, orgs, rows, roads, crs) -> Dataset:
    def to_storage(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        # densified first, so edges shared in metres stay shared (to the micrometre) in lon/lat
        return frame.set_geometry(shapely.segmentize(frame.geometry.values, 20.0)).to_crs(4490)

    c = gpd.GeoDataFrame(
        communities.assign(street_name=communities["street_name"] + "街道"),
        geometry=[shapely.box(*r) for r in rects],
        crs=crs,
    )
    building_columns = [
        "id",
        "use",
        "name",
        "address",
        "floors",
        "units",
        "households",
        "residents",
        "full_members",
        "probationary_members",
        "osm_id",
        "building_type",
        "geometry",
    ]
    buildings = b.reindex(columns=building_columns)
    buildings["name"] = buildings["name"].where(buildings["name"].notna(), None)
    dataset = Dataset(source="generated")
    dataset.layers = {
        "communities": to_storage(c),
        "grids": to_storage(grids),
        "buildings": to_storage(gpd.GeoDataFrame(buildings, geometry="geometry", crs=crs)),
        "organizations": to_storage(orgs),
        "party_orgs": pd.DataFrame(rows.party_orgs),
        "party_org_scope": pd.DataFrame(rows.scopes),
        "staff": pd.DataFrame(rows.staff),
        "assignments": pd.DataFrame(rows.assignments),
    }
    if roads is not None:
        dataset.layers["roads"] = to_storage(roads)
    return dataset
