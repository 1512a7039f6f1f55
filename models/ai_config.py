"""The owner's assistant settings, and the admin's platform-wide AI settings."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow
from utils.crypto_utils import decrypt, encrypt, mask


class AIConfig(db.Model):
    """Per owner: bot name, business description, instructions, own OpenAI key (encrypted)."""

    __tablename__ = "ai_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    bot_name: Mapped[str | None] = mapped_column(String(80))
    business_description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    default_language: Mapped[str] = mapped_column(String(2), default="uz")
    openai_key_encrypted: Mapped[str | None] = mapped_column(String(1000))
    openai_key_hint: Mapped[str | None] = mapped_column(String(16))
    openai_model: Mapped[str | None] = mapped_column(String(64))
    key_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def for_user(cls, user_id: int) -> AIConfig:
        """The owner's settings, created with defaults on first use."""
        cfg = db.session.scalar(select(cls).where(cls.user_id == user_id))
        if cfg is None:
            cfg = cls(user_id=user_id, default_language="uz")
            db.session.add(cfg)
            db.session.flush()
        return cfg

    @property
    def has_own_key(self) -> bool:
        return bool(self.openai_key_encrypted)

    @property
    def openai_key(self) -> str | None:
        return decrypt(self.openai_key_encrypted) if self.openai_key_encrypted else None

    def set_openai_key(self, key: str | None) -> None:
        if key:
            self.openai_key_encrypted = encrypt(key.strip())
            self.openai_key_hint = mask(key.strip(), 4)
        else:
            self.openai_key_encrypted = self.openai_key_hint = None
        self.key_failed_at = self.key_error = None

    def mark_key_failed(self, detail: str) -> None:
        self.key_failed_at, self.key_error = utcnow(), detail[:500]


class Setting(db.Model):
    """Platform settings the admin can change at run time (env values are the defaults)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, key: str, default: str | None = None) -> str | None:
        row = db.session.get(cls, key)
        return row.value if row is not None else default

    @classmethod
    def put(cls, key: str, value: str) -> None:
        row = db.session.get(cls, key)
        if row is None:
            db.session.add(cls(key=key, value=value))
        else:
            row.value = value


class PlatformAI:
    """The admin's AI choices, falling back to configuration."""

    @staticmethod
    def default_provider() -> str:
        return Setting.get("ai.default_provider", "gemini") or "gemini"

    @staticmethod
    def gemini_model() -> str:
        return Setting.get("ai.gemini_model") or current_app.config["GEMINI_MODEL"]

    @staticmethod
    def openai_model() -> str:
        return Setting.get("ai.openai_model") or current_app.config["OPENAI_MODEL"]

    @staticmethod
    def owner_keys_allowed() -> bool:
        return (Setting.get("ai.allow_owner_keys", "1") or "1") == "1"

    @staticmethod
    def last_error() -> str | None:
        return Setting.get("ai.last_error")
