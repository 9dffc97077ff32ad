"""The tables of domain.md §8 (beyond the two coverages): service facilities, unit registrations,
targets. Imported at the end of :mod:`gridsvc.db.models`, so they join its metadata."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Double, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridsvc.db.models import FACILITY_LEVELS, SOURCES, Base, _geometry, _one_of


class Facility(Base):
    """A service facility (党群服务中心 / 站, domain.md §8.4): a point with a level and a floor area."""

    __tablename__ = "facilities"
    __table_args__ = (
        _one_of("level", FACILITY_LEVELS, "facilities_level"),
        _one_of("source", SOURCES, "facilities_source"),
        Index("facilities_geom_gist", "geom", postgresql_using="gist"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(24))
    floor_area: Mapped[int | None] = mapped_column(Integer)
    building_id: Mapped[str | None] = mapped_column(ForeignKey("buildings.id"))
    geom = mapped_column(_geometry("POINT"), nullable=False)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class UnitRegistration(Base):
    """A resident unit's Party organization registered with a community (单位到社区报到, §8.1)."""

    __tablename__ = "unit_registrations"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "community_code", name="unit_registrations_pkey"),
        _one_of("source", SOURCES, "unit_registrations_source"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class Target(Base):
    """A target (目标, domain.md §8.5): an area's metric should reach ``value`` by ``due_date``."""

    __tablename__ = "targets"
    __table_args__ = (
        PrimaryKeyConstraint("area_code", "metric", "due_date", name="targets_pkey"),
        CheckConstraint("value >= 0", name="targets_value"),
        _one_of("source", SOURCES, "targets_source"),
    )

    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Double)
    due_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), server_default="import")
