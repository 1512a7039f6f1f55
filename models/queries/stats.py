"""The statistics page's figures by local day, and the daily rollup of settled days."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.ai_config import Setting
from models.billing import Payment
from models.conversation import Message
from models.queries.common import day_start, local_today, local_zone
from models.stats import MessageDayStat
from models.user import User


def local_day(column):
    """The local calendar day of a UTC timestamp, on SQLite and on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"], column))
    offset = datetime.now(local_zone()).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def local_hour(column):
    """The local hour (0-23) of a UTC timestamp, on SQLite (as text) and on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
        return func.extract("hour", func.timezone(zone, column))
    offset = datetime.now(local_zone()).utcoffset() or timedelta()
    return func.strftime("%H", column, f"{int(offset.total_seconds() // 60):+d} minutes")


def day_key(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


@dataclass
class Stats:
    """Figures for the statistics page over [first, last] local days."""

    days: list[str]
    registrations: list[int]
    messages: dict[str, list[int]]
    answered: list[int]
    failed: list[int]
    platform_totals: dict[str, int]
    tokens: dict[str, dict[str, int]]
    cohort: dict[str, int]

    @property
    def top_platform(self) -> str | None:
        busy = {k: v for k, v in self.platform_totals.items() if v}
        return max(busy, key=busy.get) if busy else None

    @property
    def conversion_percent(self) -> float:
        """Paid owners among those whose trial has ended or who paid already."""
        decided = self.cohort["decided"]
        return round(100 * self.cohort["converted"] / decided, 1) if decided else 0.0


def day_list(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def platform_stats(first: date, last: date, now: datetime) -> Stats:
    """Registrations, messages by platform, answered vs failed, tokens and conversion by day.

    Messages are read in ONE grouped scan of the window; the rest is bucketed in Python.
    """
    start, end = day_start(first), day_start(last, days=1)
    days = day_list(first, last)
    index = {d: i for i, d in enumerate(days)}
    day = local_day(User.created_at)
    registrations = [0] * len(days)
    for d, n in db.session.execute(
        select(day, func.count())
        .where(User.is_admin.is_(False), User.created_at >= start, User.created_at < end)
        .group_by(day)
    ):
        if (key := day_key(d)) in index:
            registrations[index[key]] += n
    messages = {
        p: [0] * len(days) for p in ("telegram", "whatsapp", "instagram", "web-widget", "web")
    }
    answered, failed = [0] * len(days), [0] * len(days)
    tokens: dict[str, dict[str, int]] = {}
    for d, platform, status, provider, n, t_in, t_out in message_day_rows(first, last):
        i = index.get(d)
        if i is None:
            continue
        messages.setdefault(platform, [0] * len(days))[i] += n
        if status == "answered":
            answered[i] += n
        elif status == "failed":
            failed[i] += n
        if provider:
            entry = tokens.setdefault(provider, {"input": 0, "output": 0, "replies": 0})
            entry["input"] += int(t_in)
            entry["output"] += int(t_out)
            entry["replies"] += n
    return Stats(
        days=days,
        registrations=registrations,
        messages=messages,
        answered=answered,
        failed=failed,
        platform_totals={p: sum(v) for p, v in messages.items()},
        tokens=tokens,
        cohort=_cohort(start, end, now),
    )


def _query_message_days(first: date, last: date, user_id: int | None = None) -> list[tuple]:
    day = local_day(Message.created_at)
    window = [Message.created_at >= day_start(first), Message.created_at < day_start(last, 1)]
    if user_id is not None:  # one owner's figures: the (user_id, created_at) index serves them
        window.append(Message.user_id == user_id)
    rows = db.session.execute(
        select(
            day,
            Message.platform,
            Message.status,
            Message.provider,
            func.count(),
            func.coalesce(func.sum(Message.tokens_in), 0),
            func.coalesce(func.sum(Message.tokens_out), 0),
        )
        .where(*window)
        .group_by(day, Message.platform, Message.status, Message.provider)
    )
    return [(day_key(d), *rest) for d, *rest in rows]


def message_day_rows(first: date, last: date, user_id: int | None = None) -> list[tuple]:
    """(day, platform, status, provider, count, tokens in, tokens out) for the local days given,
    of the whole platform or of one owner.

    Platform-wide, days the rollup has covered are read from `message_day_stats` (which has no
    owner) and the rest from `messages`; one owner's days are always read from `messages`.
    """
    if user_id is not None:
        return _query_message_days(first, last, user_id)
    through = rolled_up_through()
    live_from = first
    rows: list[tuple] = []
    if through is not None and first <= through:
        live_from = through + timedelta(days=1)
        stored = db.session.execute(
            select(
                MessageDayStat.day,
                MessageDayStat.platform,
                MessageDayStat.status,
                MessageDayStat.provider,
                MessageDayStat.messages,
                MessageDayStat.tokens_in,
                MessageDayStat.tokens_out,
            ).where(MessageDayStat.day >= first, MessageDayStat.day <= min(last, through))
        )
        rows = [(day_key(d), pl, st, pr or None, n, ti, to) for d, pl, st, pr, n, ti, to in stored]
    if live_from <= last:
        rows += _query_message_days(live_from, last)
    return rows


# --- the daily rollup --------------------------------------------------------------------------
# A day is settled once the day after it is over: replies, retries and the stale-message
# recovery all finish within minutes. The marker records the last rolled-up day and the time
# zone the days were cut in, so a changed BABEL_DEFAULT_TIMEZONE starts the rollup afresh.
ROLLUP_KEY = "stats.rolled_up_through"


def last_settled_day() -> date:
    return local_today() - timedelta(days=2)


def rolled_up_through() -> date | None:
    """The last day `message_day_stats` holds, or None when nothing valid is rolled up."""
    value = Setting.get(ROLLUP_KEY)
    if not value:
        return None
    mark = json.loads(value)
    if mark.get("zone") != current_app.config["BABEL_DEFAULT_TIMEZONE"]:
        return None
    return date.fromisoformat(mark["through"])


def rollup_message_days(*, rebuild: bool = False) -> dict[str, int]:
    """Store the figures of every settled day not stored yet; safe on many workers at once.

    `rebuild` throws the stored days away first (after messages were imported or seeded with
    past dates). Two processes rolling up together collide on the primary key: the loser rolls
    back and the winner's rows stand.
    """
    through = None if rebuild else rolled_up_through()
    last = last_settled_day()
    if through is None:
        oldest = db.session.scalar(select(func.min(Message.created_at)))
        first = oldest.astimezone(local_zone()).date() if oldest else last + timedelta(days=1)
    else:
        first = through + timedelta(days=1)
    if first > last and through is not None:
        return {"days": 0, "rows": 0}
    rows = _query_message_days(first, last) if first <= last else []
    stale = delete(MessageDayStat)
    if through is not None:  # leftovers of a run that lost its marker; otherwise nothing
        stale = stale.where(MessageDayStat.day >= first)
    db.session.execute(stale)
    if rows:
        db.session.execute(
            insert(MessageDayStat),
            [
                {
                    "day": date.fromisoformat(d),
                    "platform": platform,
                    "status": status,
                    "provider": provider or "",
                    "messages": n,
                    "tokens_in": int(t_in),
                    "tokens_out": int(t_out),
                }
                for d, platform, status, provider, n, t_in, t_out in rows
            ],
        )
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    Setting.put(ROLLUP_KEY, json.dumps({"through": last.isoformat(), "zone": zone}))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"days": 0, "rows": 0}
    return {"days": max(0, (last - first).days + 1), "rows": len(rows)}


def _cohort(start: datetime, end: datetime, now: datetime) -> dict[str, int]:
    """Owners who registered in the window: how many have decided (trial over or paid) and paid."""
    in_window = and_(User.is_admin.is_(False), User.created_at >= start, User.created_at < end)
    ever_paid = or_(User.plan_expires_at.is_not(None), exists().where(Payment.user_id == User.id))
    registered, decided, converted = db.session.execute(
        select(
            func.count(),
            func.count().filter(or_(User.trial_ends_at <= now, ever_paid)),
            func.count().filter(ever_paid),
        ).where(in_window)
    ).one()
    return {"registered": registered, "decided": decided, "converted": converted}
