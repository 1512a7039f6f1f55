"""Every conversation on the platform, filtered and searched, and one conversation's messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import defer

from extensions import db
from models import search
from models.base import utcnow
from models.conversation import Conversation, Message
from models.queries.common import WindowPage, contains, day_start, local_today, paginate
from models.queries.users import owner_ids_matching
from models.user import User

CONVERSATIONS_PER_PAGE = 50
SEARCH_DEFAULT_DAYS = 7  # message search looks this far back unless a date range is given
CONVERSATION_MESSAGE_LIMIT = 500
CUSTOMER_PLATFORMS = ("telegram", "whatsapp", "instagram", "web-widget")


CONVERSATION_STATUSES = ("served", "failed")
# The owner's inbox: what the bot is doing in the conversation, and whether the owner has seen it.
INBOX_STATUSES = ("answering", "paused", "needs_human", "unread")


def _failed_ids():
    # Failed messages are few: read them by the status index instead of probing every conversation.
    return select(Message.conversation_id).where(Message.status == "failed")


def _served_exists():
    return exists().where(Message.conversation_id == Conversation.id, Message.sender == "bot")


def message_text_contains(q: str):
    """Messages whose text contains `q`, ignoring case: from SQLite's FTS5 index when it can
    answer, else ILIKE (which PostgreSQL's trigram index serves); or whose voice note's
    transcript does (always within one conversation's messages: see the callers)."""
    in_text = contains(Message.text, q)
    if db.session.get_bind().dialect.name == "sqlite":
        matching = search.sqlite_text_match(q)
        if matching is not None:
            in_text = Message.id.in_(matching)
    return or_(in_text, contains(Message.transcript, q))


@dataclass
class ConversationFilters:
    """The admin's filters over the platform, or (user_id set) an owner's over their inbox."""

    user_id: int | None = None
    platform: str = ""
    owner: str = ""
    language: str = ""
    status: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def search_window(self) -> tuple[datetime | None, datetime | None]:
        """The activity window; a platform-wide text search without dates covers the last week
        only (one owner's search covers all their messages)."""
        start, end = day_start(self.date_from), day_start(self.date_to, days=1)
        if self.q and start is None and self.user_id is None:
            start = day_start(local_today(), days=-(SEARCH_DEFAULT_DAYS - 1))
        return start, end


def conversations_query(f: ConversationFilters) -> Select:
    """Every conversation on the platform, filtered, newest activity first."""
    stmt = select(Conversation)
    if f.user_id is not None:
        stmt = stmt.where(Conversation.user_id == f.user_id)
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
    elif f.status in INBOX_STATUSES:
        stmt = stmt.where(inbox_status(f.status))
    if q := f.q.strip()[:200]:
        in_window = [Message.conversation_id == Conversation.id, message_text_contains(q)]
        if start is not None:
            in_window.append(Message.created_at >= start)
        if end is not None:
            in_window.append(Message.created_at < end)
        stmt = stmt.where(exists().where(*in_window))
    return stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


def unread_condition():
    """The customer wrote after the owner last opened the conversation (Conversation.unread)."""
    return and_(
        Conversation.platform != "web",
        Conversation.last_inbound_at.is_not(None),
        or_(
            Conversation.owner_read_at.is_(None),
            Conversation.last_inbound_at > Conversation.owner_read_at,
        ),
    )


def inbox_status(status: str):
    now = utcnow()
    paused = and_(Conversation.bot_paused_until.is_not(None), Conversation.bot_paused_until > now)
    return {
        "answering": not_(paused),
        "paused": paused,
        "needs_human": Conversation.needs_human_at.is_not(None),
        "unread": unread_condition(),
    }[status]


def unread_count(user_id: int) -> int:
    """The owner's conversations with a customer message they have not opened yet."""
    return db.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.user_id == user_id, unread_condition())
    )


def matching_messages(f: ConversationFilters, conv_ids: list[int]) -> dict[int, Message]:
    """For a page of a text search: each conversation's latest message that matches, in one
    query (what the owner searched for, not the conversation's last message)."""
    q = f.q.strip()[:200]
    if not q or not conv_ids:
        return {}
    start, end = f.search_window()
    latest = select(func.max(Message.id)).where(
        Message.conversation_id.in_(conv_ids), message_text_contains(q)
    )
    if start is not None:
        latest = latest.where(Message.created_at >= start)
    if end is not None:
        latest = latest.where(Message.created_at < end)
    rows = db.session.scalars(
        select(Message)
        .options(defer(Message.chunks_json))
        .where(Message.id.in_(latest.group_by(Message.conversation_id)))
    )
    return {m.conversation_id: m for m in rows}


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
        pagination = paginate(stmt, page, CONVERSATIONS_PER_PAGE)
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
