"""The street office's ledgers (台账, issue 14): an Excel workbook with Chinese headers and a GBK CSV
are read into the same tables as every import, all or nothing, each problem named by sheet, row,
header and reason; ``gridsvc export FILE.xlsx`` writes a workbook that imports back unchanged.

The scene is tests/scenes.py's small district (b1…b6, grids …001001 to …002001, staff s1…s4)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import text

from gridsvc.services import imports
from tests import scenes
from tests.conftest import fingerprint

C1 = scenes.C1


@pytest.fixture
def stored(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg"))
    return db


def _workbook(path, sheets: dict[str, list[list]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def _one(db, sql: str, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).one()


B7 = scenes.lonlat(150, 60)  # inside G2 and P1
B8 = scenes.lonlat(170, 70)


def test_a_workbook_with_chinese_headers_updates_and_adds(gridsvc, stored, tmp_path):
    path = _workbook(
        tmp_path / "台账.xlsx",
        {
            "楼栋台账": [
                [
                    "楼栋编号",
                    "楼栋名称",
                    "地址",
                    "层数",
                    "单元数",
                    "户数",
                    "常住人口",
                    "党员数",
                    "经度",
                    "纬度",
                    "用途",
                ],
                ["b1", None, None, None, None, 42, None, None, None, None, None],  # a stored building: only 户数
                ["b7", "7号楼", "和平路7号", 6, 2, None, 80, 2, B7[0], B7[1], "住宅"],
                [None, "8号楼", "和平路8号", 5, 1, 10, None, None, B8[0], B8[1], "商住楼"],
            ],
            "人员": [
                ["姓名", "角色", "手机", "网格编码", "开始日期", "专职"],
                ["孙丽", "网格员", 13900000009, C1 + "002", "2024/3/1", "是"],
            ],
            "说明": [["本台账由某某街道整理"]],
        },
    )
    result = gridsvc("import", path)
    assert result.exit_code == 0, result.output
    assert "工作表 '楼栋台账'（楼栋）：楼栋编号 → id" in result.output
    assert "工作表 '说明'" in result.output and "已忽略" in result.output
    assert "1 行没有楼栋编号：id 由名称和地址生成（ld-…）" in result.output
    b1 = _one(stored, "SELECT name, households, households_estimated, GeometryType(geom) FROM buildings WHERE id='b1'")
    assert tuple(b1) == ("1号楼", 42, False, "POLYGON")  # the blank cells and the footprint kept
    b7 = _one(
        stored, "SELECT use, households, households_estimated, ST_X(geom), ST_Y(geom) FROM buildings WHERE id='b7'"
    )
    assert b7[:3] == ("residential", 24, True)  # 6 floors × 2 units × 2, estimated
    assert b7[3:] == pytest.approx(B7, abs=1e-9)
    b8 = _one(stored, "SELECT id, use, households FROM buildings WHERE name='8号楼'")
    assert b8[0].startswith("ld-") and b8[1:] == ("mixed", 10)
    person = _one(
        stored,
        "SELECT s.role, s.fulltime, s.phone, a.target_id, a.start_date FROM staff s "
        "JOIN assignments a ON a.staff_id = s.id WHERE s.name = '孙丽'",
    )
    assert tuple(person) == ("grid_worker", True, "13900000009", C1 + "002", dt.date(2024, 3, 1))
    again = gridsvc("import", path)
    assert again.exit_code == 0 and "没有变化" in again.output  # the same ledger twice: the same ids


def test_every_problem_is_named_by_sheet_row_and_header_and_nothing_changes(gridsvc, stored, tmp_path):
    path = _workbook(
        tmp_path / "错误.xlsx",
        {
            "楼栋": [
                ["楼栋编号", "楼栋名称", "层数", "经度", "纬度"],
                ["b2", None, 7, None, None],
                ["b9", "9号楼", "六层", B7[0], B7[1]],
                ["b10", "10号楼", 6, None, None],
                ["b11", "11号楼", 6, 32.04, 118.78],
            ],
            "人员": [
                ["姓名", "角色", "网格编码", "手机"],
                ["周杰", "主任", C1 + "001", "139 1234 567x"],
                ["吴刚", "网格员", C1 + "099", "139-1234-5679"],
            ],
        },
    )
    before = fingerprint(stored)
    result = gridsvc("import", path)
    assert result.exit_code == 2
    for expected in [
        "工作表 '楼栋'，第 3 行（楼栋编号=b9），字段 '层数'：'六层' 不是整数",
        "工作表 '楼栋'，第 4 行（楼栋编号=b10），字段 '经度/纬度'：没有位置",
        "工作表 '楼栋'，第 5 行（楼栋编号=b11），字段 '经度/纬度'：坐标 (32.04000, 118.78000) 像是纬度和经度写反了",
        "工作表 '人员'，第 2 行，字段 '角色'：'主任' 不是 网格长、网格员、楼栋长、党建指导员 之一",
        "工作表 '人员'，第 3 行，字段 '网格编码'：未知网格 '329901001001099'",
        "工作表 '人员'，第 2 行，字段 '手机'：'139 1234 567x' 不符合格式（电话号码：数字，可带 + 和 -，如 13800000001）",
    ]:
        assert expected in result.output, result.output
    assert fingerprint(stored) == before


def test_registration_and_cobuilding_sheets_import_with_their_chinese_words(gridsvc, stored, tmp_path):
    """§8.1 in the ledger: in-service members on 楼栋, 驻区单位 on 组织, and the 报到, 共建协议, 共建清单
    and 兼职委员 sheets, told by their names, values in Chinese words; a bad row is named by sheet,
    row and header, and nothing is stored."""
    sheets = {
        "楼栋": [["楼栋编号", "在职党员数", "在职党员报到数"], ["b1", 5, 4]],
        "组织": [["组织编号", "驻区单位"], ["o1", "是"]],
        "单位报到": [["单位组织编号", "报到社区编码", "报到日期"], ["o1", C1, "2025/3/1"]],
        "共建协议": [
            ["协议编号", "社区或街道编码", "单位组织编号", "开始日期"],
            ["gj1", scenes.STREET, "o1", "2025/1/1"],
        ],
        "共建清单": [
            ["清单编号", "社区或街道编码", "清单类别", "内容", "状态", "提出日期", "经度", "纬度"],
            ["n1", C1, "需求", "独居老人送餐", "待认领", "2025/1/1", B7[0], B7[1]],
            ["r1", C1, "资源", "会议室", "已对接", None, None, None],
        ],
        "兼职委员": [["社区编码", "单位组织编号", "姓名"], [C1, "o1", "张三"]],
    }
    bad = dict(sheets) | {"共建清单": [*sheets["共建清单"], ["x1", C1, "愿望", "？", "待认领", None, None, None]]}
    before = fingerprint(stored)
    refused = gridsvc("import", _workbook(tmp_path / "错误.xlsx", bad))
    assert refused.exit_code == 2
    assert (
        "工作表 '共建清单'，第 4 行（清单编号=x1），字段 '清单类别'：'愿望' 不是 需求、资源、项目 之一"
        in refused.output
    )
    assert fingerprint(stored) == before
    result = gridsvc("import", _workbook(tmp_path / "共建.xlsx", sheets))
    assert result.exit_code == 0, result.output
    assert "工作表 '共建清单'（共建清单）：清单编号 → id" in result.output
    assert tuple(_one(stored, "SELECT in_service_members, in_service_registered FROM buildings WHERE id = 'b1'")) == (
        5,
        4,
    )
    assert _one(stored, "SELECT resident_unit FROM organizations WHERE id = 'o1'")[0] is True
    assert tuple(_one(stored, "SELECT community_code, registered_on FROM unit_registrations")) == (
        C1,
        dt.date(2025, 3, 1),
    )
    assert tuple(_one(stored, "SELECT area_code, valid_from FROM cobuilding_agreements")) == (
        scenes.STREET,
        dt.date(2025, 1, 1),
    )
    items = _one(
        stored,
        "SELECT string_agg(id || ':' || list || ':' || status || ':' || (geom IS NULL)::text, ',' ORDER BY id) FROM cobuilding_items",
    )
    assert items[0] == "n1:need:open:false,r1:resource:matched:true"
    assert tuple(_one(stored, "SELECT community_code, organization_id, holder FROM unit_seats")) == (C1, "o1", "张三")


def test_a_gbk_csv_ledger_is_read_and_says_its_encoding(gridsvc, stored, tmp_path):
    path = tmp_path / "楼栋.csv"
    rows = ["楼栋编号,楼栋名称,户数,经度,纬度", f"b7,幸福小区7号楼,30,{B7[0]},{B7[1]}", "b2,,26,,"]
    path.write_bytes("\r\n".join(rows).encode("gbk"))
    result = gridsvc("import", path, "--default-use", "residential")
    assert result.exit_code == 0, result.output
    assert "楼栋.csv：文字按 GB18030 读取" in result.output
    assert tuple(_one(stored, "SELECT name, households, use FROM buildings WHERE id='b7'")) == (
        "幸福小区7号楼",
        30,
        "residential",
    )
    assert _one(stored, "SELECT households FROM buildings WHERE id='b2'")[0] == 26


def test_column_maps_an_unusual_header(gridsvc, stored, tmp_path):
    path = tmp_path / "楼栋台账.csv"
    path.write_text("楼栋编号,总户数（户）\nb2,27\n", encoding="utf-8")
    unmapped = gridsvc("import", path)
    assert unmapped.exit_code == 0 and "忽略：总户数（户）" in unmapped.output
    result = gridsvc("import", path, "--column", "households=总户数（户）")
    assert result.exit_code == 0, result.output
    assert _one(stored, "SELECT households FROM buildings WHERE id='b2'")[0] == 27
    assert gridsvc("import", path, "--column", "households=户数合计").exit_code == 2


def test_the_exported_workbook_imports_back_unchanged_and_carries_edits(gridsvc, stored, tmp_path):
    path = tmp_path / "导出.xlsx"
    exported = gridsvc("export", path)
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["楼栋", "人员", "组织", "党组织"]
    assert [c.value for c in book["人员"][1]][:5] == ["人员编号", "姓名", "角色", "专职", "手机"]
    before = fingerprint(stored)
    result = gridsvc("import", path)
    assert result.exit_code == 0 and "没有变化" in result.output, result.output
    assert fingerprint(stored) == {**before, "imports": fingerprint(stored)["imports"]}
    ws = book["楼栋"]
    households = [c.value for c in ws[1]].index("户数") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "b2")
    ws.cell(row, households).value = 25
    book.save(path)
    edited = gridsvc("import", path)
    assert edited.exit_code == 0 and "buildings              新增 0，更新 1" in edited.output, edited.output
    assert _one(stored, "SELECT households FROM buildings WHERE id='b2'")[0] == 25


def test_a_title_row_above_the_headers_is_said_and_rows_keep_their_excel_numbers(gridsvc, stored, tmp_path):
    """Ledgers as offices keep them: a title merged across the table, then group headings, above the
    headers. The title was read as the header: every row was refused as having no id (5,582
    problems on the demo's ledger)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "楼栋"
    ws.append(["幸福社区楼栋台账（2026年11月）"])
    ws.merge_cells("A1:E1")
    ws.append(["基本信息", None, None, "位置"])
    ws.merge_cells("A2:C2")
    ws.merge_cells("D2:E2")
    for row in (
        ["楼栋编号", "楼栋名称", "户数", "经度", "纬度"],
        ["b7", "7号楼", 30, *B7],
        ["b8", "8号楼", "三十", *B8],
    ):
        ws.append(row)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    refused = gridsvc("import", path, "--default-use", "residential")
    assert refused.exit_code == 2
    assert "工作表 '楼栋'，第 5 行（楼栋编号=b8），字段 '户数'：'三十' 不是整数" in refused.output, refused.output
    ws["C5"] = 31
    book.save(path)
    result = gridsvc("import", path, "--default-use", "residential")
    assert result.exit_code == 0, result.output
    assert "工作表 '楼栋'：第 1 行（幸福社区楼栋台账（2026年11月））当作标题，未读取；表头在第 3 行" in result.output
    assert "工作表 '楼栋'：第 2 行（基本信息 | 位置）当作标题，未读取；表头在第 3 行" in result.output
    assert "工作表 '楼栋'：2 栋新楼没有用途：用途记为 住宅（residential，--default-use）" in result.output
    assert tuple(_one(stored, "SELECT name, households FROM buildings WHERE id='b8'")) == ("8号楼", 31)


def test_total_and_signature_rows_are_said_and_not_read(gridsvc, stored, tmp_path):
    """Ledgers end with a 合计 row and the signatures under it, and a long one carries 小计 rows per
    street: they were refused as buildings without a place, and the office had to delete them by hand."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "楼栋"
    for row in (
        ["序号", "楼栋编号", "楼栋名称", "户数", "经度", "纬度"],
        [1, "b7", "7号楼", 30, *B7],
        ["小计", None, None, 30],
        [2, "b8", "8号楼", 40, *B8],
        ["合计", None, None, 70],
        [None],
        ["填表人：张三", None, "审核人：李四", None, "填表日期：2026年11月30日"],
    ):
        ws.append(row)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    result = gridsvc("import", path, "--default-use", "residential")
    assert result.exit_code == 0, result.output
    assert "工作表 '楼栋'：第 3 行（小计 | 30）是合计或签名行，未读取" in result.output
    assert "工作表 '楼栋'：第 5 行（合计 | 70）是合计或签名行，未读取" in result.output
    assert "第 7 行（填表人：张三 | 审核人：李四 | 填表日期：2026年11月30日）是合计或签名行，未读取" in result.output
    assert tuple(_one(stored, "SELECT name, households FROM buildings WHERE id='b8'")) == ("8号楼", 40)
    assert _one(stored, "SELECT count(*) FROM buildings WHERE id IN ('b7', 'b8')")[0] == 2
    # a building whose own name begins like a total is a building: only the row's first cell counts
    ws.append([3, "b9", "合计楼", 10, B8[0] + 0.0001, B8[1]])
    book.save(path)
    result = gridsvc("import", path, "--default-use", "residential")
    assert result.exit_code == 0, result.output
    assert _one(stored, "SELECT name FROM buildings WHERE id='b9'")[0] == "合计楼"


def test_rows_without_an_id_are_named_once_not_also_as_duplicates(gridsvc, stored, tmp_path):
    """Two rows with neither 楼栋编号 nor a name or address to make one from were refused as empty,
    and the second again as "id 'None' 重复"."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "楼栋"
    for row in (
        ["楼栋编号", "楼栋名称", "户数", "经度", "纬度"],
        ["b6", "6号楼", 20, B7[0] - 0.0002, B7[1]],
        [None, None, 30, *B7],
        [None, None, 40, *B8],
    ):
        ws.append(row)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    refused = gridsvc("import", path, "--default-use", "residential")
    assert refused.exit_code == 2
    assert "第 3 行，字段 '楼栋编号'：必填值为空" in refused.output, refused.output
    assert "第 4 行，字段 '楼栋编号'：必填值为空" in refused.output
    assert "重复" not in refused.output


def test_a_phone_written_with_blanks_is_stored_without_them_and_said(gridsvc, stored, tmp_path):
    """Offices write mobile numbers in groups (139 1234 5679): every such row was refused. The blanks
    are taken out, and said; the person's made id is the one the number without blanks makes, so the
    same person from another ledger is the same person."""
    rows = [["姓名", "角色", "网格编码", "手机"], ["周杰", "网格员", C1 + "001", "139 1234 5679"]]
    result = gridsvc("import", _workbook(tmp_path / "人员.xlsx", {"人员": rows}))
    assert result.exit_code == 0, result.output
    assert "工作表 '人员'，列 '手机'：1 个值去掉了空格（如 '139 1234 5679' → '13912345679'）" in result.output
    assert _one(stored, "SELECT phone FROM staff WHERE name = '周杰'")[0] == "13912345679"
    rows[1][3] = "13912345679"
    again = gridsvc("import", _workbook(tmp_path / "人员2.xlsx", {"人员": rows}))
    assert again.exit_code == 0 and "没有变化" in again.output, again.output
