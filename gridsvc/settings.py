"""Typed settings: the only reader of the environment (prefix ``GRIDSVC_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "gridsvc"


class Settings(BaseSettings):
    """Everything gridsvc can be configured with.

    ``database_url`` selects an existing PostgreSQL + PostGIS; without it gridsvc runs a private
    PostGIS cluster under ``home``.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDSVC_", extra="ignore")

    database_url: str | None = None
    home: Path = Field(default_factory=_default_home)
    host: str = "127.0.0.1"
    port: int = 8000
    maps_dir: Path = Path("maps")
    # The OS user that runs the private cluster when gridsvc itself runs as root.
    cluster_user: str = "postgres"
    api_max_features: int = 50_000
    # base map under the maps: none | xyz (basemap_url) | tianditu (tianditu_key) | amap (GCJ-02)
    basemap: str = "none"
    basemap_url: str | None = None
    tianditu_key: str | None = None

    # Thresholds of domain.md §4 (GRIDSVC_HOUSEHOLDS_MIN=250 ...), with its defaults.
    overlap_m2: float = 1.0
    gap_width_m: float = 1.0
    outside_m2: float = 1.0
    households_min: int = 300
    households_max: int = 500
    split_fraction: float = 0.05
    building_group_min_members: int = 3
    org_should_build_members: int = 3
    households_per_fulltime_worker: int = 500
