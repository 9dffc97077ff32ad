"""Generated targets (domain.md §8.5): the district's grid-leader rate at 100 % by mid-2026 (missed:
grids without a leader are planted), and two targets still open."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gridsvc.demo.overlay import Plants


def targets(communities: pd.DataFrame, plants: Plants) -> pd.DataFrame:
    district = communities["district_code"].iloc[0]
    street = communities["street_code"].iloc[0]
    community = communities["code"].iloc[1]
    rows = [
        (district, "grid_leader_coverage", 1.0, dt.date(2026, 6, 30), "年度考核：网格长全覆盖"),
        (street, "building_group_coverage", 0.95, dt.date(2027, 12, 31), "楼栋党小组应建尽建"),
        (community, "alignment_rate", 0.9, dt.date(2027, 6, 30), "两网融合"),
    ]
    plants.add("target_missed", f"{district}:grid_leader_coverage:2026-06-30", "区网格长配备率未按期达到100%")
    return pd.DataFrame(rows, columns=["area_code", "metric", "value", "due_date", "note"])
