"""Tables beside the data: the data version caches key on (migration 0002), and the accounts and
audit log (migration 0005), which are the owner's alone: no scoped role reads them. Part of
``Base.metadata`` (imported at the end of :mod:`gridsvc.db.models`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridsvc.db.models import Base, _one_of


class DataVersion(Base):
    """One row whose ``version`` triggers move on every change of the data tables (migration 0002):
    caches key on it."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="data_version_id_check"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class User(Base):
    """A person who logs in: a role and an area scope (None only for admins: everything)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("name ~ '^[A-Za-z0-9_.@-]{1,64}$'", name="users_name_check"),
        _one_of("role", ("admin", "planner", "leader", "viewer"), "users_role_check"),
        CheckConstraint("scope ~ '^(\\d{6}|\\d{9}|\\d{12}|\\d{15})$'", name="users_scope_check"),
        CheckConstraint("scope IS NOT NULL OR role = 'admin'", name="users_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(15))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Token(Base):
    """A bearer token, kept only as its SHA-256; it ends at ``expires_at`` or with its user."""

    __tablename__ = "tokens"
    __table_args__ = (Index("tokens_user", "user_id"),)

    digest: Mapped[str] = mapped_column(CHAR(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed login, counted by user name and by client address (the login brake)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("login_failures_name", "user_name", "at"), Index("login_failures_client", "client", "at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(Text)
    client: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEntry(Base):
    """One write: who (the session's ``gridsvc.actor``), when, what, and the data before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("audit_log_at", text("at DESC")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(
        Text,
        server_default=text("coalesce(nullif(current_setting('gridsvc.actor', true), ''), 'sql:' || session_user)"),
    )
    action: Mapped[str] = mapped_column(Text)
    target_type: Mapped[str] = mapped_column(Text)
    target_id: Mapped[str | None] = mapped_column(Text)
    before = mapped_column(JSONB, nullable=True)
    after = mapped_column(JSONB, nullable=True)
