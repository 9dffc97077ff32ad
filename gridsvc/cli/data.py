"""``gridsvc import``, ``export`` and ``demo``: data in and out, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from gridsvc.analysis.crs import DATUMS
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.db.models import BUILDING_USES
from gridsvc.errors import ImportRejected
from gridsvc.ingest import ReadOptions
from gridsvc.ingest.columns import parse_mapping
from gridsvc.labels import say
from gridsvc.services import imports
from gridsvc.settings import Settings


class RowProgress:
    """A progress bar over rows written, shown on a terminal only."""

    def __init__(self, total: int | None, label: str):
        self.bar = tqdm(total=total, desc=label, unit=" rows", disable=None, file=sys.stderr)

    def __call__(self, table: str, rows: int) -> None:
        self.bar.set_postfix_str(table)
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


def _print_result(result: imports.ImportResult) -> None:
    for note in result.notes:
        click.echo(say("note", note=note))
    for table, counts in result.counts.items():
        click.echo(f"  {table:<23}{counts}")
    click.echo(say("imported" if result.changed else "unchanged"))


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--datum",
    type=click.Choice(DATUMS),
    default=None,
    help="经纬度的坐标系（高德、腾讯为 gcj02，百度为 bd09）。Datum of lon/lat coordinates.",
)
@click.option("--layer", default=None, help="读取楼栋轮廓的图层（非交换格式文件）。Layer to read footprints from.")
@click.option(
    "--encoding",
    default=None,
    help="属性文字的编码，如 gbk（默认：按 .cpg，否则 UTF-8，再否则 GB18030）。Text encoding of the attributes.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="指定字段取自哪一列，如 floors=Floor（可重复）。Read a building field from this column.",
)
@click.option(
    "--default-use",
    type=click.Choice([u for u in BUILDING_USES if u != "unknown"]),
    default=None,
    help="文件未写用途的楼栋用途（默认 unknown，不估算户数；OSM 的 building=yes 默认 other）。Use of buildings whose file says none.",
)
@click.option("--points", is_flag=True, help="点要素也作为楼栋导入。Import points beside polygons as buildings.")
@click.option("--dissolve-duplicates", is_flag=True, help="合并编号相同的碎片为一栋楼。Union pieces that share an id.")
@click.option("--repair", is_flag=True, help="修复无效轮廓并列出改动。Make invalid footprints valid, listing changes.")
@click.option(
    "--accept-moves",
    is_flag=True,
    help="接受大批楼栋同向位移（疑似坐标系错误）。Store an update that shifts many buildings alike.",
)
@click.option(
    "--problems",
    "problems_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="把全部问题写入 CSV 文件。Write every problem found to this CSV file.",
)
@click.pass_obj
@_fail_cleanly
def import_(settings: Settings, file: Path, columns: tuple[str, ...], problems_csv: Path | None, **chosen) -> None:
    """导入交换格式 GeoPackage、楼栋轮廓（OSM、GeoJSON、Shapefile、GeoPackage）或台账（Excel、CSV）。

    Import an exchange GeoPackage, building footprints, or ledgers (.xlsx, .csv).

    All or nothing: any problem is reported with layer, feature and column, and nothing is stored.
    """
    options = ReadOptions(columns=parse_mapping(columns), **chosen)
    click.echo(say("reading", file=file), err=True)
    engine = _engine(settings)
    try:
        dataset = imports.read_checked(engine, file, options)
        progress = RowProgress(sum(dataset.rows().values()), "importing")
        try:
            result = imports.import_dataset(engine, dataset, str(file), imports.file_sha256(file), progress, options)
        finally:
            progress.close()
    except ImportRejected as exc:
        if problems_csv is not None:
            imports.write_problems(exc.problems, problems_csv)
            click.echo(say("problems_written", count=len(exc.problems), path=problems_csv), err=True)
        elif len(exc.problems) > exc.max_listed:
            click.echo(say("problems_more"), err=True)
        raise
    _print_result(result)


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_fail_cleanly
def export(settings: Settings, file: Path) -> None:
    """导出全部数据：交换格式 GeoPackage（.gpkg，EPSG:4490）或台账 Excel（.xlsx）。Export everything stored."""
    if file.suffix.lower() not in (".gpkg", ".xlsx"):
        raise click.BadParameter(f"文件名应以 .gpkg 或 .xlsx 结尾，而不是 {file.name!r}", param_hint="'FILE'")
    written, outside = imports.export_file(_engine(settings), file)
    for layer, rows in written.items():
        click.echo(f"  {layer:<23}{rows:>9}")
    click.echo(say("wrote", path=file))
    if outside:  # the file is written: what a new database would refuse in it is said, not hidden
        shown = outside[: ImportRejected.max_listed]
        click.echo(
            say(
                "export_outside",
                count=len(outside),
                file=file.name,
                shown=ImportRejected.max_listed,
                more=len(outside) - len(shown),
            ),
            err=True,
        )
        click.echo("".join(f"  {problem}\n" for problem in shown), err=True, nl=False)


@click.command()
@click.option(
    "--osm",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="在此 OSM 文件的真实楼栋轮廓上生成。Use the real footprints of this OSM file.",
)
@click.option("--seed", type=int, default=20240501, show_default=True)
@click.pass_obj
@_fail_cleanly
def demo(settings: Settings, osm: Path | None, seed: int) -> None:
    """生成演示区：社区、网格、组织、人员和埋设的问题（全部为生成数据）。Build the demo district."""
    engine = _engine(settings)
    click.echo(say("demo_start"), err=True)
    progress = RowProgress(None, "storing")
    try:
        result, demo_ = imports.build_demo(engine, seed, osm, progress)
    finally:
        progress.close()
    _print_result(result)
    click.echo(say("demo_done", code=demo_.district_code))
    for kind, items in demo_.plants.items.items():
        first = items[0]
        click.echo(say("demo_gap", kind=kind, count=len(items), where=first[0], text=first[1]))
