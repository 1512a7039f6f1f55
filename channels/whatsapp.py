"""WhatsApp Cloud API adapter: verify Meta's signature, parse batched webhooks, send text."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from .graph import GraphClientBase, GraphFailure, read_graph_error
from .http import network_error_text
from .media import Media, MediaError, download
from .readers import as_dict, as_id, as_list, as_str, to_datetime
from .signatures import verify_signature
from .splitting import split_for_platform
from .types import InboundEvent, SendResult

log = logging.getLogger(__name__)

PLATFORM = "whatsapp"
WEBHOOK_OBJECT = "whatsapp_business_account"
OUTSIDE_WINDOW_CODE = 131047

__all__ = [
    "WhatsAppClient",
    "parse_payload",
    "phone_number_ids",
    "verify_signature",
]

# Types that carry no question; "reaction" and "system" are dropped altogether.
MEDIA_TYPES = frozenset(
    {"image", "audio", "video", "document", "sticker", "location", "contacts", "unsupported",
     "order", "voice"}
)  # fmt: skip
CAPTIONED_TYPES = ("image", "video", "document")
# Media the worker can turn into a question: a voice note (transcribed), a photo (described).
READABLE = ("audio", "image")
IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome", "ephemeral"})


def _is_whatsapp(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    obj = payload.get("object")
    return obj is None or obj == WEBHOOK_OBJECT


def _values(payload: Any) -> list[dict]:
    """Every change value (with its field name under "_field") in a webhook body."""
    if not _is_whatsapp(payload):
        return []
    out = []
    for entry in as_list(payload.get("entry")):
        for change in as_list(as_dict(entry).get("changes")):
            change = as_dict(change)
            value = as_dict(change.get("value"))
            if value:
                out.append({**value, "_field": change.get("field")})
    return out


def phone_number_ids(payload: Any) -> set[str]:
    """The phone_number_id of every change, to find the tenants before checking signatures."""
    ids: set[str] = set()
    try:
        for value in _values(payload):
            pid = as_id(as_dict(value.get("metadata")).get("phone_number_id"))
            if pid:
                ids.add(pid)
    except Exception:
        log.warning("could not read phone number ids from a WhatsApp webhook", exc_info=True)
    return ids


def _message_text(msg: dict) -> tuple[str, str | None, str | None]:
    """(kind, text, media_type) for one inbound message; kind "" means ignore."""
    mtype = as_str(msg.get("type")) or ""
    if mtype in IGNORED_TYPES:
        return "", None, None
    if mtype == "text":
        body = as_str(as_dict(msg.get("text")).get("body"))
        return ("text", body, None) if body and body.strip() else ("", None, None)
    if mtype == "interactive":
        inter = as_dict(msg.get("interactive"))
        reply = as_dict(inter.get("button_reply")) or as_dict(inter.get("list_reply"))
        title = as_str(reply.get("title"))
        return ("text", title, None) if title else ("media", None, "interactive")
    if mtype == "button":
        text = as_str(as_dict(msg.get("button")).get("text"))
        return ("text", text, None) if text else ("media", None, "button")
    if mtype in CAPTIONED_TYPES:
        caption = as_str(as_dict(msg.get(mtype)).get("caption"))
        if caption and caption.strip():
            return "text", caption, mtype
        return "media", None, mtype
    if mtype:
        # MEDIA_TYPES and unknown future types alike: a customer wrote, but not in words.
        return "media", None, mtype
    return "", None, None


def _status_error(status: dict) -> str | None:
    parts = []
    for err in as_list(status.get("errors")):
        err = as_dict(err)
        code = as_id(err.get("code"))
        title = as_str(err.get("title")) or as_str(err.get("message"))
        details = as_str(as_dict(err.get("error_data")).get("details"))
        bits = [title] if title else []
        if details and details != title:
            bits.append(details)
        text = " — ".join(bits)
        if code:
            text = f"{code}: {text}" if text else code
        if text:
            parts.append(text)
    return "; ".join(parts) or None


def _parse_value(value: dict) -> list[InboundEvent]:
    account = as_id(as_dict(value.get("metadata")).get("phone_number_id"))
    if account is None:
        return []
    names = {}
    for contact in as_list(value.get("contacts")):
        contact = as_dict(contact)
        wa_id = as_id(contact.get("wa_id"))
        name = as_str(as_dict(contact.get("profile")).get("name"))
        if wa_id and name:
            names[wa_id] = name
    events: list[InboundEvent] = []
    for msg in as_list(value.get("messages")):
        msg = as_dict(msg)
        wamid, sender = as_id(msg.get("id")), as_id(msg.get("from"))
        if not wamid or not sender:
            continue
        kind, text, media_type = _message_text(msg)
        if not kind:
            continue
        media = as_dict(msg.get(media_type)) if kind == "media" and media_type in READABLE else {}
        events.append(
            InboundEvent(
                platform=PLATFORM,
                account_key=account,
                kind=kind,
                external_id=wamid,
                sender_id=sender,
                timestamp=to_datetime(msg.get("timestamp"), milliseconds=False),
                sender_name=names.get(sender),
                text=text,
                media_type=media_type,
                media_ref=as_id(media.get("id")),
                media_mime=as_str(media.get("mime_type"), 64),
            )
        )
    for status in as_list(value.get("statuses")):
        status = as_dict(status)
        wamid, state = as_id(status.get("id")), as_str(status.get("status"))
        if not wamid or not state:
            continue
        customer = as_id(status.get("recipient_id")) or ""
        events.append(
            InboundEvent(
                platform=PLATFORM,
                account_key=account,
                kind="status",
                external_id=wamid,
                sender_id=customer,
                recipient_id=customer or None,
                timestamp=to_datetime(status.get("timestamp"), milliseconds=False),
                status=state,
                error=_status_error(status),
            )
        )
    # Coexistence (the owner also uses the WhatsApp Business app): what they send there comes
    # back as message_echoes; the engine must record it, never answer it.
    for echo in as_list(value.get("message_echoes")):
        echo = as_dict(echo)
        wamid, to = as_id(echo.get("id")), as_id(echo.get("to"))
        if not wamid or not to:
            continue
        events.append(
            InboundEvent(
                platform=PLATFORM,
                account_key=account,
                kind="echo",
                external_id=wamid,
                sender_id=as_id(echo.get("from")) or account,
                recipient_id=to,
                timestamp=to_datetime(echo.get("timestamp"), milliseconds=False),
                text=as_str(as_dict(echo.get("text")).get("body")),
            )
        )
    return events


def parse_payload(payload: Any) -> list[InboundEvent]:
    """Every message, status and echo in a (batched) webhook body; never raises."""
    events: list[InboundEvent] = []
    for value in _values(payload):
        try:
            events.extend(_parse_value(value))
        except Exception:  # one odd change must not lose the others in the batch
            log.warning("could not parse a WhatsApp webhook change", exc_info=True)
    return events


class WhatsAppClient(GraphClientBase):
    """Send text as one WhatsApp Business phone number through the Cloud API."""

    service = "the WhatsApp Cloud API"
    # Dashboard tokens expire within 24 hours; a System User token does not.
    expired_advice = "Generate a permanent System User token in Meta Business Settings and save it."

    check_fields = "display_phone_number,verified_name"

    @property
    def phone_number_id(self) -> str:
        """The phone number id messages are sent from."""
        return self.object_id

    def window_error(self, failure: GraphFailure) -> bool:
        """131047: more than 24 hours since the customer last wrote."""
        return failure.code == OUTSIDE_WINDOW_CODE

    def describe(self, failure: GraphFailure) -> str:
        """Owner-facing words for the Graph errors that need an action."""
        if failure.code == OUTSIDE_WINDOW_CODE:
            return (
                "Not sent: outside the 24-hour window (the customer last wrote more than 24 hours "
                "ago; only approved templates can be sent now) (Graph error 131047)"
            )
        if failure.code == 131030:
            return (
                f"{failure.message} (Graph error 131030): with a test number, add the recipient "
                "to the allowed list in the Meta dashboard"
            )
        return super().describe(failure)

    def send_text(self, to: str, text: str) -> SendResult:
        """Send a free-form text (split at 4096 characters); never raises."""
        parts = split_for_platform("whatsapp", text)
        if not parts:
            return SendResult(False, error="empty message", error_code="empty")
        bodies = [
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": str(to),
                "type": "text",
                "text": {"preview_url": False, "body": part},
            }
            for part in parts
        ]
        return self.send_bodies((self.object_id, "messages"), bodies, _read_wamid)

    def download_media(self, media_id: str, max_bytes: int) -> Media:
        """A customer's media: its id gives a URL valid for about 5 minutes (GET /{media-id}),
        fetched with the same token, into memory; raises MediaError."""
        try:
            with self.session() as client:
                status, data = self.request(client, "GET", self.url(media_id))
                url = as_str(as_dict(data).get("url"))
                if not 200 <= status < 300 or url is None:
                    raise MediaError(self.describe(read_graph_error(status, data)))
                return download(
                    client,
                    url,
                    service=self.service,
                    max_bytes=max_bytes,
                    headers=self._headers(),
                    mime_type=as_str(data.get("mime_type")),
                    declared_size=data.get("file_size"),
                )
        except httpx.HTTPError as exc:
            raise MediaError(network_error_text(self.service, exc)) from None

    def label(self, data: dict) -> str:
        """ "+998 … (Name)": the number as Meta shows it, with its verified name."""
        number = as_str(data.get("display_phone_number")) or self.object_id
        name = as_str(data.get("verified_name"))
        return f"{number} ({name})" if name else number


def _read_wamid(data: Any) -> str | None:
    messages = as_list(as_dict(data).get("messages"))
    return as_id(as_dict(messages[0]).get("id")) if messages else None
