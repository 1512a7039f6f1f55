"""The owner's alerts in Telegram: the link to the owner's own chat with their bot, what the owner
wants to hear about, and every alert recorded once (its key is the event, so nothing is sent
twice; its Telegram message id lets a reply to it reach the customer).

Noting an alert only adds a row in the caller's transaction; the row's id waits in the session
until the commit, then outreach/telegram_alerts.py sends it in the background.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

LINK_CODE_TTL = timedelta(minutes=15)
LINK_CODE_PREFIX = "al_"  # a /start payload of this shape is a link attempt, never a customer's
DEFAULT_SUMMARY_MINUTE = 20 * 60  # 20:00 Tashkent
GAP_ALERT_COUNT = 3  # the bot could not answer the same question this many times
HUMAN_ALERT_QUIET = timedelta(hours=1)  # one alert for a customer's repeated "a person, please"
TASHKENT = timedelta(hours=5)  # Asia/Tashkent has no daylight saving time
PENDING = "owner_alerts_pending"  # session.info key: ids to send after the commit

# Which setting switches each kind of alert off.
SETTING_OF_KIND = {
    "human": "notify_customers",
    "gap": "notify_customers",
    "channel": "notify_channels",
    "plan": "notify_plan",
    "summary": "notify_summary",
}


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class AlertSettings(db.Model):
    """One owner's Telegram link (chat id, bot) and alert switches."""

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    chat_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))  # the bot the chat was linked through
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_customers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_channels: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_plan: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_summary: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    summary_minute: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SUMMARY_MINUTE, server_default=str(DEFAULT_SUMMARY_MINUTE)
    )

    @classmethod
    def for_user(cls, user_id: int) -> AlertSettings:
        """The owner's row, created (flushed) on first use."""
        row = db.session.scalar(select(cls).where(cls.user_id == user_id))
        if row is None:
            row = cls(user_id=user_id)
            db.session.add(row)
            db.session.flush()
        return row

    @classmethod
    def find(cls, user_id: int) -> AlertSettings | None:
        return db.session.scalar(select(cls).where(cls.user_id == user_id))

    @property
    def linked(self) -> bool:
        return self.chat_id is not None

    def new_code(self, now: datetime | None = None) -> str:
        """A fresh one-time code (the previous one stops working); only its hash is kept."""
        code = LINK_CODE_PREFIX + secrets.token_urlsafe(18)
        self.code_hash = code_hash(code)
        self.code_expires_at = (now or utcnow()) + LINK_CODE_TTL
        return code

    def code_matches(self, code: str, now: datetime | None = None) -> bool:
        if not self.code_hash or self.code_expires_at is None:
            return False
        if self.code_expires_at <= (now or utcnow()):
            return False
        return secrets.compare_digest(self.code_hash, code_hash(code))

    def link(self, chat_id: str, bot_id: str) -> None:
        """Link the chat; the code is used up."""
        self.chat_id, self.bot_id, self.linked_at = chat_id, bot_id, utcnow()
        self.code_hash = self.code_expires_at = None

    def unlink(self) -> None:
        self.chat_id = self.bot_id = self.linked_at = None
        self.code_hash = self.code_expires_at = None

    def wants(self, kind: str) -> bool:
        setting = SETTING_OF_KIND.get(kind)
        return self.linked and (setting is None or bool(getattr(self, setting)))


class OwnerAlert(db.Model):
    """One message to the owner's Telegram chat (an alert, a notice) or one update from it."""

    __tablename__ = "owner_alerts"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_owner_alerts_reply", "user_id", "chat_id", "telegram_message_id"),
        Index("ix_owner_alerts_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # human, gap, channel, plan, summary: alerts; notice: an answer to the owner's chat;
    # inbox: the owner's own message (a reply to deliver to a customer).
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(160))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str | None] = mapped_column(Text)
    chat_id: Mapped[str | None] = mapped_column(String(32))
    telegram_message_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # sending, sent, failed, ...
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def add(
        cls,
        user_id: int,
        kind: str,
        key: str,
        *,
        conversation_id: int | None = None,
        detail: str | None = None,
        chat_id: str | None = None,
    ) -> int | None:
        """Record the event once (None when its key is already there) and send it after the
        commit."""
        dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
        statement = (
            dialect.insert(cls)
            .values(
                user_id=user_id,
                kind=kind,
                key=key[:160],
                conversation_id=conversation_id,
                detail=detail[:4000] if detail else None,
                chat_id=chat_id,
                status="pending",
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(cls.id)
        )
        alert_id = db.session.scalar(statement)
        if alert_id is not None:
            db.session.info.setdefault(PENDING, []).append(alert_id)
        return alert_id

    @classmethod
    def note(cls, user_id: int, kind: str, key: str, **kw) -> int | None:
        """An alert, if the owner has linked Telegram and wants this kind."""
        found = AlertSettings.find(user_id)
        if found is None or not found.wants(kind):
            return None
        return cls.add(user_id, kind, key, **kw)

    @classmethod
    def conversation_for_reply(cls, user_id: int, chat_id: str, message_id: str) -> int | None:
        """The customer conversation an alert we sent to this chat was about."""
        return db.session.scalar(
            select(cls.conversation_id).where(
                cls.user_id == user_id,
                cls.chat_id == chat_id,
                cls.telegram_message_id == message_id,
                cls.conversation_id.is_not(None),
            )
        )


# --- the events ------------------------------------------------------------------------------
def note_human(conv, previous: datetime | None) -> None:
    """A customer asked for a person (once an hour per conversation at most)."""
    if previous is not None and utcnow() - previous < HUMAN_ALERT_QUIET:
        return
    stamp = int(conv.needs_human_at.timestamp())
    OwnerAlert.note(conv.user_id, "human", f"human:{conv.id}:{stamp}", conversation_id=conv.id)


def note_gap(conv, gap) -> None:
    """The same question went unanswered GAP_ALERT_COUNT times (one alert per group)."""
    if gap is not None and gap.count >= GAP_ALERT_COUNT:
        OwnerAlert.note(
            conv.user_id, "gap", f"gap:{gap.id}", conversation_id=conv.id, detail=gap.question
        )


def note_channel(user_id: int, platform: str, problem: str, words: str = "") -> int | None:
    """A channel stopped working (`problem`: token, window, webhook); once a day per problem."""
    day = (utcnow() + TASHKENT).date().isoformat()
    return OwnerAlert.note(
        user_id,
        "channel",
        f"channel:{platform}:{problem}:{day}",
        detail=f"{platform}|{problem}|{words[:500]}",
    )
