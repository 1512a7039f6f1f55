"""Shared by the admin pages' reads: local (Tashkent) days, substring match, pagination."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select

from extensions import db


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    return datetime.now(local_zone()).date()


def day_start(day: date | None, days: int = 0) -> datetime | None:
    """The UTC instant a local (Tashkent) calendar day starts, `days` later."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time(), local_zone()).astimezone(UTC)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str):
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


class WindowPage:
    """A page fetched with one extra row instead of a COUNT (message search over big tables).

    Quacks like Flask-SQLAlchemy's Pagination for the `pagination` macro; `total` is None and
    `pages` is only a lower bound (there is at least one more page when has_next).
    """

    def __init__(self, stmt: Select, page: int, per_page: int):
        self.page, self.per_page, self.total = max(page, 1), per_page, None
        rows = list(db.session.scalars(stmt.limit(per_page + 1).offset((self.page - 1) * per_page)))
        self.has_next = len(rows) > per_page
        self.items = rows[:per_page]
        self.has_prev = self.page > 1
        self.prev_num = self.page - 1 if self.has_prev else None
        self.next_num = self.page + 1 if self.has_next else None
        self.pages = self.page + 1 if self.has_next else self.page


def paginate(stmt: Select, page: int, per_page: int):
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
