"""The owner's saved replies ("canned replies"), inserted into the reply box of a conversation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

TITLE_MAX = 80
TEXT_MAX = 4000  # the reply box's own limit (forms.messaging.ReplyForm)
CANNED_LIMIT = 200  # an owner's list stays a short menu


class CannedReply(db.Model):
    """A short title and the text the owner sends often ("Delivery takes two days…")."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def create(cls, user_id: int, title: str, text: str) -> CannedReply:
        reply = cls(user_id=user_id)
        reply.change(title, text)
        db.session.add(reply)
        db.session.flush()
        return reply

    def change(self, title: str, text: str) -> None:
        self.title = title.strip()[:TITLE_MAX]
        self.text = text.strip()[:TEXT_MAX]

    @classmethod
    def for_user(cls, user_id: int) -> list[CannedReply]:
        """The owner's saved replies by title."""
        query = select(cls).where(cls.user_id == user_id).order_by(cls.title, cls.id)
        return list(db.session.scalars(query.limit(CANNED_LIMIT)))

    @classmethod
    def count_for(cls, user_id: int) -> int:
        return db.session.scalar(select(func.count(cls.id)).where(cls.user_id == user_id)) or 0
