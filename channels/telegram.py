"""Telegram webhooks: verify the secret header, parse one Update, build the language picker.

The Bot API client is in `telegram_client`; this module makes no network calls.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from .readers import as_dict, as_id, as_list, as_str, to_datetime
from .types import InboundEvent

log = logging.getLogger(__name__)

PLATFORM = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
DEFAULT_ALLOWED_UPDATES: tuple[str, ...] = ("message", "callback_query", "my_chat_member")
LANGUAGE_CALLBACK_PREFIX = "lang:"
LANGUAGES: tuple[tuple[str, str], ...] = (("uz", "O‘zbekcha"), ("ru", "Русский"), ("en", "English"))

# Message fields that carry content without text; anything in a private chat that has none of
# these and no text is a service message (pinned, new members, ...) and is ignored.
MEDIA_KEYS: tuple[str, ...] = (
    "photo", "voice", "sticker", "document", "video", "audio", "animation", "video_note",
    "location", "venue", "contact", "poll", "dice", "game", "story", "paid_media", "invoice",
    "giveaway",
)  # fmt: skip


# --- webhook ---------------------------------------------------------------------------------
def verify_secret(header_value: str | None, expected: str) -> bool:
    """Compare the X-Telegram-Bot-Api-Secret-Token header with our secret in constant time."""
    if not header_value or not expected:
        return False
    if not isinstance(header_value, str) or not isinstance(expected, str):
        return False
    return hmac.compare_digest(header_value.encode("utf-8"), expected.encode("utf-8"))


def _sender_name(user: dict) -> str | None:
    first = as_str(user.get("first_name")) or ""
    last = as_str(user.get("last_name")) or ""
    name = f"{first} {last}".strip()
    if name:
        return name
    username = as_str(user.get("username"))
    return f"@{username}" if username else None


def _is_start(text: str) -> bool:
    command = text.split(maxsplit=1)[0] if text.split() else ""
    return command == "/start" or command.startswith("/start@")


def _parse_message(update_id: str, msg: dict, account_key: str) -> list[InboundEvent]:
    chat = as_dict(msg.get("chat"))
    chat_id = as_id(chat.get("id"))
    chat_type = chat.get("type")
    # The bot answers customers one to one; group chatter is not a question for it.
    if chat_id is None or (chat_type is not None and chat_type != "private"):
        return []
    user = as_dict(msg.get("from"))
    if user.get("is_bot") is True:
        return []
    base = {
        "platform": PLATFORM,
        "account_key": account_key,
        "external_id": update_id,
        "sender_id": chat_id,
        "timestamp": to_datetime(msg.get("date"), milliseconds=False),
        "sender_name": _sender_name(user),
        "language_code": as_str(user.get("language_code")),
    }
    text = as_str(msg.get("text"))
    if text is not None:
        kind = "start" if _is_start(text) else "text"
        return [InboundEvent(kind=kind, text=text, **base)]
    caption = as_str(msg.get("caption"))
    media = next((k for k in MEDIA_KEYS if k in msg), None)
    if caption is not None:
        return [InboundEvent(kind="text", text=caption, media_type=media, **base)]
    if media is not None:
        return [InboundEvent(kind="media", media_type=media, **_media_fields(msg, media), **base)]
    return []


# Media the worker can turn into a question (a transcript, a description), and their types.
READABLE_MEDIA = {"voice": "audio/ogg", "audio": "audio/mpeg", "video_note": "video/mp4",
                  "photo": "image/jpeg"}  # fmt: skip


def _media_fields(msg: dict, media: str) -> dict:
    """The file id, type and length of a voice note, audio, video note or photo."""
    if media not in READABLE_MEDIA:
        return {}
    item = msg.get(media)
    if media == "photo":  # the sizes of one photo, smallest first
        item = as_list(item)[-1] if as_list(item) else None
    item = as_dict(item)
    duration = item.get("duration")
    return {
        "media_ref": as_str(item.get("file_id"), 256),
        "media_mime": as_str(item.get("mime_type"), 64) or READABLE_MEDIA[media],
        "media_duration": duration if isinstance(duration, int) and duration >= 0 else None,
    }


def _parse_callback(update_id: str, cq: dict, account_key: str) -> list[InboundEvent]:
    callback_id = as_id(cq.get("id"))
    user = as_dict(cq.get("from"))
    chat_id = as_id(as_dict(as_dict(cq.get("message")).get("chat")).get("id")) or as_id(
        user.get("id")
    )
    if callback_id is None or chat_id is None:
        return []
    return [
        InboundEvent(
            platform=PLATFORM,
            account_key=account_key,
            kind="callback",
            external_id=update_id,
            sender_id=chat_id,
            # A callback carries no date of its own; the message date is when the buttons were sent.
            timestamp=datetime.now(UTC),
            sender_name=_sender_name(user),
            callback_id=callback_id,
            callback_data=as_str(cq.get("data")),
            language_code=as_str(user.get("language_code")),
        )
    ]


def _parse_member(update_id: str, member: dict, account_key: str) -> list[InboundEvent]:
    chat = as_dict(member.get("chat"))
    chat_id = as_id(chat.get("id"))
    if chat_id is None or (chat.get("type") is not None and chat.get("type") != "private"):
        return []
    status = as_dict(member.get("new_chat_member")).get("status")
    if status == "kicked":
        kind = "blocked"
    elif status == "member":
        kind = "unblocked"
    else:
        return []
    user = as_dict(member.get("from"))
    return [
        InboundEvent(
            platform=PLATFORM,
            account_key=account_key,
            kind=kind,
            external_id=update_id,
            sender_id=chat_id,
            timestamp=to_datetime(member.get("date"), milliseconds=False),
            sender_name=_sender_name(user),
            status=status,
        )
    ]


def parse_update(update: Any, account_key: str) -> list[InboundEvent]:
    """Turn one Telegram Update into zero or one InboundEvent; never raises on odd shapes."""
    try:
        if not isinstance(update, dict):
            return []
        update_id = as_id(update.get("update_id"))
        if update_id is None:
            return []
        account_key = str(account_key)
        if isinstance(update.get("message"), dict):
            return _parse_message(update_id, update["message"], account_key)
        if isinstance(update.get("callback_query"), dict):
            return _parse_callback(update_id, update["callback_query"], account_key)
        if isinstance(update.get("my_chat_member"), dict):
            return _parse_member(update_id, update["my_chat_member"], account_key)
        # edited_message, channel_post, business messages, polls, ...: not questions.
        return []
    except Exception:  # a webhook must answer 200 even for a body we do not understand
        log.warning("could not parse a Telegram update", exc_info=True)
        return []


# --- keyboards -------------------------------------------------------------------------------
def language_picker_markup() -> dict[str, Any]:
    """Inline keyboard with O‘zbekcha / Русский / English and callback_data "lang:<code>"."""
    return {
        "inline_keyboard": [
            [
                {"text": label, "callback_data": f"{LANGUAGE_CALLBACK_PREFIX}{code}"}
                for code, label in LANGUAGES
            ]
        ]
    }


def parse_language_callback(data: str | None) -> str | None:
    """Language code of a picker button ("lang:ru" → "ru"), else None."""
    if not isinstance(data, str) or not data.startswith(LANGUAGE_CALLBACK_PREFIX):
        return None
    code = data[len(LANGUAGE_CALLBACK_PREFIX) :]
    return code if code in {c for c, _ in LANGUAGES} else None
