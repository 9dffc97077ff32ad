"""Writing the exchange GeoPackage: the layers of exchange-format.md, in EPSG:4490."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gridsvc.dataset import Dataset
from gridsvc.errors import InvalidInput
from gridsvc.ingest.schema import LAYERS, Layer

_DTYPES = {"int": "Int64", "number": "Float64", "bool": "boolean", "text": "string", "date": "object"}


def write_exchange(dataset: Dataset, path: Path) -> dict[str, int]:
    """Write every non-empty layer to ``path`` (replaced if it exists); return rows per layer."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InvalidInput(f"导出为 GeoPackage：文件名应以 .gpkg 结尾，而不是 {path.name!r}")
    if path.exists():
        path.unlink()
    written: dict[str, int] = {}
    for layer in LAYERS:
        frame = dataset.get(layer.name)
        if frame is None or frame.empty:
            continue
        pyogrio.write_dataframe(_typed(frame, layer), path, layer=layer.name, driver="GPKG")
        written[layer.name] = len(frame)
    return written


def _typed(frame: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    columns = [c for c in (*layer.columns, *layer.extra) if c.name in frame.columns]
    out = pd.DataFrame({c.name: frame[c.name].astype(_DTYPES[c.type]) for c in columns}, index=frame.index)
    if layer.geometry is None:
        return out
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=4490)
