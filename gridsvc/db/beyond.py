"""The tables of domain.md §8 (beyond the two coverages): service facilities, unit registrations,
co-building agreements, list items and unit seats, targets. Imported at the end of :mod:`gridsvc.db.models`, so they join its metadata."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Double, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridsvc.db.models import COBUILDING_LISTS, FACILITY_LEVELS, ITEM_STATUSES, SOURCES, Base, _geometry, _one_of


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


class CobuildingAgreement(Base):
    """A co-building agreement (共驻共建协议, §8.1): a community or street and a resident unit, from a
    date to a date (open-ended: none)."""

    __tablename__ = "cobuilding_agreements"
    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="cobuilding_agreements_dates"),
        _one_of("source", SOURCES, "cobuilding_agreements_source"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class CobuildingItem(Base):
    """An item of the three lists (需求、资源、项目清单, §8.1) of a community or street."""

    __tablename__ = "cobuilding_items"
    __table_args__ = (
        _one_of("list", COBUILDING_LISTS, "cobuilding_items_list"),
        _one_of("status", ITEM_STATUSES, "cobuilding_items_status"),
        _one_of("source", SOURCES, "cobuilding_items_source"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    list: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    building_id: Mapped[str | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    geom = mapped_column(_geometry("POINT"), nullable=True)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class UnitSeat(Base):
    """A unit Party secretary's seat on a community's committee (大党委兼职委员, §8.1)."""

    __tablename__ = "unit_seats"
    __table_args__ = (
        PrimaryKeyConstraint("community_code", "organization_id", name="unit_seats_pkey"),
        _one_of("source", SOURCES, "unit_seats_source"),
    )

    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    holder: Mapped[str | None] = mapped_column(Text)
    since: Mapped[dt.date | None] = mapped_column(Date)
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
