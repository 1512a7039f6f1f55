"""The answers written on the platform's AI key, counted per day (the daily quota)."""

from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import Date, Integer, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.ai_config import keep_value, kept_value


class AIUsage(db.Model):
    """Answers written on the platform's AI key, per UTC day: the daily quota reads one row
    instead of counting the day's messages before every answer."""

    __tablename__ = "ai_usage_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform_answers: Mapped[int] = mapped_column(Integer, default=0)

    @classmethod
    def count_platform_answer(cls, day: date) -> None:
        """One more answer today: an atomic upsert, so every worker of every instance counts.

        On PostgreSQL it is a transaction of its own, committed at once. The day has one row
        for every answer of the platform: counted in the answer's transaction, the row stayed
        locked until that transaction committed (the reply recorded, a lease renewed), and
        every other answering thread queued on it (issue 12: five sessions waiting on average
        at 25 answers a second). The call was made, so it counts even if recording the reply
        fails afterwards. The count it returns is what this process's quota check reads next
        (platform_answers_on). On SQLite, one writer at a time, a second connection would wait
        on the session's own write: it is counted in the session there. Its one caller
        (pipeline/engine.py, after the provider answered) holds no connection then: a caller
        inside an open transaction would hold one connection of the pool while taking a second."""
        counting, bound = cls.counting(), {"p_day": day}
        if db.engine.dialect.name == "sqlite":
            used = db.session.scalar(counting, bound)
        else:
            with db.engine.begin() as connection:
                used = connection.scalar(counting, bound)
        keep_value(("platform_answers", day), used)  # every instance's answers are in it

    @staticmethod
    def counting():
        """The statement counting one more answer on the bound day (`p_day`): an atomic
        upsert of its row, returning the count."""
        return _counting(db.engine.dialect.name)

    @classmethod
    def platform_answers_on(cls, day: date) -> int:
        """The day's count; within kept_reads() as this process last read or counted it, at
        most KEPT_SECONDS ago (under load, its own last answer's count)."""
        return kept_value(
            ("platform_answers", day),
            lambda: db.session.scalar(select(cls.platform_answers).where(cls.day == day)) or 0,
        )


@cache
def _counting(dialect_name: str):
    """The upsert counting one more answer on the bound day (p_day), returning the count; built
    once (every answer on the platform's key runs it)."""
    t = AIUsage.__table__
    insert = (sqlite if dialect_name == "sqlite" else postgresql).insert(t)
    insert = insert.values(day=bindparam("p_day", type_=t.c.day.type), platform_answers=1)
    return insert.on_conflict_do_update(
        index_elements=["day"], set_={"platform_answers": t.c.platform_answers + 1}
    ).returning(t.c.platform_answers)
