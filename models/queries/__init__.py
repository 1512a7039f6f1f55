"""Read queries for the admin pages and the owner's banner: views stay thin, templates never query.

Every list is built to stay fast at 10,000 owners and 1,000,000 messages: filters hit indexed
columns, per-row extras (channels, counts, last message) are fetched for a whole page in one
query each, and message-text search is confined to a date window.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, delete, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload

from core.phone import PhoneError, normalize_phone
from extensions import db
from models import search
from models.admin_log import AdminLog
from models.ai_config import AIConfig, PlatformAI, Setting
from models.announcement import Announcement, AnnouncementDismissal
from models.billing import Payment, PlanRequest
from models.channel import CHANNEL_MODELS
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase
from models.marketing import MarketingMessage
from models.stats import MessageDayStat
from models.user import User

USERS_PER_PAGE = 50
CONVERSATIONS_PER_PAGE = 50
LOGS_PER_PAGE = 50
SEARCH_DEFAULT_DAYS = 7  # message search looks this far back unless a date range is given
KB_PREVIEW_CHARS = 2000
CONVERSATION_MESSAGE_LIMIT = 500
USER_STATUSES = ("free", "trial", "paid", "expired", "banned")
AUDIENCES = ("all", "trial", "paid", "expired")
CUSTOMER_PLATFORMS = ("telegram", "whatsapp", "instagram")


# --- dates -----------------------------------------------------------------------------------
def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    return datetime.now(local_zone()).date()


def day_start(day: date | None, days: int = 0) -> datetime | None:
    """The UTC instant a local (Tashkent) calendar day starts, `days` later."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time(), local_zone()).astimezone(UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, text: str):
    return column.ilike(f"%{_escape_like(text)}%", escape="\\")


# --- pagination without a total --------------------------------------------------------------
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


def _paginate(stmt: Select, page: int, per_page: int):
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


# --- users -----------------------------------------------------------------------------------
USER_SORTS = {
    "newest": (User.created_at.desc(), User.id.desc()),
    "name": (func.lower(User.full_name), User.id),
    "trial_end": (User.trial_ends_at.asc(), User.id),
    "plan_expiry": (User.plan_expires_at.asc().nulls_last(), User.id),
}


def user_search_clause(q: str):
    """Name or e-mail containing q, or the phone: exact when q parses as a number, else digits."""
    q = q.strip()[:100]
    conditions = [_contains(User.full_name, q), _contains(User.email, q)]
    try:
        conditions.append(User.phone == normalize_phone(q))
    except PhoneError:
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3:
            conditions.append(User.phone.like(f"%{digits}%"))
    return or_(*conditions)


def _status_condition(status: str, now: datetime):
    if status == "free":
        return or_(User.status_clause("trial", now), User.status_clause("expired", now))
    return User.status_clause(status, now)


def _has_channel(platform: str):
    model = CHANNEL_MODELS[platform]
    return exists().where(model.user_id == User.id)


def _has_kb():
    return exists().where(KnowledgeBase.user_id == User.id, KnowledgeBase.is_active.is_(True))


def users_query(
    q: str = "",
    status: str = "",
    platform: str = "",
    sort: str = "newest",
    now=None,
    kb: str = "",
) -> Select:
    """Owners (never admins) filtered by text, status, connected platform and knowledge base."""
    stmt = select(User).where(User.is_admin.is_(False))
    if kb == "yes":
        stmt = stmt.where(_has_kb())
    elif kb == "no":
        stmt = stmt.where(~_has_kb())
    if q.strip():
        stmt = stmt.where(user_search_clause(q))
    if status in USER_STATUSES:
        stmt = stmt.where(_status_condition(status, now))
    if platform in CHANNEL_MODELS:
        stmt = stmt.where(_has_channel(platform))
    elif platform == "none":
        stmt = stmt.where(*[~_has_channel(p) for p in CHANNEL_MODELS])
    return stmt.order_by(*USER_SORTS.get(sort, USER_SORTS["newest"]))


@dataclass
class UserRowExtras:
    """What the users list shows beside each owner, fetched for the whole page at once."""

    channels: dict[int, list[str]] = field(default_factory=dict)
    has_kb: set[int] = field(default_factory=set)
    conversations: dict[int, int] = field(default_factory=dict)


def user_row_extras(user_ids: list[int]) -> UserRowExtras:
    """Channels, knowledge base and customer counts for a page of owners: one query each."""
    extras = UserRowExtras()
    if not user_ids:
        return extras
    found: dict[int, list[str]] = defaultdict(list)
    for platform, model in CHANNEL_MODELS.items():
        for uid in db.session.scalars(select(model.user_id).where(model.user_id.in_(user_ids))):
            found[uid].append(platform)
    extras.channels = dict(found)
    extras.has_kb = set(
        db.session.scalars(
            select(KnowledgeBase.user_id).where(
                KnowledgeBase.user_id.in_(user_ids), KnowledgeBase.is_active.is_(True)
            )
        )
    )
    extras.conversations = dict(
        db.session.execute(
            select(Conversation.user_id, func.count())
            .where(Conversation.user_id.in_(user_ids))
            .group_by(Conversation.user_id)
        ).all()
    )
    return extras


def users_page(filters: dict, page: int, now: datetime):
    pagination = _paginate(users_query(now=now, **filters), page, USERS_PER_PAGE)
    return pagination, user_row_extras([u.id for u in pagination.items])


# --- one owner -------------------------------------------------------------------------------
@dataclass
class CustomerSummary:
    platform: str
    conversations: int
    messages: int
    last_message_at: datetime | None


@dataclass
class UserOverview:
    """Everything the admin's user page shows about one owner."""

    user: User
    plan_requests: list[PlanRequest]
    payments: list[Payment]
    kb: KnowledgeBase | None
    kb_preview: str
    kb_uploads: list[KnowledgeBase]
    channels: dict[str, object]
    customers: list[CustomerSummary]
    latest_conversations: list[Conversation]
    ai_config: AIConfig | None
    ai_provider: str
    ai_model: str
    emails: list[MarketingMessage]
    logs: list[AdminLog]


def _kb_preview(kb: KnowledgeBase | None) -> str:
    # Only the first characters travel from the database: a KB's text can be megabytes.
    if kb is None:
        return ""
    return (
        db.session.scalar(
            select(func.substr(KnowledgeBase.text, 1, KB_PREVIEW_CHARS)).where(
                KnowledgeBase.id == kb.id
            )
        )
        or ""
    )


def customer_summary(user_id: int) -> list[CustomerSummary]:
    rows = db.session.execute(
        select(
            Conversation.platform,
            func.count(),
            func.coalesce(func.sum(Conversation.message_count), 0),
            func.max(Conversation.last_message_at),
        )
        .where(Conversation.user_id == user_id)
        .group_by(Conversation.platform)
    ).all()
    return [CustomerSummary(*row) for row in sorted(rows, key=lambda r: r[0])]


def channels_of(user_id: int) -> dict[str, object]:
    found = {}
    for platform, model in CHANNEL_MODELS.items():
        row = db.session.scalar(select(model).where(model.user_id == user_id))
        if row is not None:
            found[platform] = row
    return found


def user_overview(user: User) -> UserOverview:
    """The owner's plan history, knowledge base, channels, customers, AI settings and log."""
    no_text = defer(KnowledgeBase.text)
    kb = db.session.scalar(
        select(KnowledgeBase)
        .options(no_text)
        .where(KnowledgeBase.user_id == user.id, KnowledgeBase.is_active.is_(True))
    )
    uploads = db.session.scalars(
        select(KnowledgeBase)
        .options(no_text)
        .where(KnowledgeBase.user_id == user.id)
        .order_by(KnowledgeBase.uploaded_at.desc(), KnowledgeBase.id.desc())
        .limit(10)
    ).all()
    ai_config = db.session.scalar(select(AIConfig).where(AIConfig.user_id == user.id))
    provider, model = ai_choice(ai_config)
    return UserOverview(
        user=user,
        plan_requests=db.session.scalars(
            select(PlanRequest)
            .where(PlanRequest.user_id == user.id)
            .order_by(PlanRequest.created_at.desc(), PlanRequest.id.desc())
            .limit(20)
        ).all(),
        payments=db.session.scalars(
            select(Payment)
            .options(selectinload(Payment.user), selectinload(Payment.admin))
            .where(Payment.user_id == user.id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(20)
        ).all(),
        kb=kb,
        kb_preview=_kb_preview(kb),
        kb_uploads=uploads,
        channels=channels_of(user.id),
        customers=customer_summary(user.id),
        latest_conversations=db.session.scalars(
            select(Conversation)
            .where(Conversation.user_id == user.id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(10)
        ).all(),
        ai_config=ai_config,
        ai_provider=provider,
        ai_model=model,
        emails=db.session.scalars(
            select(MarketingMessage)
            .where(MarketingMessage.user_id == user.id)
            .order_by(MarketingMessage.created_at.desc(), MarketingMessage.id.desc())
            .limit(20)
        ).all(),
        logs=db.session.scalars(
            select(AdminLog)
            .options(selectinload(AdminLog.admin))
            .where(AdminLog.target_user_id == user.id)
            .order_by(AdminLog.created_at.desc(), AdminLog.id.desc())
            .limit(50)
        ).all(),
    )


def ai_choice(ai_config: AIConfig | None) -> tuple[str, str]:
    """Which provider and model answer this owner's customers (their own key wins)."""
    if ai_config is not None and ai_config.has_own_key and PlatformAI.owner_keys_allowed():
        return "openai", ai_config.openai_model or PlatformAI.openai_model()
    provider = PlatformAI.default_provider()
    model = PlatformAI.openai_model() if provider == "openai" else PlatformAI.gemini_model()
    return provider, model


# --- conversations ---------------------------------------------------------------------------
CONVERSATION_STATUSES = ("served", "failed")


def _failed_ids():
    # Failed messages are few: read them by the status index instead of probing every conversation.
    return select(Message.conversation_id).where(Message.status == "failed")


def _served_exists():
    return exists().where(Message.conversation_id == Conversation.id, Message.sender == "bot")


OWNER_ID_MAX_DIGITS = 6  # longer runs of digits are read as (part of) a phone number


def owner_ids_matching(owner: str) -> Select | list[int]:
    """An owner typed as an id, or as the users search takes it: name, e-mail or phone."""
    owner = owner.strip()
    if owner.isdigit() and len(owner) <= OWNER_ID_MAX_DIGITS:
        return [int(owner)]
    return select(User.id).where(user_search_clause(owner))


def message_text_contains(q: str):
    """Messages whose text contains `q`, ignoring case: from SQLite's FTS5 index when it can
    answer, else ILIKE (which PostgreSQL's trigram index serves)."""
    if db.session.get_bind().dialect.name == "sqlite":
        matching = search.sqlite_text_match(q)
        if matching is not None:
            return Message.id.in_(matching)
    return _contains(Message.text, q)


@dataclass
class ConversationFilters:
    platform: str = ""
    owner: str = ""
    language: str = ""
    status: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def search_window(self) -> tuple[datetime | None, datetime | None]:
        """The activity window; a text search without dates covers the last week only."""
        start, end = day_start(self.date_from), day_start(self.date_to, days=1)
        if self.q and start is None:
            start = day_start(local_today(), days=-(SEARCH_DEFAULT_DAYS - 1))
        return start, end


def conversations_query(f: ConversationFilters) -> Select:
    """Every conversation on the platform, filtered, newest activity first."""
    stmt = select(Conversation)
    if f.platform:
        stmt = stmt.where(Conversation.platform == f.platform)
    if f.owner.strip():
        stmt = stmt.where(Conversation.user_id.in_(owner_ids_matching(f.owner)))
    if f.language:
        stmt = stmt.where(Conversation.language == f.language)
    start, end = f.search_window()
    # A conversation is in the window when it was active in it: overlapping [start, end).
    if start is not None:
        stmt = stmt.where(Conversation.last_message_at >= start)
    if end is not None:
        stmt = stmt.where(Conversation.created_at < end)
    if f.status == "failed":
        stmt = stmt.where(Conversation.id.in_(_failed_ids()))
    elif f.status == "served":
        stmt = stmt.where(_served_exists())
    if q := f.q.strip()[:200]:
        in_window = [Message.conversation_id == Conversation.id, message_text_contains(q)]
        if start is not None:
            in_window.append(Message.created_at >= start)
        if end is not None:
            in_window.append(Message.created_at < end)
        stmt = stmt.where(exists().where(*in_window))
    return stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


@dataclass
class ConversationRows:
    owners: dict[int, User]
    last_messages: dict[int, Message]
    failed: set[int] = field(default_factory=set)


def conversation_row_extras(convs: list[Conversation]) -> ConversationRows:
    """Owners and each conversation's latest message for a page: one query each."""
    if not convs:
        return ConversationRows({}, {})
    owners = db.session.scalars(select(User).where(User.id.in_({c.user_id for c in convs})))
    latest_ids = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_([c.id for c in convs]))
        .group_by(Message.conversation_id)
    )
    last = db.session.scalars(
        select(Message).options(defer(Message.chunks_json)).where(Message.id.in_(latest_ids))
    )
    ids = [c.id for c in convs]
    failed = db.session.scalars(
        select(Message.conversation_id)
        .where(Message.conversation_id.in_(ids), Message.status == "failed")
        .distinct()
    )
    return ConversationRows(
        {u.id: u for u in owners}, {m.conversation_id: m for m in last}, set(failed)
    )


def conversations_page(f: ConversationFilters, page: int):
    """A page of conversations.

    Filters that probe each conversation's messages (text search, served) run without a
    COUNT, which would have to probe every conversation in the window; one extra row says 'more'.
    """
    stmt = conversations_query(f)
    if f.q.strip() or f.status == "served":
        pagination = WindowPage(stmt, page, CONVERSATIONS_PER_PAGE)
    else:
        pagination = _paginate(stmt, page, CONVERSATIONS_PER_PAGE)
    return pagination, conversation_row_extras(pagination.items)


@dataclass
class MessagePage:
    """A run of one conversation's messages, oldest first, with keyset links either way."""

    messages: list[Message]
    total: int
    has_older: bool
    has_newer: bool

    @property
    def older_cursor(self) -> int | None:
        return self.messages[0].id if self.has_older and self.messages else None

    @property
    def newer_cursor(self) -> int | None:
        return self.messages[-1].id if self.has_newer and self.messages else None


def conversation_messages(
    conv: Conversation, before: int | None = None, after: int | None = None
) -> MessagePage:
    """The latest messages of a conversation, or those just before / after a message id.

    Keyset pages on the message id (the conversation index covers it), so the oldest page of a
    long conversation costs the same as the newest.
    """
    per_page = current_app.config.get("ADMIN_MESSAGES_PER_PAGE") or CONVERSATION_MESSAGE_LIMIT
    total = db.session.scalar(
        select(func.count()).select_from(Message).where(Message.conversation_id == conv.id)
    )
    stmt = select(Message).where(Message.conversation_id == conv.id).limit(per_page + 1)
    if after is not None:
        rows = list(db.session.scalars(stmt.where(Message.id > after).order_by(Message.id)))
        more = len(rows) > per_page
        return MessagePage(rows[:per_page], total or 0, has_older=True, has_newer=more)
    if before is not None:
        stmt = stmt.where(Message.id < before)
    rows = list(db.session.scalars(stmt.order_by(Message.id.desc())))
    more = len(rows) > per_page
    return MessagePage(
        list(reversed(rows[:per_page])),
        total or 0,
        has_older=more,
        has_newer=before is not None,
    )


# --- announcements ---------------------------------------------------------------------------
def audience_clause(audience: str, now: datetime):
    """Owners an announcement is for: never admins or banned owners."""
    base = [User.is_admin.is_(False), User.banned_at.is_(None)]
    if audience in ("trial", "paid", "expired"):
        base.append(User.status_clause(audience, now))
    return and_(*base)


def audience_user_ids(audience: str, now: datetime) -> list[int]:
    return list(
        db.session.scalars(select(User.id).where(audience_clause(audience, now)).order_by(User.id))
    )


def announcements_for(user) -> list[Announcement]:
    """Active announcements for this owner's status that they have not dismissed."""
    if not getattr(user, "is_authenticated", False) or user.is_admin:
        return []
    dismissed = exists().where(
        AnnouncementDismissal.announcement_id == Announcement.id,
        AnnouncementDismissal.user_id == user.id,
    )
    return list(
        db.session.scalars(
            select(Announcement)
            .where(
                Announcement.active.is_(True),
                Announcement.audience.in_(("all", user.status)),
                ~dismissed,
            )
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(3)
        )
    )


def announcements_page(page: int):
    """Announcement history with dismissal counts for the page."""
    pagination = _paginate(
        select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc()),
        page,
        20,
    )
    ids = [a.id for a in pagination.items]
    dismissals = (
        dict(
            db.session.execute(
                select(AnnouncementDismissal.announcement_id, func.count())
                .where(AnnouncementDismissal.announcement_id.in_(ids))
                .group_by(AnnouncementDismissal.announcement_id)
            ).all()
        )
        if ids
        else {}
    )
    authors = (
        {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.id.in_({a.created_by_id for a in pagination.items}))
            )
        }
        if ids
        else {}
    )
    return pagination, dismissals, authors


# --- admin log -------------------------------------------------------------------------------
def log_query(action: str = "", admin_id: int | None = None, target: str = "") -> Select:
    stmt = select(AdminLog).options(selectinload(AdminLog.admin), selectinload(AdminLog.target))
    if action:
        stmt = stmt.where(AdminLog.action == action)
    if admin_id:
        stmt = stmt.where(AdminLog.admin_id == admin_id)
    if target := target.strip():
        if target.isdigit():
            stmt = stmt.where(AdminLog.target_user_id == int(target))
        else:
            stmt = stmt.where(AdminLog.target_user_id.in_(owner_ids_matching(target)))
    return stmt.order_by(AdminLog.created_at.desc(), AdminLog.id.desc())


def log_page(filters: dict, page: int):
    return _paginate(log_query(**filters), page, LOGS_PER_PAGE)


def log_choices() -> tuple[list[str], list[User]]:
    """Actions that occur in the log, and the admins."""
    actions = sorted(db.session.scalars(select(AdminLog.action).distinct()))
    admins = db.session.scalars(
        select(User).where(User.is_admin.is_(True)).order_by(User.full_name)
    ).all()
    return actions, list(admins)


# --- statistics ------------------------------------------------------------------------------
def _local_day(column):
    """The local calendar day of a UTC timestamp, on SQLite and on PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"], column))
    offset = datetime.now(local_zone()).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _day_key(value) -> str:
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


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def platform_stats(first: date, last: date, now: datetime) -> Stats:
    """Registrations, messages by platform, answered vs failed, tokens and conversion by day.

    Messages are read in ONE grouped scan of the window; the rest is bucketed in Python.
    """
    start, end = day_start(first), day_start(last, days=1)
    days = _days(first, last)
    index = {d: i for i, d in enumerate(days)}
    day = _local_day(User.created_at)
    registrations = [0] * len(days)
    for d, n in db.session.execute(
        select(day, func.count())
        .where(User.is_admin.is_(False), User.created_at >= start, User.created_at < end)
        .group_by(day)
    ):
        if (key := _day_key(d)) in index:
            registrations[index[key]] += n
    messages = {p: [0] * len(days) for p in ("telegram", "whatsapp", "instagram", "web")}
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


def _query_message_days(first: date, last: date) -> list[tuple]:
    day = _local_day(Message.created_at)
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
        .where(Message.created_at >= day_start(first), Message.created_at < day_start(last, 1))
        .group_by(day, Message.platform, Message.status, Message.provider)
    )
    return [(_day_key(d), *rest) for d, *rest in rows]


def message_day_rows(first: date, last: date) -> list[tuple]:
    """(day, platform, status, provider, count, tokens in, tokens out) for the local days given.

    Days the rollup has covered are read from `message_day_stats`; the rest from `messages`.
    """
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
        rows = [(_day_key(d), pl, st, pr or None, n, ti, to) for d, pl, st, pr, n, ti, to in stored]
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
