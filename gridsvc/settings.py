"""Typed settings: the only reader of the environment (prefix ``GRIDSVC_``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gridsvc.analysis.scene import Thresholds

_DEFAULTS = Thresholds()


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
    # a TrueType font with Chinese glyphs for PDF reports and report charts (default: WenQuanYi Zen Hei)
    report_font: Path | None = None
    # web pages of other origins that may call the API with a bearer token (CORS), comma separated;
    # cookies are never sent cross-origin (credentials are not allowed)
    cors_origins: str = ""
    # days to fix a gap (整改时限), by gap kind or severity, e.g. {"no_grid_leader": 15, "low": 120}
    # (JSON in GRIDSVC_DEADLINE_DAYS); unlisted ones: high 30, medium 60, low 90
    deadline_days: dict[str, int] = Field(default_factory=dict)
    # the assessment's weights (考核权重) by rate metric, e.g. {"grid_leader_coverage": 30, "alignment_rate": 10}
    # (JSON in GRIDSVC_ASSESSMENT_WEIGHTS); empty: the defaults of reports/bulletin.py
    assessment_weights: dict[str, float] = Field(default_factory=dict)
    # authentication: with auth_required every API request needs a bearer token (gridsvc user token,
    # or POST /api/auth/token); without it callers without a token act as an unrestricted admin
    auth_required: bool = False
    token_ttl_minutes: int = Field(default=480, gt=0)
    login_max_failures: int = Field(default=5, gt=0)  # failed logins per user name or client ...
    login_window_seconds: int = Field(default=900, gt=0)  # ... within this window, then refused
    # X-Forwarded-For is believed only from these proxies (addresses or networks, comma separated)
    trusted_proxies: str = ""
    max_upload_mb: float = Field(default=50, gt=0)  # larger request bodies answer 413 unread
    # database connections kept per server process (a new backend pays for loading PostGIS, so they are
    # kept, not opened per request); as many requests run at once (each holds at most one),
    # others wait up to request_wait_seconds, then answer 503 with Retry-After
    db_pool_size: int = Field(default=40, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout: float = Field(default=10, gt=0)
    request_wait_seconds: float = Field(default=30, gt=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{part.strip()!r} 不是 IP 地址或网段") from None
        return value

    @property
    def max_connections(self) -> int:
        """Database connections (and so requests at work) per server process."""
        return self.db_pool_size + self.db_max_overflow

    # Thresholds of domain.md §4 (GRIDSVC_HOUSEHOLDS_MIN=250 ...); defaults defined once, in Thresholds.
    overlap_m2: float = _DEFAULTS.overlap_m2
    gap_width_m: float = _DEFAULTS.gap_width_m
    outside_m2: float = _DEFAULTS.outside_m2
    households_min: int = _DEFAULTS.households_min
    households_max: int = _DEFAULTS.households_max
    split_fraction: float = _DEFAULTS.split_fraction
    building_group_min_members: int = _DEFAULTS.building_group_min_members
    org_should_build_members: int = _DEFAULTS.org_should_build_members
    households_per_fulltime_worker: int = _DEFAULTS.households_per_fulltime_worker
    reach_community_centre_m: float = _DEFAULTS.reach_community_centre_m
    reach_grid_station_m: float = _DEFAULTS.reach_grid_station_m
    need_open_days: int = _DEFAULTS.need_open_days
