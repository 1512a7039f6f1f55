"""Shared column types and helpers for the models."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only kind of time we store)."""
    return datetime.now(UTC)


def database_away(exc: BaseException) -> bool:
    """Whether a database error means the server could not be reached or dropped the
    connection (worth another try once it is back), not that the statement was wrong. A pool
    with no connection free for its timeout (SQLAlchemy's TimeoutError) means every one of
    them is stuck on a server that does not answer."""
    return isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)) or bool(
        getattr(exc, "connection_invalidated", False)
    )


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite forgets offsets; we restore them)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use models.base.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys (ON DELETE CASCADE) and let threads wait for the write lock.

    SQLite's own lower() (behind SQLAlchemy's ILIKE and the name sort) changes ASCII letters
    only; Python's lower() makes "ДИЛНОЗА" find "Дилноза", as PostgreSQL does.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
