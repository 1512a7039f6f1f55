"""Who did what to whom, for every admin action."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow


class AdminLog(db.Model):
    __tablename__ = "admin_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    details_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    admin = relationship("User", foreign_keys=[admin_id])
    target = relationship("User", foreign_keys=[target_user_id])

    @property
    def details(self) -> dict:
        return json.loads(self.details_json) if self.details_json else {}

    @classmethod
    def record(
        cls, admin_id: int | None, action: str, target_user_id: int | None = None, **details
    ) -> AdminLog:
        """Add a log entry (the caller commits with the action itself)."""
        entry = cls(
            admin_id=admin_id,
            action=action,
            target_user_id=target_user_id,
            details_json=json.dumps(details, ensure_ascii=False, default=str) if details else None,
        )
        db.session.add(entry)
        return entry
