"""Chinese names in the encodings real files come in (issue 14, item 1): a GBK shapefile without a
``.cpg`` and a GBK GeoJSON are read right and say which encoding was used; a UTF-8 shapefile without
``.cpg`` stays UTF-8; ``--encoding`` decides when given. Never mojibake like ``ÐÒ¸£Ð¡Çø``."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import text

from gridsvc.cli import main

NAMES = ["幸福小区1号楼", "和平里2号楼"]


def _buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["x1", "x2"], "name": NAMES, "use": ["residential"] * 2, "households": [30, 40]},
        geometry=[shapely.box(118.78, 32.04, 118.7802, 32.0402), shapely.box(118.781, 32.04, 118.7812, 32.0402)],
        crs=4326,
    )


def _shapefile(tmp_path, encoding: str):
    path = tmp_path / f"{encoding}.shp"
    _buildings().to_file(path, encoding=encoding)
    for cpg in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
        cpg.unlink(missing_ok=True)  # as many real shapefiles come: no word on their encoding
    return path


def _names(db) -> list[str]:
    with db.connect() as conn:
        return list(conn.execute(text("SELECT name FROM buildings ORDER BY id")).scalars())


@pytest.mark.parametrize(
    "encoding, said", [("GBK", "文字按 GB18030 读取（不是有效的 UTF-8）"), ("UTF-8", "文字按 UTF-8 读取")]
)
def test_a_shapefile_without_cpg_is_read_in_its_encoding_and_says_so(env, db, tmp_path, encoding, said):
    result = CliRunner().invoke(main, ["import", str(_shapefile(tmp_path, encoding))], env=env)
    assert result.exit_code == 0, result.output
    assert "没有 .cpg 文件" in result.output and said in result.output
    assert _names(db) == NAMES


def test_a_gbk_geojson_is_read_not_a_traceback(env, db, tmp_path):
    path = tmp_path / "gbk.geojson"
    path.write_bytes(json.dumps(json.loads(_buildings().to_json()), ensure_ascii=False).encode("gbk"))
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "文字按 GB18030 读取" in result.output and _names(db) == NAMES


def test_encoding_can_be_given_and_a_wrong_name_is_refused(env, db, tmp_path):
    path = _shapefile(tmp_path, "GBK")
    assert CliRunner().invoke(main, ["import", str(path), "--encoding", "gbk"], env=env).exit_code == 0
    assert _names(db) == NAMES
    again = CliRunner().invoke(main, ["import", str(path)], env=env)  # detected the same: nothing changes
    assert again.exit_code == 0 and "没有变化" in again.output and _names(db) == NAMES
    wrong = CliRunner().invoke(main, ["import", str(path), "--encoding", "nonsense"], env=env)
    assert wrong.exit_code == 2 and "不是已知的文字编码" in wrong.output


def test_a_zipped_gbk_shapefile_without_cpg_keeps_its_chinese_columns(env, db, tmp_path):
    """As survey offices send them: a shapefile zipped, column names and values in GBK, no ``.cpg``.
    GDAL reads text in a zip as Latin-1 (名称 became Ãû³Æ and the column was ignored)."""
    frame = _buildings().rename(columns={"name": "名称", "use": "用途", "households": "户数"})
    frame["层数"] = [6, 11]
    path = _shapefile(tmp_path, "GBK")
    frame.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    archive = tmp_path / "楼栋.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in path.parent.glob("GBK.*"):
            zipped.write(part, part.name)
    result = CliRunner().invoke(main, ["import", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert "楼栋.zip：GBK.shp：没有 .cpg 文件；文字按 GB18030 读取" in result.output
    assert _names(db) == NAMES
    with db.connect() as conn:
        assert list(conn.execute(text("SELECT floors FROM buildings ORDER BY id")).scalars()) == [6, 11]


def _zip_with_gbk_names(tmp_path, stem: str):
    """A zip as Chinese Windows zip tools write one: member names in GBK bytes, without the flag
    that says UTF-8 (Python's zipfile always sets it, so the names are written ASCII and patched)."""
    path = _shapefile(tmp_path, "GBK")
    frame = _buildings().rename(columns={"name": "名称"})
    frame.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    placeholder = "x" * len(stem.encode("gbk"))
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zipped:
        for part in path.parent.glob("GBK.*"):
            zipped.write(part, placeholder + part.suffix)
    archive = tmp_path / "测绘成果.zip"
    archive.write_bytes(plain.read_bytes().replace(placeholder.encode() + b".", stem.encode("gbk") + b"."))
    return archive


def test_a_zip_whose_member_names_are_gbk_shows_them_in_chinese(env, db, tmp_path):
    """The layer of 楼栋.shp zipped on a Chinese Windows machine was named '┬Ñ╢░' in every note,
    problem and in what --layer takes: the zip's names were read as the zip standard's default, CP437."""
    archive = _zip_with_gbk_names(tmp_path, "楼栋")
    result = CliRunner().invoke(main, ["import", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert "测绘成果.zip：压缩包里的文件名按 GB18030 读取（未注明编码）" in result.output
    assert "测绘成果.zip：楼栋.shp：没有 .cpg 文件；文字按 GB18030 读取" in result.output
    assert "图层 '楼栋'：读取的列：" in result.output
    assert "┬" not in result.output
    assert _names(db) == NAMES
    named = CliRunner().invoke(main, ["import", str(archive), "--layer", "楼栋"], env=env)
    assert named.exit_code == 0 and "没有变化" in named.output, named.output
