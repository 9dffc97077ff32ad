"""Readers for the exchange GeoPackage and building footprints (OSM, GeoJSON, Shapefile, GeoPackage).

Files a user brings never cause network access: GDAL (through pyogrio) and PROJ are configured here,
once for the process, to refuse every remote read (a GeoJSON ``crs`` link, a ``/vsicurl/`` path, a
PROJ grid download). gridsvc itself never needs them. ``list_layers`` is how every reader opens a
file: what GDAL cannot open is one line naming the file and GDAL's reason, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
import pyogrio.errors

from gridsvc.errors import InvalidInput
from gridsvc.ingest.encodings import zip_name_encoding

NO_NETWORK = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # nothing listens on the discard port: every HTTP(S) fetch fails at once
    "GDAL_HTTP_TIMEOUT": "1",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gridsvc-never",  # no /vsicurl/ file may be opened
    "PROJ_NETWORK": "OFF",
    "OSR_USE_NON_DEPRECATED": "YES",
}
os.environ["PROJ_NETWORK"] = "OFF"
pyogrio.set_gdal_config_options(NO_NETWORK)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file, as the user said it (``gridsvc import`` options); defaults guess nothing."""

    datum: str | None = None  # lon/lat datum: wgs84, cgcs2000, gcj02, bd09
    layer: str | None = None  # the footprint layer to read
    encoding: str | None = None  # attribute text encoding
    columns: dict[str, str] = field(default_factory=dict)  # building field -> the file's column
    default_use: str | None = None  # use of a building whose file says none (else ``unknown``)
    points: bool = False  # import points beside polygons as point buildings
    dissolve_duplicates: bool = False  # union pieces sharing an id into one building
    repair: bool = False  # make invalid footprints valid, listing what changed
    accept_moves: bool = False  # store an update that shifts many buildings alike (a datum mistake?)


def list_layers(path: Path, source=None) -> list:
    """The layers of a GIS file (read from ``source`` when given: its bytes), or a one-line error
    saying why GDAL cannot open it."""
    try:
        with warnings.catch_warnings(), zip_names_as_written(path):  # GDAL's complaints: said below in one line
            warnings.simplefilter("ignore", RuntimeWarning)
            return list(pyogrio.list_layers(path if source is None else source))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInput(f"{path}：无法作为 GIS 文件读取（{gdal_reason(exc, path)}）") from None


_ZIPS = threading.Lock()


@contextlib.contextmanager
def zip_names_as_written(path: Path):
    """GDAL, inside the block, reads the names in zip ``path`` in the encoding they are written in
    (``encodings.zip_name_encoding``). GDAL keeps an archive's names once read, so every reader opens
    a zip inside this block (``list_layers`` does); one zip at a time, as the setting is the process's."""
    if Path(path).suffix.lower() != ".zip":
        yield
        return
    with _ZIPS:
        pyogrio.set_gdal_config_options({"CPL_ZIP_ENCODING": zip_name_encoding(Path(path)) or "CP437"})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({"CPL_ZIP_ENCODING": None})


def gdal_reason(exc: Exception, path: Path) -> str:
    """GDAL's reason, short: its first clause, without the path it repeats."""
    return str(exc).split(";")[0].replace(f"'{path}' ", "").strip().rstrip(".")


DEFAULT_OPTIONS = ReadOptions()
