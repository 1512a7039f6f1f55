"""The answers written on the platform's AI key, counted per day (the daily quota)."""

from __future__ import annotations

import threading
import time
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
        """One more answer today. Counted in this process and added to the day's row at most
        every COUNT_EVERY_SECONDS (add_counted: one upsert for all of them), so every worker
        of every instance counts, and this process's quota check sees its own at once.

        The day has one row for every answer of the platform: an upsert and a commit of
        every answer's own was a round trip and a transaction each, all on that one row (and
        counted in the answer's transaction, the row stayed locked until it committed and
        every other answering thread queued on it: issue 12, five sessions waiting on average
        at 25 answers a second). A process killed outright loses its last second's count (a
        quota is a cost guard: a few answers of thousands); one stopping adds it
        (pipeline/dispatch.py), and its dispatcher adds what is due even when no answer
        follows."""
        with _lock:
            _counted[day] = _counted.get(day, 0) + 1
        cls.add_counted(due_only=True)

    @classmethod
    def add_counted(cls, due_only: bool = False) -> None:
        """Add what this process counted to the days' rows (`due_only`: only when the last
        addition is COUNT_EVERY_SECONDS old). On PostgreSQL a transaction of its own,
        committed at once: the row is not held for the rest of the caller's work (a caller
        in an open transaction would hold a second connection of the pool meanwhile; its one
        caller, pipeline/engine.py after the provider answered, holds none). On SQLite, one
        writer at a time, a second connection would wait on the session's own write: it is
        added in the session there."""
        with _lock:
            now = _clock()
            if not _counted or (due_only and now - _added[0] < COUNT_EVERY_SECONDS):
                return
            taken = dict(_counted)
            _counted.clear()
            _added[0] = now
        for day, answers in taken.items():
            bound = {"p_day": day, "p_n": answers}
            try:
                if db.engine.dialect.name == "sqlite":
                    used = db.session.scalar(cls.counting(), bound)
                else:
                    with db.engine.begin() as connection:
                        used = connection.scalar(cls.counting(), bound)
            except Exception:
                with _lock:  # counted again with the next addition
                    _counted[day] = _counted.get(day, 0) + answers
                raise
            keep_value(("platform_answers", day), used)  # every instance's answers are in it

    @staticmethod
    def counting():
        """The statement counting answers on the bound day (`p_day`; `p_n` of them, one
        unless bound): an atomic upsert of its row, returning the count."""
        return _counting(db.engine.dialect.name)

    @classmethod
    def platform_answers_on(cls, day: date) -> int:
        """The day's count, with what this process counted and has not added yet; within
        kept_reads() as this process last read or added it, at most KEPT_SECONDS ago."""
        stored = kept_value(
            ("platform_answers", day),
            lambda: db.session.scalar(select(cls.platform_answers).where(cls.day == day)) or 0,
        )
        with _lock:
            return stored + _counted.get(day, 0)


def forget_counted() -> None:
    """Drop what this process counted and has not added (tests: the tables are emptied)."""
    with _lock:
        _counted.clear()
        _added[0] = float("-inf")


# What this process counted and has not added to the days' rows yet, and when it last added.
COUNT_EVERY_SECONDS = 1.0
_clock = time.monotonic
_counted: dict[date, int] = {}
_added = [float("-inf")]
_lock = threading.Lock()


@cache
def _counting(dialect_name: str):
    """The upsert counting p_n answers (one unless bound) on the bound day (p_day), returning
    the count; built once."""
    t = AIUsage.__table__
    insert = (sqlite if dialect_name == "sqlite" else postgresql).insert(t)
    answers = bindparam("p_n", 1, type_=Integer)
    insert = insert.values(day=bindparam("p_day", type_=t.c.day.type), platform_answers=answers)
    return insert.on_conflict_do_update(
        index_elements=["day"], set_={"platform_answers": t.c.platform_answers + answers}
    ).returning(t.c.platform_answers)
