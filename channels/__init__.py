"""Channel adapters: each verifies a webhook, parses it into InboundEvents and sends text back."""

from __future__ import annotations

from .base import (
    INSTAGRAM_MAX_BYTES,
    KINDS,
    TELEGRAM_MAX_CHARS,
    WHATSAPP_MAX_CHARS,
    InboundEvent,
    SendResult,
    sign_body,
    split_for_platform,
    split_text,
    verify_signature,
)
from .instagram import InstagramClient
from .telegram import TelegramClient, TelegramError, language_picker_markup
from .whatsapp import WhatsAppClient

__all__ = [
    "INSTAGRAM_MAX_BYTES",
    "KINDS",
    "TELEGRAM_MAX_CHARS",
    "WHATSAPP_MAX_CHARS",
    "InboundEvent",
    "InstagramClient",
    "SendResult",
    "TelegramClient",
    "TelegramError",
    "WhatsAppClient",
    "language_picker_markup",
    "sign_body",
    "split_for_platform",
    "split_text",
    "verify_signature",
]
