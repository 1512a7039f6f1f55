"""Customers' conversations with an owner's bot, and every message in them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    select,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column, relationship

from extensions import db
from models import inbound
from models.base import UTCDateTime, utcnow
from models.owner_alerts import note_human

PLATFORMS = ("telegram", "whatsapp", "instagram", "web-widget", "web")
# Meta allows free-form replies only within 24 hours of the customer's last message.
WINDOW_PLATFORMS = ("whatsapp", "instagram")
WINDOW = timedelta(hours=24)

# Inbound: received → processing → answered | not_served | ignored | failed | too_old | paused
#   | rate_limited (over an AI limit, pipeline/throttle.py)
# Outbound: pending → sent → delivered → read, or failed; pending → retrying → pending (again)
MESSAGE_STATUSES = (
    "received",
    "processing",
    "answered",
    "not_served",
    "ignored",
    "too_old",
    "paused",
    "rate_limited",
    "pending",
    "retrying",
    "sent",
    "delivered",
    "read",
    "failed",
)


class Conversation(db.Model):
    """One customer talking to one owner's bot on one platform."""

    __tablename__ = "conversations"
    __table_args__ = (
        # The owner leads the key: an account can move to another owner, whose customers must
        # get conversations of their own.
        UniqueConstraint("user_id", "platform", "account_ref", "customer_ref"),
        Index("ix_conversations_user_last", "user_id", "last_message_at"),
        # The answer queue: the waiting conversations, longest-waiting first (the claims'
        # order). No lease column is indexed, so a claim or a lease renewal is an in-place
        # update on PostgreSQL that writes no index (migration e8a4c6f2d9b1).
        Index(
            "ix_conversations_waiting",
            "pending_since",
            "id",
            postgresql_where=text("answer_pending IS true"),
            sqlite_where=text("answer_pending IS 1"),
        ),
        # The inbox's unread count: the owner's conversations by their customer's last message.
        Index("ix_conversations_user_inbound", "user_id", "last_inbound_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The owner's conversations are found through the unique key and the indexes above, which
    # all lead with user_id: an index of its own would only cost every webhook's UPDATE.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # platform and language have a few values each and every query on them also filters on the
    # owner or a time window: no index of their own (each would cost every write of the row).
    platform: Mapped[str] = mapped_column(String(16))
    account_ref: Mapped[str] = mapped_column(String(64))
    customer_ref: Mapped[str] = mapped_column(String(128))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(2))
    script: Mapped[str | None] = mapped_column(String(4))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bot_paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # The answer queue (pipeline/queue.py): unanswered messages wait here; the webhook bumps the
    # generation, a worker holds the lease while it answers them in order.
    answer_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answer_gen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when its oldest unanswered message waits (set when it becomes pending, cleared on
    # release): claims take the longest-waiting conversations first.
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer asked for a person: shown to the owner until they reply or clear it.
    needs_human_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the owner last opened it: unread while the customer has written since.
    owner_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        order_by="Message.id",
        passive_deletes=True,
    )

    @classmethod
    def get_or_create(
        cls,
        user_id: int,
        platform: str,
        account_ref: str,
        customer_ref: str,
        customer_name: str | None = None,
    ) -> Conversation:
        """Find the conversation or create it; safe when two deliveries race to create it."""
        query = select(cls).where(
            cls.user_id == user_id,
            cls.platform == platform,
            cls.account_ref == account_ref,
            cls.customer_ref == customer_ref,
        )
        conv = db.session.scalar(query)
        if conv is not None:
            if customer_name and not conv.customer_name:
                conv.customer_name = customer_name[:200]
            return conv
        try:
            with db.session.begin_nested():
                conv = cls(
                    user_id=user_id,
                    platform=platform,
                    account_ref=account_ref,
                    customer_ref=customer_ref,
                    customer_name=(customer_name or None) and customer_name[:200],
                )
                db.session.add(conv)
        except IntegrityError:
            conv = db.session.scalar(query)
        return conv

    def mark_answer_pending(self) -> None:
        """A new customer message waits: the answer queue (pipeline/queue.py) will take it.

        Both as SQL expressions, never Python values: the ORM leaves out a column whose loaded
        value is unchanged, and the row loaded here as pending may have been released by its
        worker since (the message would then wait forever); and two deliveries at once must
        both move the generation on."""
        self.answer_pending = true()
        self.answer_gen = Conversation.answer_gen + 1
        self.pending_since = func.coalesce(Conversation.pending_since, utcnow())

    def window_open(self, now: datetime | None = None) -> bool:
        """Whether a free-form message may be sent now (Meta's 24-hour customer-service window)."""
        if self.platform not in WINDOW_PLATFORMS:
            return True
        if self.last_inbound_at is None:
            return False
        return (now or utcnow()) - self.last_inbound_at < WINDOW

    @property
    def unread(self) -> bool:
        """The customer wrote after the owner last opened the conversation (test chat aside)."""
        if self.platform == "web" or self.last_inbound_at is None:
            return False
        return self.owner_read_at is None or self.last_inbound_at > self.owner_read_at

    def mark_read(self) -> None:
        self.owner_read_at = utcnow()

    def request_human(self) -> None:
        """Flag the conversation for the owner: the customer asked for a person (and alert the
        owner in Telegram when they asked for that)."""
        previous, self.needs_human_at = self.needs_human_at, utcnow()
        note_human(self, previous)

    def is_paused(self, now: datetime | None = None) -> bool:
        return self.bot_paused_until is not None and self.bot_paused_until > (now or utcnow())

    def pause(self, minutes: int) -> None:
        self.bot_paused_until = utcnow() + timedelta(minutes=minutes)

    def resume(self) -> None:
        self.bot_paused_until = None


class Message(db.Model):
    """One inbound or outbound message. The unique key makes a redelivered webhook a no-op."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "account_ref", "external_id"),
        Index("ix_messages_user_created", "user_id", "created_at"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # No index of their own: ix_messages_user_created leads with user_id and the unique key with
    # platform (every webhook's INSERT updates each index of this table).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    account_ref: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    sender: Mapped[str] = mapped_column(String(8))  # customer, bot, owner, admin, system
    kind: Mapped[str] = mapped_column(String(12), default="text")  # text, media, start, callback
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(12), index=True)
    error: Mapped[str | None] = mapped_column(String(1000))
    provider: Mapped[str | None] = mapped_column(String(16))  # a few values: no index
    model: Mapped[str | None] = mapped_column(String(64))
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    chunks_json: Mapped[str | None] = mapped_column(Text)
    # A bot reply that could not answer from the knowledge base or the owner's answers.
    dont_know: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    callback_id: Mapped[str | None] = mapped_column(String(128))  # a Telegram button press
    # A voice note or photo (pipeline/media.py): what to fetch it by (file id, media id or
    # attachment URL), and what it said once transcribed or described, kept so a redelivery or
    # a worker taking over never asks the AI again.
    media_type: Mapped[str | None] = mapped_column(String(16))
    media_ref: Mapped[str | None] = mapped_column(String(2048))
    media_mime: Mapped[str | None] = mapped_column(String(64))
    media_duration: Mapped[int | None] = mapped_column(Integer)
    transcript: Mapped[str | None] = mapped_column(Text)
    # A reply the platform refused for now (flood control) is tried again at retry_at.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Parts of a split reply that went out before the platform refused the next one for now.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the platform's own time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")

    @property
    def media_marker(self) -> str | None:
        """ "voice" or "photo" for a voice note or photo (the conversation views' marker)."""
        if self.media_type in ("voice", "audio", "video_note"):
            return "voice"
        return "photo" if self.media_type in ("photo", "image") else None

    @property
    def chunks_used(self) -> list[dict]:
        return json.loads(self.chunks_json) if self.chunks_json else []

    @classmethod
    def store_inbound(cls, conv: Conversation, **fields) -> Message | None:
        """Store one inbound message in a loaded conversation (the test chat, tools); None when
        its external id was already stored. Fields as for `models.inbound.insert_message`."""
        db.session.flush()  # the statements below bypass the ORM: nothing of conv may be lost
        ids = conv.id, conv.user_id, conv.platform, conv.account_ref
        msg_id = inbound.insert_message(*ids, **fields)
        if msg_id is None:
            return None
        sender = fields.get("sender", "customer")
        inbound.note_conversation(
            conv.id, conv.platform, sender, conv.last_inbound_at, fields.get("sent_at")
        )
        db.session.expire(conv, inbound.NOTED_COLUMNS)
        return db.session.get(cls, msg_id)

    @classmethod
    def new_outbound(
        cls,
        conv: Conversation,
        text: str,
        sender: str = "bot",
        reply_to: Message | None = None,
        lease: dict | None = None,
        **fields,
    ) -> Message | None:
        """Store an outbound message, in status pending (sent or failed once the platform
        answers) unless `fields` say otherwise; None when its external id is stored already.
        `lease`: the answering worker's, renewed with it (LeaseLost: inbound.note_reply).

        One INSERT built once, then the object attached to the session as stored: every
        reply is one, and the unit of work flushing a new object was several times the cost
        of the statement. Every column is given, so the object reads none back."""
        if conv.id is None or (reply_to is not None and reply_to.id is None):
            db.session.flush()  # the statement names them by id
        values = dict.fromkeys(_OUTBOUND_COLUMNS) | {
            "conversation_id": conv.id,
            "user_id": conv.user_id,
            "platform": conv.platform,
            "account_ref": conv.account_ref,
            "direction": "out",
            "sender": sender,
            "kind": "text",
            "text": text,
            "status": "pending",
            "reply_to_id": reply_to.id if reply_to else None,
            "language": conv.language,
            "dont_know": False,
            "attempts": 0,
            "parts_sent": 0,
            "created_at": utcnow(),
        }
        values |= fields
        statement = inbound.insert_message_statement(_OUTBOUND_COLUMNS)
        row_id = db.session.connection().scalar(statement, inbound.bound_values(values))
        if row_id is None:
            return None
        msg = cls(id=row_id, **values)
        make_transient_to_detached(msg)
        db.session.add(msg)
        inbound.note_reply(conv, values["created_at"], lease)
        return msg


# Every column of a message but its id, in the order new_outbound binds them.
_OUTBOUND_COLUMNS = tuple(c.name for c in Message.__table__.columns if c.name != "id")
