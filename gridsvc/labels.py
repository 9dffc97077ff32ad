"""The words users read for gridsvc's codes, defined once (Chinese), for the CLI, the API, the maps and
the reports alike.

The analysis core keeps the labels it defines itself, beside their definitions, because it imports
nothing else of gridsvc: each metric's label (``analysis.metrics.METRICS``), each gap kind's
(``analysis.gaps.GAP_KIND``) and the grid layers' word (``analysis.scene.LAYER_WORD``). They are
re-exported here, so that everything above the core finds every label in one place.
"""

from __future__ import annotations

from gridsvc.analysis.gaps import GAP_KIND, SEVERITY_LABEL
from gridsvc.analysis.metrics import LABELS as METRIC_LABEL
from gridsvc.analysis.metrics import SHORT_LABELS as METRIC_SHORT_LABEL
from gridsvc.analysis.scene import LAYER_WORD

__all__ = [
    "ACTION_LABEL",
    "FAMILY_LABEL",
    "GAP_KIND",
    "LAYER_LABEL",
    "LEVEL_LABEL",
    "METRIC_LABEL",
    "METRIC_SHORT_LABEL",
    "ROLE_LABEL",
    "SEVERITY_LABEL",
]

LEVEL_LABEL = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}
LAYER_LABEL = LAYER_WORD  # 党建, 治理, 合一 (+ "网格" where a grid is meant)
FAMILY_LABEL = {"organization": "组织覆盖", "work": "工作覆盖", "spatial": "网格空间"}
ROLE_LABEL = {"admin": "管理员", "planner": "规划员", "leader": "网格长", "viewer": "查看者"}
ACTION_LABEL = {
    "read": "查看",
    "plan": "编制和应用调整方案",
    "snapshot": "保存快照",
    "edit": "修改楼栋和人员分配",
    "admin": "管理用户和审计日志",
}
