"""One owner's statistics page: conversations, messages, customers, who answered, busy hours and
the questions asked most, over a range of local (Tashkent) days.

The same day arithmetic and message grouping as the admin's statistics (models/queries/stats.py),
narrowed to the owner; each figure is one grouped query over the owner's window of `messages`
(served by the (user_id, created_at) index). The test chat (platform "web") is the owner talking
to their own bot, so it is left out: these are the customers' figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, distinct, func, select

from extensions import db
from models.conversation import Conversation, Message
from models.owner_answer import gap_key
from models.queries.common import day_start
from models.queries.stats import day_key, day_list, local_day, local_hour, message_day_rows

CUSTOMER_CHANNELS = ("telegram", "whatsapp", "instagram")
TOP_QUESTIONS = 10
QUESTION_SAMPLE = 5000  # the newest questions of the range grouped for "asked most"


@dataclass
class OwnerStats:
    """Figures over [first, last] local days; per-day series are aligned with `days`."""

    days: list[str]
    messages: dict[str, list[int]]
    conversations: dict[str, list[int]]
    new_customers: list[int]
    returning_customers: list[int]
    customers: dict[str, int]  # total, new, returning over the whole range
    answered_by: dict[str, int]  # bot, owner, dont_know
    hours: list[int]
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    sampled: bool = False

    @property
    def total_messages(self) -> int:
        return sum(sum(v) for v in self.messages.values())

    @property
    def total_conversations(self) -> int:
        return sum(sum(v) for v in self.conversations.values())

    @property
    def total_replies(self) -> int:
        return sum(self.answered_by.values())

    def share(self, key: str) -> float:
        """A part of the replies as a fraction (0-1), for format_percent."""
        total = self.total_replies
        return self.answered_by.get(key, 0) / total if total else 0.0

    @property
    def busiest_hour(self) -> int | None:
        return max(range(24), key=lambda h: self.hours[h]) if any(self.hours) else None


def _customer_messages(user_id: int, first: date, last: date) -> list:
    return [
        Message.user_id == user_id,
        Message.created_at >= day_start(first),
        Message.created_at < day_start(last, 1),
        Message.sender == "customer",
        Message.platform.in_(CUSTOMER_CHANNELS),
    ]


def owner_stats(user_id: int, first: date, last: date) -> OwnerStats:
    """Every figure of the owner's statistics page."""
    days = day_list(first, last)
    index = {d: i for i, d in enumerate(days)}
    messages = {p: [0] * len(days) for p in CUSTOMER_CHANNELS}
    for d, platform, _status, _provider, n, _t_in, _t_out in message_day_rows(first, last, user_id):
        if platform in messages and d in index:
            messages[platform][index[d]] += n
    conversations, new, returning = _daily_conversations(user_id, first, last, index)
    questions, sampled = top_questions(user_id, first, last)
    return OwnerStats(
        days=days,
        messages=messages,
        conversations=conversations,
        new_customers=new,
        returning_customers=returning,
        customers=_customers(user_id, first, last),
        answered_by=_answered_by(user_id, first, last),
        hours=_hours(user_id, first, last),
        top_questions=questions,
        sampled=sampled,
    )


def _daily_conversations(user_id: int, first: date, last: date, index: dict[str, int]):
    """Conversations a customer wrote in, per day and channel; and per day, how many of them
    started that day (a new customer) or earlier (a returning one)."""
    day = local_day(Message.created_at)
    started_that_day = local_day(Conversation.created_at) == day
    rows = db.session.execute(
        select(
            day,
            Message.platform,
            func.count(distinct(Message.conversation_id)),
            func.count(distinct(case((started_that_day, Message.conversation_id)))),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*_customer_messages(user_id, first, last))
        .group_by(day, Message.platform)
    )
    conversations = {p: [0] * len(index) for p in CUSTOMER_CHANNELS}
    new, returning = [0] * len(index), [0] * len(index)
    for d, platform, total, fresh in rows:
        i = index.get(day_key(d))
        if i is None or platform not in conversations:
            continue
        conversations[platform][i] += total
        new[i] += fresh
        returning[i] += total - fresh
    return conversations, new, returning


def _customers(user_id: int, first: date, last: date) -> dict[str, int]:
    """Customers who wrote in the range: new (first wrote in it) and returning (wrote before)."""
    total, new = db.session.execute(
        select(
            func.count(distinct(Message.conversation_id)),
            func.count(
                distinct(
                    case((Conversation.created_at >= day_start(first), Message.conversation_id))
                )
            ),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*_customer_messages(user_id, first, last))
    ).one()
    return {"total": total, "new": new, "returning": total - new}


def _answered_by(user_id: int, first: date, last: date) -> dict[str, int]:
    """Replies in the range: the bot's (those that did not know apart) and the owner's own."""
    rows = db.session.execute(
        select(Message.sender, Message.dont_know, func.count())
        .where(
            Message.user_id == user_id,
            Message.created_at >= day_start(first),
            Message.created_at < day_start(last, 1),
            Message.direction == "out",
            Message.sender.in_(("bot", "owner")),
            Message.platform.in_(CUSTOMER_CHANNELS),
        )
        .group_by(Message.sender, Message.dont_know)
    )
    counts = {"bot": 0, "owner": 0, "dont_know": 0}
    for sender, dont_know, n in rows:
        counts["owner" if sender == "owner" else "dont_know" if dont_know else "bot"] += n
    return counts


def _hours(user_id: int, first: date, last: date) -> list[int]:
    """Customer messages per local hour of the day."""
    hour = local_hour(Message.created_at)
    hours = [0] * 24
    for h, n in db.session.execute(
        select(hour, func.count()).where(*_customer_messages(user_id, first, last)).group_by(hour)
    ):
        if h is not None and 0 <= int(h) < 24:
            hours[int(h)] += n
    return hours


def top_questions(user_id: int, first: date, last: date) -> tuple[list[tuple[str, int]], bool]:
    """The questions asked most, grouped by their content words as knowledge gaps are
    ("Dostavka bormi?" and "dostavka bormi" are one), each in its latest wording; and whether
    only the newest QUESTION_SAMPLE questions of the range were read."""
    texts = db.session.scalars(
        select(Message.text)
        .where(
            *_customer_messages(user_id, first, last),
            Message.kind == "text",
            Message.text.is_not(None),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())  # ties: the later stored
        .limit(QUESTION_SAMPLE + 1)
    ).all()
    sampled = len(texts) > QUESTION_SAMPLE
    counts: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for text in texts[:QUESTION_SAMPLE]:
        if key := gap_key(text):
            counts[key] += 1
            wording.setdefault(key, text.strip()[:300])
    return [(wording[k], n) for k, n in counts.most_common(TOP_QUESTIONS)], sampled
