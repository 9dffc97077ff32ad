"""The street office's ledgers (台账) as gridsvc reads and writes them: which sheet is which, and
which header is which field.

A sheet is a buildings (楼栋), staff (人员), organizations (组织) or Party organizations (党组织)
ledger, told by its name or, failing that, by its headers; or one of registration and co-building
(报到, 共建协议, 共建清单, 兼职委员, domain.md §8.1), told by its name. Headers are matched in any case, Chinese
or English, by the names below (the first is what ``gridsvc export FILE.xlsx`` writes); ``--column
FIELD=HEADER`` maps any other header. Values may be the exchange codes or the Chinese words users
write (``网格长``, ``非公企业``, ``党支部``, ``住宅``, ``是``/``否``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridsvc.labels import (
    COBUILDING_LIST_LABEL,
    ITEM_STATUS_LABEL,
    ORG_KIND_LABEL,
    PARTY_ORG_KIND_LABEL,
    STAFF_ROLE_LABEL,
    USE_LABEL,
)


@dataclass(frozen=True)
class Sheet:
    kind: str  # buildings | staff | organizations | party_orgs, or a §8.1 layer's name
    word: str  # the sheet's Chinese name, as exported and as recognised in a sheet name
    fields: dict[str, tuple[str, ...]]  # field -> headers that mean it; the first is written on export
    words: dict[str, dict[str, str]]  # field -> {code: Chinese word} for coded values

    def header(self, field: str) -> str:
        return self.fields[field][0]


LOCATION = {"lon": ("经度", "lon", "longitude", "lng", "x"), "lat": ("纬度", "lat", "latitude", "y")}
LOCATION_HEADER = "经度/纬度"  # how a row's place is named in its problems

BUILDINGS = Sheet(
    "buildings",
    "楼栋",
    {
        "id": ("楼栋编号", "building_id", "id", "编号"),
        "name": ("楼栋名称", "name", "名称", "楼名"),
        "address": ("地址", "address", "门牌地址"),
        "use": ("用途", "use", "建筑用途"),
        "floors": ("层数", "floors", "楼层", "楼层数"),
        "floors_estimated": ("层数为估算", "floors_estimated"),
        "units": ("单元数", "units"),
        "households": ("户数", "households", "总户数"),
        "households_estimated": ("户数为估算", "households_estimated"),
        "residents": ("常住人口", "residents", "人口", "人口数"),
        "full_members": ("党员数", "full_members", "正式党员", "正式党员数"),
        "probationary_members": ("预备党员数", "probationary_members", "预备党员"),
        "in_service_members": ("在职党员数", "in_service_members", "在职党员"),
        "in_service_registered": ("在职党员报到数", "in_service_registered", "已报到在职党员数"),
        **LOCATION,
    },
    {"use": USE_LABEL},
)
STAFF = Sheet(
    "staff",
    "人员",
    {
        "id": ("人员编号", "staff_id", "id", "编号"),
        "name": ("姓名", "name"),
        "role": ("角色", "role", "职务", "岗位"),
        "fulltime": ("专职", "fulltime", "是否专职"),
        "phone": ("手机", "phone", "手机号", "联系电话", "电话"),
        "grid": ("网格编码", "grid_code", "grid", "网格"),
        "building": ("楼栋编号", "building_id"),
        "organization": ("组织编号", "organization_id"),
        "start_date": ("开始日期", "start_date", "任职日期"),
        "end_date": ("结束日期", "end_date", "离任日期"),
    },
    {"role": STAFF_ROLE_LABEL},
)
ORGANIZATIONS = Sheet(
    "organizations",
    "组织",
    {
        "id": ("组织编号", "organization_id", "id", "编号"),
        "name": ("组织名称", "name", "单位名称", "名称"),
        "kind": ("类型", "kind", "组织类型"),
        "employees": ("从业人员", "employees", "职工人数", "从业人员数"),
        "full_members": ("党员数", "full_members"),
        "has_union": ("有工会", "has_union", "建立工会"),
        "has_youth_league": ("有团组织", "has_youth_league", "建立团组织"),
        "building_id": ("所在楼栋编号", "building_id", "楼栋编号", "所在楼栋"),
        "resident_unit": ("驻区单位", "resident_unit", "是否驻区单位"),
        **LOCATION,
    },
    {"kind": ORG_KIND_LABEL},
)
PARTY_ORGS = Sheet(
    "party_orgs",
    "党组织",
    {
        "id": ("党组织编号", "party_org_id", "id", "编号"),
        "name": ("党组织名称", "name", "名称"),
        "kind": ("类型", "kind", "组织类别"),
        "parent_id": ("上级党组织编号", "parent_id", "上级党组织"),
        "full_members": ("正式党员数", "full_members", "正式党员", "党员数"),
        "probationary_members": ("预备党员数", "probationary_members", "预备党员"),
        "founded": ("成立日期", "founded"),
    },
    {"kind": PARTY_ORG_KIND_LABEL},
)
# domain.md §8.1, told by their sheet names (they share their headers with the ledgers above)
UNIT = ("单位组织编号", "organization_id", "组织编号", "单位编号")
STREET_OR_COMMUNITY = ("社区或街道编码", "area_code", "社区编码", "街道编码")
REGISTRATIONS = Sheet(
    "unit_registrations",
    "报到",
    {
        "organization_id": UNIT,
        "community_code": ("报到社区编码", "community_code", "社区编码"),
        "registered_on": ("报到日期", "registered_on"),
    },
    {},
)
AGREEMENTS = Sheet(
    "cobuilding_agreements",
    "共建协议",
    {
        "id": ("协议编号", "agreement_id", "id", "编号"),
        "area_code": STREET_OR_COMMUNITY,
        "organization_id": UNIT,
        "valid_from": ("开始日期", "valid_from", "签订日期"),
        "valid_to": ("结束日期", "valid_to", "到期日期"),
        "note": ("备注", "note"),
    },
    {},
)
ITEMS = Sheet(
    "cobuilding_items",
    "共建清单",
    {
        "id": ("清单编号", "item_id", "id", "编号"),
        "area_code": STREET_OR_COMMUNITY,
        "list": ("清单类别", "list", "类别"),
        "kind": ("事项类型", "kind", "类型"),
        "description": ("内容", "description", "事项内容"),
        "status": ("状态", "status"),
        "opened_on": ("提出日期", "opened_on"),
        "organization_id": UNIT,
        "building_id": ("楼栋编号", "building_id"),
        **LOCATION,
    },
    {"list": COBUILDING_LIST_LABEL, "status": ITEM_STATUS_LABEL},
)
SEATS = Sheet(
    "unit_seats",
    "兼职委员",
    {
        "community_code": ("社区编码", "community_code"),
        "organization_id": UNIT,
        "holder": ("姓名", "holder", "兼职委员"),
        "since": ("任职日期", "since"),
    },
    {},
)
# 党组织 before 组织, the §8.1 sheets first: a sheet name holds one of them
SHEETS = (REGISTRATIONS, AGREEMENTS, ITEMS, SEATS, PARTY_ORGS, BUILDINGS, STAFF, ORGANIZATIONS)
PLAIN_KINDS = tuple(s.kind for s in (REGISTRATIONS, AGREEMENTS, ITEMS, SEATS))  # rows stored as given
HEADERS = frozenset(a.lower() for sheet in SHEETS for aliases in sheet.fields.values() for a in aliases)


def names_a_header(row: list) -> bool:
    """Whether a row holds any ledger's header (a table's header row, not a title or a group
    heading above it such as 基本信息 | 党员情况).

    >>> names_a_header(["基本信息", None, "党员情况"]), names_a_header(["序号", "楼栋编号"])
    (False, True)
    """
    return any(isinstance(v, str) and v.strip().lower() in HEADERS for v in row)


# a row's first cell when it sums the rows above or signs the sheet off (负责人 is not one: it is a role)
FOOTER_WORDS = (
    "合计",
    "总计",
    "小计",
    "共计",
    "填表人",
    "填报人",
    "制表人",
    "审核人",
    "填表日期",
    "填报日期",
    "制表日期",
)


def filled(value) -> bool:
    """Whether a cell holds anything (text not only blanks, a number not NaN)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and not pd.isna(value)


def is_footer(row: list) -> bool:
    """Whether a row sums the rows above it or signs the sheet off: its first filled cell, blanks
    taken out, is one of FOOTER_WORDS or begins with one and a colon (填表人：张三). A building named
    合计楼, or a role such as 负责人, is a row of the table.

    >>> is_footer(["合  计", None, 70]), is_footer(["填表人：张三"]), is_footer(["审核人", "李四"])
    (True, True, True)
    >>> is_footer([3, "b9", "合计楼"]), is_footer(["合计楼", 3]), is_footer(["负责人", "王五"])
    (False, False, False)
    """
    first = next((v for v in row if filled(v)), None)
    if not isinstance(first, str):
        return False
    text = "".join(first.split())
    return any(text == word or text.startswith((word + "：", word + ":")) for word in FOOTER_WORDS)


def sheet_of(name: str, headers: list[str], mapping: dict[str, str] | None = None) -> Sheet | None:
    """The ledger a sheet is, by its name (``楼栋台账``, ``staff``…), else by the most headers it
    shares with one (at least its name or id header and one more, ``--column`` mappings counted);
    None when it is none of them.

    >>> sheet_of("Sheet1", ["姓名", "角色", "手机", "网格编码"]).kind
    'staff'
    >>> sheet_of("党组织台账", []).kind, sheet_of("Sheet2", ["备注"])
    ('party_orgs', None)
    """
    lowered = name.lower()
    for sheet in SHEETS:
        if sheet.word in name or sheet.kind in lowered:
            return sheet
    best, score = None, 1
    for sheet in SHEETS:
        if sheet.kind in PLAIN_KINDS:
            continue  # told by name only
        matched = {f for f, aliases in sheet.fields.items() if _match(aliases, headers)}
        matched |= {f for f, h in (mapping or {}).items() if f in sheet.fields and h in headers}
        if len(matched) > score and matched & {"id", "name"}:
            best, score = sheet, len(matched)
    return best


def _match(aliases: tuple[str, ...], headers: list[str]) -> str | None:
    lowered = {h.strip().lower(): h for h in headers}
    return next((lowered[a.lower()] for a in aliases if a.lower() in lowered), None)


def header_fields(sheet: Sheet, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """{field: header}: the user's ``--column`` mapping where the sheet has that header, then the
    names above, each header used once."""
    found: dict[str, str] = {}
    stripped = {h.strip(): h for h in headers}
    for field, header in mapping.items():
        if field in sheet.fields and header.strip() in stripped:
            found[field] = stripped[header.strip()]
    taken = set(found.values())
    for field, aliases in sheet.fields.items():
        if field in found:
            continue
        header = _match(aliases, [h for h in headers if h not in taken])
        if header is not None:
            found[field] = header
            taken.add(header)
    return found


def code_of(word, words: dict[str, str]):
    """The code a coded cell means: the code itself or its Chinese word (``网格长`` → grid_leader);
    anything else unchanged, for the value checks to name."""
    if not isinstance(word, str):
        return word
    text = word.strip()
    if text in words:
        return text
    return next((code for code, label in words.items() if label == text), text)
