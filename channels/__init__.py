"""Channel adapters: each verifies a webhook, parses it into InboundEvents and sends text back.

Modules: `types` (InboundEvent, SendResult), `readers` (tolerant payload readers), `splitting`
(message-size limits), `signatures` (Meta webhook signatures), `http` (sessions, network words),
`graph` (the Graph API client base), `telegram` (webhook parsing) and `telegram_client` (Bot
API), `whatsapp`, `instagram`, and `registry` (platform → channel).
"""

from __future__ import annotations

from .instagram import InstagramClient
from .registry import CHANNELS, Channel
from .signatures import sign_body, verify_signature
from .splitting import (
    INSTAGRAM_MAX_BYTES,
    TELEGRAM_MAX_CHARS,
    WHATSAPP_MAX_CHARS,
    split_for_platform,
    split_text,
)
from .telegram import language_picker_markup
from .telegram_client import TelegramClient, TelegramError
from .types import KINDS, InboundEvent, SendResult
from .whatsapp import WhatsAppClient

__all__ = [
    "CHANNELS",
    "INSTAGRAM_MAX_BYTES",
    "KINDS",
    "TELEGRAM_MAX_CHARS",
    "WHATSAPP_MAX_CHARS",
    "Channel",
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
