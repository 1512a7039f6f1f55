"""The owner's channel connections. Tokens and app secrets are stored encrypted (Fernet); the
website chat has none (its key is public)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import decrypt, encrypt, mask
from extensions import db
from models.base import UTCDateTime, utcnow


def token_fingerprint(token: str) -> str:
    """A stable hash so one bot token cannot be connected twice, without storing it in clear."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def new_verify_token() -> str:
    return "bb_" + secrets.token_urlsafe(24)


LAST_MESSAGE_PRECISION = timedelta(minutes=1)


class _Channel:
    """Columns and helpers shared by the three connection tables."""

    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_check_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_check_detail: Mapped[str | None] = mapped_column(String(500))
    # A connection answers while it exists; the website chat can also be switched off.
    enabled = True

    def note_message(self) -> None:
        """A customer wrote: kept to the minute, so busy webhooks do not rewrite this row."""
        now = utcnow()
        if self.last_message_at is None or now - self.last_message_at >= LAST_MESSAGE_PRECISION:
            self.last_message_at = now

    def record_check(self, ok: bool, detail: str) -> None:
        self.last_check_at, self.last_check_ok, self.last_check_detail = utcnow(), ok, detail[:500]


class _MetaChannel(_Channel):
    """WhatsApp and Instagram: an access token and an app secret (for signatures), encrypted."""

    access_token_encrypted: Mapped[str] = mapped_column(String(2000))
    app_secret_encrypted: Mapped[str] = mapped_column(String(500))
    verify_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_verify_token)

    @property
    def access_token(self) -> str:
        return decrypt(self.access_token_encrypted)

    @property
    def app_secret(self) -> str:
        return decrypt(self.app_secret_encrypted)

    def set_secrets(self, access_token: str | None, app_secret: str | None) -> None:
        """Replace the secrets given; a blank field on the edit form keeps the stored one."""
        if access_token:
            self.access_token_encrypted = encrypt(access_token.strip())
        if app_secret:
            self.app_secret_encrypted = encrypt(app_secret.strip())

    @property
    def masked_token(self) -> str:
        return mask(self.access_token, 4)


class TelegramBot(_Channel, db.Model):
    """A Telegram bot connected by its token; updates arrive at /telegram/webhook/<user_id>."""

    __tablename__ = "telegram_bots"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    token_encrypted: Mapped[str] = mapped_column(String(500))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    bot_id: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str] = mapped_column(String(64))
    webhook_url: Mapped[str | None] = mapped_column(String(500))

    @property
    def token(self) -> str:
        return decrypt(self.token_encrypted)

    @property
    def secret_token(self) -> str:
        return decrypt(self.secret_encrypted)

    @property
    def account_ref(self) -> str:
        return self.bot_id

    def set_token(self, token: str) -> None:
        self.token_encrypted = encrypt(token.strip())
        self.token_hash = token_fingerprint(token)
        # Telegram allows 1-256 characters A-Z a-z 0-9 _ - in the secret token.
        self.secret_encrypted = encrypt(secrets.token_urlsafe(32))

    @property
    def masked_token(self) -> str:
        return mask(self.token, 4)


class WhatsAppAccount(_MetaChannel, db.Model):
    """A WhatsApp Cloud API phone number; routed by phone_number_id on the shared webhook."""

    __tablename__ = "whatsapp_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    waba_id: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(64))
    display_phone: Mapped[str | None] = mapped_column(String(32))

    @property
    def account_ref(self) -> str:
        return self.phone_number_id


class InstagramAccount(_MetaChannel, db.Model):
    """An Instagram professional account (Messenger API with Facebook Login); routed by entry.id."""

    __tablename__ = "instagram_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    ig_account_id: Mapped[str] = mapped_column(String(64), unique=True)
    page_id: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))

    @property
    def account_ref(self) -> str:
        return self.ig_account_id


def new_widget_key() -> str:
    return secrets.token_urlsafe(18)


class WebWidget(_Channel, db.Model):
    """The chat on the owner's website: a public key in the script tag, the sites allowed to show
    it (one origin per line), and whether it is on. Nothing secret: the key is in every page."""

    __tablename__ = "web_widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    widget_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_widget_key)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    allowed_origins_text: Mapped[str] = mapped_column(Text, default="")

    @property
    def account_ref(self) -> str:
        return self.widget_key

    @property
    def allowed_origins(self) -> list[str]:
        return [line for line in (self.allowed_origins_text or "").splitlines() if line]

    @allowed_origins.setter
    def allowed_origins(self, origins: list[str]) -> None:
        self.allowed_origins_text = "\n".join(origins)


CHANNEL_MODELS = {
    "telegram": TelegramBot,
    "whatsapp": WhatsAppAccount,
    "instagram": InstagramAccount,
    "web-widget": WebWidget,
}


def channels_for(user_id: int) -> dict[str, object]:
    """The owner's connections by platform (missing ones absent)."""
    found = {}
    for platform, model in CHANNEL_MODELS.items():
        row = db.session.query(model).filter_by(user_id=user_id).one_or_none()
        if row is not None:
            found[platform] = row
    return found


def channel_health(row: _Channel | None) -> str:
    """The one notion of a channel's health that every page shows: "none" (not connected),
    "off" (switched off), "unchecked" (saved, never checked), "ok" or "failed" (the last
    check's result). The website chat has nothing to check: on is working."""
    if row is None:
        return "none"
    if row.enabled is False:  # (a new, unsaved widget is on)
        return "off"
    if isinstance(row, WebWidget):
        return "ok"
    if row.last_check_ok is None:
        return "unchecked"
    return "ok" if row.last_check_ok else "failed"
