"""``gridsvc import``, ``export`` and ``demo``: data in and out, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from gridsvc.analysis.crs import DATUMS
from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
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
        click.echo(f"note: {note}")
    for table, counts in result.counts.items():
        click.echo(f"  {table:<18}{counts}")
    click.echo("imported" if result.changed else "nothing changed: the database already holds this data")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--datum",
    type=click.Choice(DATUMS),
    default=None,
    help="Datum of lon/lat coordinates (gcj02 for AMap/Tencent, bd09 for Baidu).",
)
@click.option("--layer", default=None, help="Layer to read footprints from (non-exchange files).")
@click.pass_obj
@_fail_cleanly
def import_(settings: Settings, file: Path, datum: str | None, layer: str | None) -> None:
    """Import an exchange GeoPackage, or building footprints (OSM, GeoJSON, Shapefile, GeoPackage).

    All or nothing: any problem is reported with layer, feature and column, and nothing is stored.
    """
    click.echo(f"reading {file} ...", err=True)
    dataset = imports.read_file(file, datum, layer)
    progress = RowProgress(sum(dataset.rows().values()), "importing")
    try:
        result = imports.import_dataset(_engine(settings), dataset, str(file), imports.file_sha256(file), progress)
    finally:
        progress.close()
    _print_result(result)


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
@_fail_cleanly
def export(settings: Settings, file: Path) -> None:
    """Write everything stored to an exchange GeoPackage (EPSG:4490)."""
    if file.suffix.lower() != ".gpkg":
        raise click.BadParameter(f"the file name should end in .gpkg, got {file.name!r}", param_hint="FILE")
    written = imports.export_file(_engine(settings), file)
    for layer, rows in written.items():
        click.echo(f"  {layer:<18}{rows:>9}")
    click.echo(f"wrote {file}")


@click.command()
@click.option(
    "--osm",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Lay the overlay on the real footprints of this OSM file.",
)
@click.option("--seed", type=int, default=20240501, show_default=True)
@click.pass_obj
@_fail_cleanly
def demo(settings: Settings, osm: Path | None, seed: int) -> None:
    """Build the demo district: generated communities, grids, organizations, staff and planted gaps."""
    engine = _engine(settings)
    click.echo("generating the demo district (all data generated; 生成数据) ...", err=True)
    progress = RowProgress(None, "storing")
    try:
        result, demo_ = imports.build_demo(engine, seed, osm, progress)
    finally:
        progress.close()
    _print_result(result)
    click.echo(f"demo district {demo_.district_code}; planted gaps (埋设的问题):")
    for kind, items in demo_.plants.items.items():
        first = items[0]
        click.echo(f"  {kind:<24}{len(items):>4}  e.g. {first[0]}: {first[1]}")
