"""The values every channel adapter hands over: one inbound event, one send result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Platform = Literal["telegram", "whatsapp", "instagram", "web-widget"]
Kind = Literal["text", "media", "start", "callback", "status", "echo", "blocked", "unblocked"]

KINDS: frozenset[str] = frozenset(
    {"text", "media", "start", "callback", "status", "echo", "blocked", "unblocked"}
)


@dataclass(frozen=True)
class InboundEvent:
    """One thing a customer (or the platform) told us, in the same shape for every channel."""

    platform: Platform
    account_key: str
    kind: Kind
    external_id: str
    sender_id: str
    timestamp: datetime
    sender_name: str | None = None
    text: str | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    status: str | None = None
    error: str | None = None
    recipient_id: str | None = None
    media_type: str | None = None
    language_code: str | None = None
    # What the worker needs to fetch a voice note or photo later: the platform's file id, media
    # id or attachment URL, its type and (Telegram) its length in seconds.
    media_ref: str | None = None
    media_mime: str | None = None
    media_duration: int | None = None

    @property
    def is_question(self) -> bool:
        """True when the engine should answer this event with the AI."""
        return self.kind == "text" and bool(self.text and self.text.strip())


@dataclass
class SendResult:
    """Outcome of sending one (possibly split) text; senders return this instead of raising."""

    ok: bool
    external_ids: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: int | str | None = None
    retryable: bool = False
    outside_window: bool = False
    blocked: bool = False
    retry_after: float | None = None
    token_invalid: bool = False

    def __bool__(self) -> bool:
        return self.ok

    @property
    def refused_for_now(self) -> bool:
        """The platform answered and refused this part for now (flood control, throughput
        limits): the parts before it went out (`external_ids`), so a later try sends the rest
        and nothing twice. A network failure is not this: the part may have reached the
        platform."""
        return not self.ok and self.retryable and self.error_code != "network"
