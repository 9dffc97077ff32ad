"""The command line through click's runner, on the hand-drawn scene: every topic is there, data goes
out and back unchanged, snapshots are taken and listed, and bad input is a clear message, never a
traceback. (Topic-specific commands are tested beside their topic: coverage, maps, plans, users.)"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gridsvc.cli import main
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes
from tests.conftest import fingerprint


@pytest.fixture
def env(db, settings, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg", s.frames()))
    return {
        "GRIDSVC_DATABASE_URL": settings.database_url,
        "GRIDSVC_HOME": str(tmp_path / "home"),
        "GRIDSVC_MAPS_DIR": str(tmp_path / "maps"),
    }


def test_every_topic_is_a_command():
    shown = CliRunner().invoke(main, ["--help"]).output
    for command in (
        "db",
        "import",
        "export",
        "demo",
        "coverage",
        "gaps",
        "alignment",
        "batch",
        "suggest",
        "map",
        "report",
        "snapshot",
        "plan",
        "history",
        "user",
        "audit",
        "serve",
    ):
        assert f"  {command} " in shown, command


@pytest.mark.parametrize(
    "args, says",
    [
        (["report", "320199"], "gridsvc 出错：缺少选项 '-o' / '--output'"),
        (["import", "x.gpkg", "--datum", "xyz"], "'xyz' 不是 'wgs84', 'cgcs2000', 'gcj02', 'bd09' 之一"),
        (["serve", "--port", "eighty"], "'eighty' 不是有效的数值（integer）"),
        (["serve", "--workers", "0"], "0 不在范围 1<=x<=64 内"),
        (["coverag"], "没有命令 'coverag'"),
        (["coverage", "--formt", "json"], "没有选项 '--formt'"),
        (["export"], "缺少参数 'FILE'"),
        (["export", "out.txt"], "'FILE' 的取值无效：文件名应以 .gpkg 或 .xlsx 结尾，而不是 'out.txt'"),
        (["gaps", "--kind", "no_such_gap"], "'--kind' 的取值无效：'no_such_gap' 不是 "),
    ],
)
def test_a_mistyped_command_is_told_in_chinese(args, says):
    """click's own refusals (a missing option, a bad value, an unknown command) read as ours do."""
    result = CliRunner().invoke(main, args, prog_name="gridsvc")
    assert result.exit_code == 2 and says in result.output, result.output
    assert "运行 'gridsvc" in result.output and "查看帮助" in result.output and "Error" not in result.output


def test_reset_asks_in_chinese_and_a_no_keeps_the_data(env, db):
    before = fingerprint(db)
    result = CliRunner().invoke(main, ["db", "reset"], env=env, input="n\n", prog_name="gridsvc")
    assert result.exit_code == 1 and "删除此数据库中 gridsvc 的全部数据？ [y/N]" in result.output
    assert "已中止！" in result.output and fingerprint(db) == before


def test_help_is_headed_in_chinese():
    shown = CliRunner().invoke(main, ["coverage", "--help"], prog_name="gridsvc").output
    assert shown.startswith("用法: gridsvc coverage") and "\n选项:\n" in shown and "显示此帮助并退出。" in shown
    create = CliRunner().invoke(main, ["plan", "create", "--help"], prog_name="gridsvc").output
    assert "[必填]" in create and "required" not in create


def test_export_and_import_again_changes_nothing(env, db, tmp_path):
    before = fingerprint(db)
    out = tmp_path / "all.gpkg"
    exported = CliRunner().invoke(main, ["export", str(out)], env=env)
    assert exported.exit_code == 0 and out.exists(), exported.output
    again = CliRunner().invoke(main, ["import", str(out)], env=env)
    assert again.exit_code == 0, again.output
    assert {k: v for k, v in fingerprint(db).items() if k not in ("audit_log", "imports")} == {
        k: v for k, v in before.items() if k not in ("audit_log", "imports")
    }


def test_snapshots_are_taken_and_listed(env):
    taken = CliRunner().invoke(main, ["snapshot", "--area", s.C1, "--note", "月初"], env=env)
    assert taken.exit_code == 0, taken.output
    listed = CliRunner().invoke(main, ["snapshot", "--list"], env=env).output
    assert s.C1 in listed and "月初" in listed


@pytest.mark.parametrize(
    "args, says",
    [
        (["import", "no-such-file.gpkg"], "文件不存在"),
        (["import", "notes.txt"], "无法识别的文件类型"),
        (["coverage", "--area", "12345"], "12345"),
        (["map", "grid", "999999999999999"], "没有编码为 '999999999999999' 的现行网格"),
        (["plan", "scores", "9999"], "没有方案 9999"),
        (["batch", "coverage", "--area", "999999"], "没有编码为 '999999' 的区、街道或社区"),
        (["report", "--area", s.C1, "-o", "report.doc"], "report.doc"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(env, tmp_path, args, says, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output


def test_alignment_and_plan_diff_speak_in_names(env):
    """Issue 16, item 3: what people read names buildings, people, Party groups, grids and metrics;
    ids and metric keys are not shown where a name exists."""
    aligned = CliRunner().invoke(main, ["alignment", s.C1], env=env)
    assert aligned.exit_code == 0, aligned.output
    assert "东社区（" in aligned.output and "4号楼  P2" in aligned.output and "楼栋长换网格（马）" in aligned.output
    assert "b4 " not in aligned.output and "BL4" not in aligned.output
    assert "重合度" in aligned.output and "IoU" not in aligned.output
    made = CliRunner().invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env)
    assert made.exit_code == 0, made.output
    plan_id = made.output.strip().splitlines()[-1]
    diff = CliRunner().invoke(main, ["plan", "diff", plan_id], env=env)
    assert diff.exit_code == 0, diff.output
    assert "两网融合率（按户）" in diff.output and "alignment_rate" not in diff.output
    assert "grid_leader_coverage" not in diff.output


def test_plan_scores_show_today_the_plan_and_the_best_with_their_meaning(env):
    """Issue 17, item 4: each figure before and after, the lowest possible, and what it means."""
    made = CliRunner().invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env)
    plan_id = made.output.strip().splitlines()[-1]
    shown = CliRunner().invoke(main, ["plan", "scores", plan_id], env=env)
    assert shown.exit_code == 0, shown.output
    assert "现状、方案与最好可能" in shown.output and "含义" in shown.output
    head, _, row = shown.output.splitlines()[:3]
    assert head.split()[7] == "边界比现状增减（米）" and row.split()[7][0] in "+-"  # metres, signed
    line = next(x for x in shown.output.splitlines() if x.startswith("两网融合率（按户）"))
    assert line.split()[1:4] == ["85.7%", "100.0%", "100.0%"]  # 90 of 105 households agree today
    line = next(x for x in shown.output.splitlines() if x.startswith("两项合计"))
    assert line.split()[3] == "15"  # the lower bound: b4 and b5
    line = next(x for x in shown.output.splitlines() if x.startswith("治理网格平均紧凑度"))
    before, after = float(line.split()[1]), float(line.split()[2])
    assert 0 < before <= 0.79 and abs(after - before) <= 0.02  # adopted, tidied (a gap filled)
    assert line.split()[3] == "—"  # no best: compactness is weighed, not bounded
    assert "边界比现状增减（米）。" not in shown.output  # an adopted plan: no price on boundary
    priced = CliRunner().invoke(main, ["plan", "scores", plan_id, "--boundary-weight", "2"], env=env)
    assert priced.exit_code == 0 and "+ 2×边界比现状增减（米）。" in priced.output
    cells = [line.split() for line in (row, priced.output.splitlines()[2])]
    assert float(cells[1][8]) == pytest.approx(float(cells[0][8]) + 2 * float(cells[0][7]), abs=1.5)
    refused = CliRunner().invoke(main, ["plan", "scores", plan_id, "--boundary-weight", "-1"], env=env)
    assert refused.exit_code == 2 and "--boundary-weight" in refused.output


def test_map_plan_writes_the_plan_map(env, tmp_path):
    """Issue 17, item 1: ``gridsvc map plan ID``; an unknown plan is a clear error, not a traceback."""
    made = CliRunner().invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env)
    plan_id = made.output.strip().splitlines()[-1]
    out = tmp_path / "plan.html"
    drawn = CliRunner().invoke(main, ["map", "plan", plan_id, "-o", str(out)], env=env)
    assert drawn.exit_code == 0, drawn.output
    page = out.read_text(encoding="utf-8")
    assert "现状、方案与最好可能" in page and "左：方案 ⇄ 右：现状" in page and s.G1 in page
    missing = CliRunner().invoke(main, ["map", "plan", "999"], env=env)
    assert missing.exit_code == 2 and "999" in missing.output and "Traceback" not in missing.output


def test_plan_edit_saves_the_next_version_and_refuses_clearly(env, tmp_path):
    """Issue 17, item 2 from the command line: the same edits the plan map sends, from a file."""
    made = CliRunner().invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env)
    plan_id = made.output.strip().splitlines()[-1]
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps({"edits": [{"op": "move", "buildings": ["b2"], "to": s.G2}]}), encoding="utf-8")
    tried = CliRunner().invoke(main, ["plan", "edit", plan_id, "--edits", str(edits), "--dry-run"], env=env)
    assert tried.exit_code == 0, tried.output
    assert "改动 1 栋 30 户" in tried.output and "已保存" not in tried.output  # b2: 30 households
    saved = CliRunner().invoke(main, ["plan", "edit", plan_id, "--edits", str(edits)], env=env)
    assert saved.exit_code == 0, saved.output
    new_id = saved.output.strip().splitlines()[-1]
    listed = CliRunner().invoke(main, ["plan", "versions", new_id], env=env).output
    assert "（第2版）" in listed and "工作台编辑" in listed and "workbench" not in listed
    edits.write_text(json.dumps([{"op": "merge", "grids": [s.G1]}]), encoding="utf-8")
    refused = CliRunner().invoke(main, ["plan", "edit", plan_id, "--edits", str(edits)], env=env)
    assert refused.exit_code == 2 and "第 1 步编辑（合并至少要选两个不同的网格）" in refused.output
    edits.write_text("not json", encoding="utf-8")
    broken = CliRunner().invoke(main, ["plan", "edit", plan_id, "--edits", str(edits)], env=env)
    assert broken.exit_code == 2 and "不是修改清单的 JSON 文件" in broken.output


def test_a_bad_proxy_list_is_named_in_chinese(db, settings):
    env = {"GRIDSVC_DATABASE_URL": settings.database_url, "GRIDSVC_TRUSTED_PROXIES": "10.0.0.1,gateway"}
    refused = CliRunner().invoke(main, ["db", "status"], env=env)
    assert refused.exit_code == 1 and "配置有误" in refused.output, refused.output
    assert "GRIDSVC_TRUSTED_PROXIES：'gateway' 不是 IP 地址或网段" in refused.output


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("grid", "GRIDSVC_ASSESSMENT_WEIGHTS：不是有效的 JSON"),
        ('{"org_count": 1}', "GRIDSVC_ASSESSMENT_WEIGHTS：'org_count' 不是比率指标"),
        ('{"grid_leader_coverage": -2}', "grid_leader_coverage 的权重应是 ≥ 0 的数"),
        ("1", "GRIDSVC_ASSESSMENT_WEIGHTS：应为对象"),
    ],
)
def test_bad_assessment_weights_are_named_without_a_traceback(db, settings, tmp_path, value, says):
    """A bad GRIDSVC_* value is named, in Chinese (配置有误), without a traceback."""
    env = {"GRIDSVC_DATABASE_URL": settings.database_url, "GRIDSVC_ASSESSMENT_WEIGHTS": value}
    made = CliRunner().invoke(main, ["report", "-o", str(tmp_path / "r.html")], env=env)
    assert made.exit_code in (1, 2) and says in made.output, made.output  # click: 1, an InvalidInput: 2
    assert "Traceback" not in made.output and not (tmp_path / "r.html").exists()


def test_targets_are_set_listed_beside_the_figure_and_removed(env):
    """C1's grid-leader rate is 50% (G1 has one leader, G2 two): a 95% target is short."""
    run = CliRunner()
    made = run.invoke(main, ["target", "set", s.C1, "grid_leader_coverage", "0.95", "--due", "2099-06-30"], env=env)
    assert made.exit_code == 0 and "已设定" in made.output, made.output
    shown = run.invoke(main, ["target", "list", "--area", s.DISTRICT, "--format", "json"], env=env)
    listed = json.loads(shown.output)
    assert [(t["area"], t["target"], t["current"], t["status"]) for t in listed] == [(s.C1, 0.95, 0.5, "open")]
    refused = run.invoke(main, ["target", "set", s.C1, "grid_leader_coverage", "95", "--due", "2099-06-30"], env=env)
    assert refused.exit_code != 0 and "应在 0 到 1 之间" in refused.output
    gone = run.invoke(main, ["target", "remove", s.C1, "grid_leader_coverage", "--due", "2099-06-30"], env=env)
    assert gone.exit_code == 0
    assert "没有目标" in run.invoke(main, ["target", "list", "--area", s.C1], env=env).output


def test_plans_users_and_history_read_in_chinese(env):
    """``plan list``, ``plan show``, ``plan versions``, ``history`` and ``user list`` once printed the
    stored codes (unified, adopt_governance, draft, governance) and "no users yet"."""
    from gridsvc.db.models import PLAN_ORIGINS, PLAN_STATUSES
    from gridsvc.labels import PLAN_ORIGIN_LABEL, PLAN_STATUS_LABEL

    assert set(PLAN_ORIGIN_LABEL) == set(PLAN_ORIGINS) and set(PLAN_STATUS_LABEL) == set(PLAN_STATUSES)
    run = CliRunner()
    assert run.invoke(main, ["user", "list"], env=env).output.strip() == "还没有用户（gridsvc user add 添加）"
    plan_id = run.invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env).output.split()[-1]
    listed = run.invoke(main, ["plan", "list"], env=env).output
    row = next(line for line in listed.splitlines() if line.split()[0] == plan_id)
    assert row.split()[3:6] == ["合一", "采用治理网格", "草稿"], row
    shown = run.invoke(main, ["plan", "show", plan_id], env=env).output
    assert "（来源 采用治理网格，状态 草稿，图层 合一）" in shown.splitlines()[0]
    history = run.invoke(main, ["history", "b1"], env=env).output
    assert {line.split()[0] for line in history.splitlines()[2:]} == {"党建", "治理"}, history
    never = run.invoke(main, ["history", "b1", "--on", "1900-01-01"], env=env)
    assert never.exit_code == 0 and never.output.strip() == "楼栋 b1 在 1900-01-01 不在任何网格"
    for output in (listed, shown, history):
        assert not {"unified", "adopt_governance", "draft", "governance", "party"} & set(output.split())
