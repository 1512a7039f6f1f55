"""Global announcements to owners (a dashboard banner and an e-mail) and their dismissals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow


class Announcement(db.Model):
    """A global message to owners: a dashboard banner and an e-mail, per language."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_uz: Mapped[str] = mapped_column(String(200))
    body_uz: Mapped[str] = mapped_column(Text)
    subject_ru: Mapped[str | None] = mapped_column(String(200))
    body_ru: Mapped[str | None] = mapped_column(Text)
    subject_en: Mapped[str | None] = mapped_column(String(200))
    body_en: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(16), default="all")  # all, trial, paid, expired
    send_email: Mapped[bool] = mapped_column(Boolean, default=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    emails_sent: Mapped[int] = mapped_column(Integer, default=0)
    emails_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    def text_for(self, language: str) -> tuple[str, str]:
        """Subject and body in a language, falling back to Uzbek."""
        subject = getattr(self, f"subject_{language}", None) or self.subject_uz
        body = getattr(self, f"body_{language}", None) or self.body_uz
        return subject, body


class AnnouncementDismissal(db.Model):
    """An owner closed an announcement banner."""

    __tablename__ = "announcement_dismissals"
    __table_args__ = (UniqueConstraint("announcement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
