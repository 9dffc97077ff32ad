"""A set of exchange-format layers in memory: what imports produce, the demo builds, exports write."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Dataset:
    """Layers by exchange-format name (``communities``, ``grids``, ``buildings``...).

    Geometry layers are GeoDataFrames in EPSG:4490 with their exchange columns; attribute layers
    are DataFrames. ``source`` says where rows come from when the file does not: ``import``,
    ``osm`` or ``generated``.
    """

    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    source: str = "import"
    notes: list[str] = field(default_factory=list)  # things the reader wants the user to know

    def get(self, name: str) -> pd.DataFrame | None:
        return self.layers.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.layers

    def rows(self) -> dict[str, int]:
        return {name: len(df) for name, df in self.layers.items()}
