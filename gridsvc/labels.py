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
from gridsvc.analysis.scene import LAYER_WORD, place_names

__all__ = [
    "ACTION_LABEL",
    "FAMILY_LABEL",
    "GAP_KIND",
    "LAYER_LABEL",
    "LEVEL_LABEL",
    "no_code",
    "not_found",
    "THING_LABEL",
    "thing_word",
    "METRIC_LABEL",
    "METRIC_SHORT_LABEL",
    "ORG_KIND_LABEL",
    "PLAN_ORIGIN_LABEL",
    "PLAN_STATUS_LABEL",
    "place_names",
    "PARTY_ORG_KIND_LABEL",
    "ROLE_LABEL",
    "SEVERITY_LABEL",
    "STAFF_ROLE_LABEL",
    "USE_LABEL",
]

LEVEL_LABEL = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}
STAFF_ROLE_LABEL = {
    "grid_leader": "网格长",
    "grid_worker": "网格员",
    "building_leader": "楼栋长",
    "liaison": "党建指导员",
}
USE_LABEL = {
    "residential": "住宅",
    "office": "办公",
    "commercial": "商业",
    "mixed": "商住",
    "public": "公共",
    "other": "其他",
    "unknown": "用途未知",
}


def use_set_to(use: str, by_option: bool = False) -> str:
    """How a note says which use buildings were given: its label, and the code (--default-use takes).

    >>> use_set_to("residential", by_option=True), use_set_to("unknown")
    ('用途记为 住宅（residential，--default-use）', '用途记为 用途未知（unknown）')
    """
    return f"用途记为 {USE_LABEL[use]}（{use}{'，--default-use' if by_option else ''}）"


ORG_KIND_LABEL = {
    "enterprise": "非公企业",
    "social_org": "社会组织",
    "public_unit": "驻区单位",
    "office_building": "商务楼宇",
    "market": "商圈市场",
    "park": "园区",
}
# domain.md §8.1: the three lists of co-building (需求、资源、项目清单) and an item's status
COBUILDING_LIST_LABEL = {"need": "需求", "resource": "资源", "project": "项目"}
ITEM_STATUS_LABEL = {"open": "待认领", "matched": "已对接", "done": "已完成"}
PARTY_ORG_KIND_LABEL = {
    "committee": "党委",
    "general_branch": "党总支",
    "branch": "党支部",
    "joint_branch": "联合党支部",
    "group": "党小组",
}
LAYER_LABEL = LAYER_WORD  # 党建, 治理, 合一 (+ "网格" where a grid is meant)
# where a plan came from (db.models.PLAN_ORIGINS) and whether it is in force (PLAN_STATUSES)
PLAN_ORIGIN_LABEL = {
    "upload": "上传文件",
    "adopt_governance": "采用治理网格",
    "proposal": "自动方案",
    "workbench": "工作台编辑",
}
PLAN_STATUS_LABEL = {"draft": "草稿", "applied": "已生效"}
FAMILY_LABEL = {"organization": "组织覆盖", "work": "工作覆盖", "spatial": "网格空间"}
ROLE_LABEL = {"admin": "管理员", "planner": "规划员", "leader": "网格长", "viewer": "查看者"}
ACTION_LABEL = {
    "read": "查看",
    "plan": "编制和应用调整方案",
    "snapshot": "保存快照",
    "edit": "修改楼栋和人员分配",
    "organize": "登记组织的党建指导员、工会和团组织",
    "target": "设定考核目标",
    "admin": "管理用户和审计日志",
}
# what an audit entry's action did (``gridsvc audit``; the code stays beside it for --action)
AUDIT_ACTION_LABEL = {
    "import": "导入数据",
    "building.update": "修改楼栋",
    "building.party_group": "楼栋建党小组",
    "organization.update": "修改组织",
    "organization.party_org": "组织建党组织",
    "party_org.add": "新增党组织",
    "staff.add": "新增人员",
    "assignment.add": "新增人员分配",
    "assignment.end": "结束人员分配",
    "facility.set": "设置服务设施",
    "facility.delete": "删除服务设施",
    "registration.set": "登记报到",
    "registration.delete": "删除报到",
    "agreement.set": "设置共建协议",
    "agreement.delete": "删除共建协议",
    "cobuilding_item.set": "设置共建清单事项",
    "cobuilding_item.delete": "删除共建清单事项",
    "seat.set": "设置兼职委员",
    "seat.delete": "删除兼职委员",
    "target.set": "设定考核目标",
    "target.delete": "删除考核目标",
    "plan.create": "新建调整方案",
    "plan.edit": "编辑调整方案",
    "plan.apply": "应用调整方案",
    "plan.settle": "确定原网格去向",
    "snapshot.take": "保存快照",
    "user.add": "新增用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "token.issue": "签发令牌",
}

# What the command line says, Chinese first (codes, paths and settings stay as they are).
SAYS = {
    "error": "gridsvc 出错：{message}",
    "serving": "服务已启动：http://{host}:{port}（接口文档 /docs）",
    "note": "说明：{note}",
    "imported": "已导入",
    "unchanged": "没有变化：数据库中已有这些数据",
    "reading": "正在读取 {file} …",
    "problems_written": "全部 {count} 个问题已写入 {path}",
    "problems_more": "只列出前 20 个问题；--problems 问题.csv 可写出全部",
    "wrote": "已写入 {path}",
    "export_outside": "注意：{file} 中有 {count} 处引用了文件以外的数据，新数据库导入它时会拒绝，请先改正"
    "（已撤销的网格：改为现有网格；以下列出 {count} 处中的前 {shown} 处，未列出 {more} 处）：",
    "wrote_size": "已写入 {path}（{kb:.0f} KB）",
    "demo_start": "正在生成演示区（全部为生成数据）…",
    "demo_done": "演示区 {code}；埋设的问题：",
    "demo_gap": "  {kind:<26}{count:>4}  例如 {where}：{text}",
    "db_url": "数据库：{url}（GRIDSVC_DATABASE_URL）",
    "db_private": "数据库：私有 PostGIS，位于 {home}（{state}）",
    "db_state": {"running": "运行中", "stopped": "已停止", "absent": "未创建"},
    "migration": "迁移版本：{revision}",
    "db_ready": "数据库已就绪",
    "db_not_ours": "已设置 GRIDSVC_DATABASE_URL：该数据库不由 gridsvc 停止",
    "db_stopped": "已停止",
    "db_not_running": "未在运行",
    "db_reset": "数据库已重置：已清空并重新迁移",
    "phones_in_file": "此文件含完整手机号：只可交给本网格的工作人员",
    "proposed": "{community}：{grids} 个网格，用时 {seconds:.1f} 秒（{note}）",
    "proposed_cleanly": "无提示",
    "plan_created": "已创建方案：{id}",
    "plan_header": "方案 {id} {name}（来源 {origin}，状态 {status}，图层 {layer}）",
    "plan_checked": "错误 {errors} 个，提示 {warnings} 个",
    "plan_applied": "方案 {id} 自 {effective} 起生效：关闭网格 {closed} 个，新开 {opened} 个，"
    "党组织范围 {scopes} 项、人员分配 {assignments} 项随之迁到新网格",
    "plan_undecided": "  待人工确定: {grid} → {landing}",
    "plan_settled_line": "  已定去向: {grid} → {to}",
    "plan_outcome": "自 {effective} 起生效；待人工确定的原网格 {n} 个",
    "plan_settle_hint": "用 gridsvc plan settle {id} 原网格 新网格 指定每个待定原网格的去向（其党组织范围和人员分配随之迁移）",
    "plan_settled": "原网格 {grid} 已定为 {to}：党组织范围 {scopes} 项、人员分配 {assignments} 项随之迁移；",
    "plan_all_settled": "方案 {id} 已无待人工确定的原网格",
    "plan_still_undecided": "方案 {id} 尚有 {n} 个原网格待人工确定：",
    "drawing_map": "正在绘制交互地图 …",
    "building_report": "正在生成 {area} 的 {fmt} 报告 …",
    "everything": "全部数据",
    "report_written": "已写入 {path}（{kb:.0f} KB，问题 {gaps:,} 条；{compared}）",
    "compared_with": "与快照 #{id} 比较",
    "no_snapshot": "没有可比较的快照",
    "no_snapshots": "还没有快照",
    "no_users": "还没有用户（gridsvc user add 添加）",
    "never_in_a_grid": "楼栋 {id} 在 {on} 不在任何网格",
    "no_grid_history": "楼栋 {id} 没有网格记录",
    "snapshot_taken": "已保存快照 #{id}：{area}，时间 {at:%Y-%m-%d %H:%M:%S}",
    "user_added": "已添加用户 {name}：{role}（{role_label}），范围 {scope}",
    "user_disabled": "已停用用户 {name}：其令牌不再有效",
    "user_enabled": "已启用用户 {name}",
    "token_for": "{name} 的令牌，有效期至 {expires:%Y-%m-%d %H:%M:%S %Z}：",
}


def say(key: str, **values) -> str:
    """The command line's sentence ``key`` with ``values`` filled in."""
    return SAYS[key].format(**values)


# where a grid's households fall against rule 4's band (analysis.scene.Thresholds.band)
BAND_LABEL = {"below": "低于下限", "within": "达标", "above": "超出上限"}
IOU_LABEL = "重合度"  # of a matched pair: the area both grids cover over the area either covers (IoU)


# what a user asks for by code or id, in the words of a "no such …" answer (NotFound)
THING_LABEL = LEVEL_LABEL | {
    "area": "区域",
    "current_grid": "现行网格",
    "building": "楼栋",
    "organization": "组织",
    "party_org": "党组织",
    "street or community": "街道或社区",
    "staff": "工作人员",
    "assignment": "任职记录",
    "facility": "服务设施",
    "target": "目标",
    "plan": "方案",
    "registration": "报到记录",
    "agreement": "共驻共建协议",
    "item": "共建清单条目",
    "seat": "兼职委员",
    "collection": "数据集",
    "feature": "要素",
}


def thing_word(thing: str) -> str:
    """The word for ``thing`` (:data:`THING_LABEL`; a kind without one is shown as it is)."""
    return THING_LABEL.get(thing, thing)


def not_found(thing: str, key, *, scoped: bool = True) -> str:
    """The answer when ``thing`` ``key`` is not there; ``scoped``: not in the caller's area (the same
    answer whether or not it exists elsewhere, so it tells nothing of what lies beyond).

    >>> not_found("building", "b7"), not_found("plan", 9, scoped=False)
    ("你的范围内没有楼栋 'b7'", '没有方案 9')
    """
    shown = repr(key) if isinstance(key, str) else str(key)
    return f"{'你的范围内' if scoped else ''}没有{thing_word(thing)} {shown}"


def no_code(code: str, *things: str) -> str:
    """The answer when no area or grid of the kinds ``things`` has ``code``.

    >>> no_code("999999", "district", "street", "community")
    "没有编码为 '999999' 的区、街道或社区"
    """
    words = [thing_word(t) for t in things]
    listed = "、".join(words[:-1]) + "或" + words[-1] if len(words) > 1 else words[0]
    return f"没有编码为 {code!r} 的{listed}"


# FastAPI's checks of a request's fields (pydantic error types), as the rest of the API words them
VALIDATION_SAYS = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数",
    "float_type": "应为数",
    "finite_number": "应为有限的数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "literal_error": "应为 {expected}",
    "enum": "应为 {expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "string_pattern_mismatch": "格式不符（{pattern}）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不接受这个字段",
}


def validation_message(error: dict) -> str:
    """One of FastAPI's field errors in Chinese (its ``loc`` names the field; the map's forms put
    their own label before it); a type without a wording keeps pydantic's own (a model's own check
    says its reason after 'Value error, ').

    >>> validation_message({"type": "greater_than_equal", "loc": ["query", "limit"], "msg": "…", "ctx": {"ge": 1}})
    '应不小于 1'
    >>> validation_message({"type": "literal_error", "loc": ["body", "layer"], "msg": "…", "ctx": {"expected": "'party' or 'unified'"}})
    "应为 'party' 或 'unified'"
    >>> validation_message({"type": "value_error", "loc": ["body"], "msg": "Value error, 位置需要同时给出 lon 和 lat"})
    '位置需要同时给出 lon 和 lat'
    """
    ctx = {k: str(v).replace(" or ", " 或 ") for k, v in (error.get("ctx") or {}).items()}
    try:
        return VALIDATION_SAYS[error["type"]].format(**ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", "")).removeprefix("Value error, ")
