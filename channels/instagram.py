"""Instagram messaging adapter (Messenger-style API): signatures, webhook parsing, sending text.

Supports "Instagram API with Facebook Login" (graph.facebook.com, Page token) fully; the
"Instagram Login" flavour is the same calls on graph.instagram.com, so only base_url changes.
"""

from __future__ import annotations

import logging
from typing import Any

from .graph import GraphClientBase, GraphFailure
from .media import Media, download
from .readers import as_dict, as_id, as_list, as_str, to_datetime
from .signatures import verify_signature
from .splitting import split_for_platform
from .types import InboundEvent, SendResult

log = logging.getLogger(__name__)

PLATFORM = "instagram"
WEBHOOK_OBJECT = "instagram"
WINDOW_SUBCODE = 2018278
# Sends go to /me/messages: with a Page token (Facebook Login) "me" is the Page, with an
# Instagram-Login token it is the Instagram account, so one path fits both flavours. Posting to
# /{ig_account_id}/messages with a Page token fails with Graph error 100 ("Unsupported post
# request"); the account id is only used to read the account (check()).
SEND_AS = "me"
# Attachments the worker can turn into a question: a voice message, a photo.
READABLE = ("audio", "image")

__all__ = [
    "InstagramClient",
    "account_ids",
    "parse_payload",
    "verify_signature",
]


def _entries(payload: Any) -> list[dict]:
    if not isinstance(payload, dict):
        return []
    obj = payload.get("object")
    if obj is not None and obj != WEBHOOK_OBJECT:
        return []
    return [e for e in as_list(payload.get("entry")) if isinstance(e, dict)]


def account_ids(payload: Any) -> set[str]:
    """The business account id (entry[].id) of every entry, to find tenants before verifying."""
    ids: set[str] = set()
    for entry in _entries(payload):
        aid = as_id(entry.get("id"))
        if aid:
            ids.add(aid)
    return ids


def _items(entry: dict) -> list[dict]:
    """messaging[] items plus changes[] (field "messages") values, in one shape."""
    items = [m for m in as_list(entry.get("messaging")) if isinstance(m, dict)]
    for change in as_list(entry.get("changes")):
        change = as_dict(change)
        if change.get("field") in ("messages", None) and isinstance(change.get("value"), dict):
            items.append(change["value"])
    return items


def _parse_item(account: str, item: dict) -> InboundEvent | None:
    sender = as_id(as_dict(item.get("sender")).get("id"))
    recipient = as_id(as_dict(item.get("recipient")).get("id"))
    timestamp = to_datetime(item.get("timestamp"))
    if sender is None:
        return None
    message = item.get("message")
    if isinstance(message, dict):
        mid = as_id(message.get("mid"))
        if mid is None or message.get("is_deleted") is True:
            return None
        text = as_str(message.get("text"))
        # An echo is flagged, but a message "from" the business account itself is one too:
        # answering it would make the bot talk to itself forever.
        if message.get("is_echo") is True or sender == account:
            return InboundEvent(
                platform=PLATFORM, account_key=account, kind="echo", external_id=mid,
                sender_id=sender, recipient_id=recipient, timestamp=timestamp, text=text,
            )  # fmt: skip
        if text is not None and text.strip():
            return InboundEvent(
                platform=PLATFORM, account_key=account, kind="text", external_id=mid,
                sender_id=sender, recipient_id=recipient, timestamp=timestamp, text=text,
            )  # fmt: skip
        attachments = as_list(message.get("attachments"))
        first = as_dict(attachments[0]) if attachments else {}
        media_type = as_str(first.get("type"))
        url = as_str(as_dict(first.get("payload")).get("url"), 2048)
        if attachments or message.get("is_unsupported") is True:
            return InboundEvent(
                platform=PLATFORM, account_key=account, kind="media", external_id=mid,
                sender_id=sender, recipient_id=recipient, timestamp=timestamp,
                media_type=media_type or "unsupported",
                media_ref=url if media_type in READABLE else None,
            )  # fmt: skip
        return None
    postback = item.get("postback")
    if isinstance(postback, dict):
        if sender == account:
            return None
        title = as_str(postback.get("title")) or as_str(postback.get("payload"))
        if not title:
            return None
        # Some postbacks carry no mid; sender + time is stable across redeliveries.
        mid = as_id(postback.get("mid")) or f"postback:{sender}:{item.get('timestamp')}"
        return InboundEvent(
            platform=PLATFORM, account_key=account, kind="text", external_id=mid,
            sender_id=sender, recipient_id=recipient, timestamp=timestamp, text=title,
        )  # fmt: skip
    # read, reaction, message_edit, referral, optin, seen: nothing to answer or record.
    return None


def parse_payload(payload: Any) -> list[InboundEvent]:
    """Messages, postbacks and echoes in a (batched) Instagram webhook; never raises."""
    events: list[InboundEvent] = []
    for entry in _entries(payload):
        account = as_id(entry.get("id"))
        if account is None:
            continue
        for item in _items(entry):
            try:
                event = _parse_item(account, item)
            except Exception:  # one odd item must not lose the rest of the batch
                log.warning("could not parse an Instagram webhook item", exc_info=True)
                continue
            if event is not None:
                events.append(event)
    return events


class InstagramClient(GraphClientBase):
    """One Instagram business account: reads it by id, sends as the token's owner (/me)."""

    service = "the Instagram API"
    expired_advice = "Reconnect Instagram to get a new access token and save it."

    base_url_keys = ("INSTAGRAM_API_BASE", "GRAPH_API_BASE")
    default_object_id = "me"
    check_fields = "id,username,name"

    @property
    def account_id(self) -> str:
        """The business account read by check(); sends go to /me/messages whatever it is."""
        return self.object_id

    def window_error(self, failure: GraphFailure) -> bool:
        """Code 10 / subcode 2018278 (outside the window) or 551 (person not reachable)."""
        if failure.subcode == WINDOW_SUBCODE or failure.code == 551:
            return True
        return failure.code == 10 and "window" in failure.message.lower()

    def describe(self, failure: GraphFailure) -> str:
        """Owner-facing words for the Graph errors that need an action."""
        if failure.subcode == WINDOW_SUBCODE or (
            failure.code == 10 and "window" in failure.message.lower()
        ):
            return (
                "Not sent: outside the 24-hour window (the customer last wrote more than 24 hours "
                f"ago) (Graph error {failure.code}/{failure.subcode or '-'})"
            )
        if failure.code == 551:
            return (
                "Not sent: this person isn't available right now (Graph error 551; outside the "
                "messaging window or they restricted messages)"
            )
        return super().describe(failure)

    def send_text(self, recipient_id: str, text: str) -> SendResult:
        """Send text to an IGSID, split at 1000 UTF-8 bytes; never raises."""
        parts = split_for_platform("instagram", text)
        if not parts:
            return SendResult(False, error="empty message", error_code="empty")
        bodies = [{"recipient": {"id": str(recipient_id)}, "message": {"text": p}} for p in parts]
        return self.send_bodies((SEND_AS, "messages"), bodies, _read_mid)

    def download_attachment(self, url: str, max_bytes: int) -> Media:
        """An attachment's bytes from the CDN URL in the webhook (no token: the URL is signed);
        the caller checks the host first (channels.media.host_allowed). Raises MediaError."""
        with self.session() as client:
            return download(client, url, service=self.service, max_bytes=max_bytes)

    def label(self, data: dict) -> str:
        """ "@username (Name)", or the name or id when the account has no username."""
        username = as_str(data.get("username"))
        name = as_str(data.get("name"))
        if username:
            return f"@{username}" + (f" ({name})" if name else "")
        return name or as_id(data.get("id")) or self.object_id


def _read_mid(data: Any) -> str | None:
    return as_id(as_dict(data).get("message_id"))
