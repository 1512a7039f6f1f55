"""Telegram Bot API adapter: verify the webhook secret, parse one Update, call the Bot API.

The bot token is part of every Bot API URL, so nothing here puts a URL into an exception or a log
line, and httpx's own request log is redacted (see `_RedactTokens`).
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from .base import (
    DEFAULT_MAX_WAIT_SECONDS,
    InboundEvent,
    SendResult,
    Sleep,
    as_dict,
    as_id,
    as_str,
    backoff_seconds,
    network_error_text,
    split_for_platform,
    to_datetime,
    utcnow,
)

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

_TOKEN_IN_TEXT = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_TOKEN_IN_URL = re.compile(r"/bot[^/\s\"']+/")


def _scrub(text: str) -> str:
    """Remove anything that looks like a bot token from a string."""
    return _TOKEN_IN_TEXT.sub("bot<redacted>", _TOKEN_IN_URL.sub("/bot<redacted>/", text))


class _RedactTokens(logging.Filter):
    """Replace bot tokens in httpx's INFO request log ("HTTP Request: POST .../bot<token>/...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_scrub(str(a)) if "bot" in str(a) else a for a in args)
        if isinstance(record.msg, str) and "bot" in record.msg:
            record.msg = _scrub(record.msg)
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _RedactTokens) for f in _httpx_log.filters):
    _httpx_log.addFilter(_RedactTokens())


class TelegramError(Exception):
    """A Bot API call failed; `code` is Telegram's error_code (401 bad token) or None (network)."""

    def __init__(
        self,
        message: str,
        code: int | None = None,
        retry_after: float | None = None,
        *,
        description: str | None = None,
        network: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after
        # Telegram's own words (token redacted), so a page can quote them after its own
        # translated sentence; `message` is our English summary for logs.
        self.description = description
        self.network = network  # Telegram was not reached (or did not answer in time)

    def __repr__(self) -> str:
        return f"TelegramError({self.message!r}, code={self.code!r})"


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
        return [InboundEvent(kind="media", media_type=media, **base)]
    return []


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
            timestamp=utcnow(),
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


# --- client ----------------------------------------------------------------------------------
@dataclass
class _Answer:
    """A Bot API answer, or a network failure (status 0)."""

    status: int
    ok: bool
    result: Any = None
    description: str = ""
    error_code: int | None = None
    retry_after: float | None = None
    connect_failed: bool = False


class TelegramClient:
    """Bot API client for one bot token; hosts and limits are constructor arguments."""

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.telegram.org",
        timeout: float = 10.0,
        max_retries: int = 2,
        *,
        sleep: Sleep = time.sleep,
        max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
        http: httpx.Client | None = None,
    ) -> None:
        self._token = token or ""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.sleep = sleep
        self.max_wait = max_wait
        self._http = http

    @classmethod
    def from_config(cls, config: Mapping[str, Any], token: str, **kwargs: Any) -> TelegramClient:
        """Build from a Flask-style config (TELEGRAM_API_BASE, MESSAGING_TIMEOUT_SECONDS)."""
        return cls(
            token,
            base_url=config.get("TELEGRAM_API_BASE") or "https://api.telegram.org",
            timeout=float(config.get("MESSAGING_TIMEOUT_SECONDS") or 10.0),
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"<TelegramClient bot {self.bot_id or '?'} via {self.base_url}>"

    @property
    def bot_id(self) -> str | None:
        """The numeric bot id before the colon of the token (public: it is the bot's user id)."""
        head = self._token.split(":", 1)[0]
        return head if head.isdigit() else None

    # --- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[httpx.Client]:
        if self._http is not None:
            yield self._http
            return
        with httpx.Client(timeout=httpx.Timeout(self.timeout)) as client:
            yield client

    def _redact(self, text: str) -> str:
        if self._token and self._token in text:
            text = text.replace(self._token, "<redacted>")
        return _scrub(text)

    def _call(self, client: httpx.Client, method: str, params: dict[str, Any]) -> _Answer:
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            resp = client.post(url, json={k: v for k, v in params.items() if v is not None})
        except httpx.HTTPError as exc:
            return _Answer(
                0,
                False,
                description=self._redact(network_error_text("Telegram", exc)),
                connect_failed=isinstance(exc, httpx.ConnectError),
            )
        try:
            data = resp.json()
        except ValueError:
            data = None
        data = as_dict(data)
        params_ = as_dict(data.get("parameters"))
        retry_after = params_.get("retry_after")
        if data.get("ok") is True and resp.status_code < 300:
            return _Answer(resp.status_code, True, result=data.get("result"))
        code = data.get("error_code") if isinstance(data.get("error_code"), int) else None
        description = as_str(data.get("description")) or f"HTTP {resp.status_code}"
        return _Answer(
            resp.status_code,
            False,
            description=self._redact(description),
            error_code=code or resp.status_code,
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        )

    def _request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call a method and return its result, or raise TelegramError (no URL, no token)."""
        with self._session() as client:
            answer = self._call(client, method, params or {})
        if answer.ok:
            return answer.result
        code = answer.error_code if answer.status else None
        if code == 401:
            message = "Telegram rejected the bot token (401 Unauthorized); copy it from @BotFather"
        elif code == 404 and method == "getMe":
            message = "Telegram does not know this bot token (404); copy it from @BotFather"
        else:
            message = f"Telegram {method} failed: {answer.description}"
        network = not answer.status
        raise TelegramError(
            message,
            code,
            answer.retry_after,
            description=None if network else answer.description,
            network=network,
        ) from None

    # --- methods -----------------------------------------------------------------------------
    def get_me(self) -> dict[str, Any]:
        """The bot's user (id, username, first_name); raises TelegramError(code=401) if wrong."""
        result = self._request("getMe")
        if not isinstance(result, dict) or as_id(result.get("id")) is None:
            raise TelegramError("Telegram getMe returned an unexpected answer", None)
        return result

    def set_webhook(
        self,
        url: str,
        secret_token: str,
        allowed_updates: list[str] | tuple[str, ...] | None = None,
        drop_pending_updates: bool = True,
    ) -> bool:
        """Point the bot at our webhook URL with a secret header; raises TelegramError."""
        self._request(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret_token,
                "allowed_updates": list(
                    DEFAULT_ALLOWED_UPDATES if allowed_updates is None else allowed_updates
                ),
                "drop_pending_updates": bool(drop_pending_updates),
            },
        )
        return True

    def delete_webhook(self, drop_pending_updates: bool = False) -> bool:
        """Stop deliveries to our webhook (on disconnect); raises TelegramError."""
        self._request("deleteWebhook", {"drop_pending_updates": bool(drop_pending_updates)})
        return True

    def get_webhook_info(self) -> dict[str, Any]:
        """url, pending_update_count, last_error_message, ... ; raises TelegramError."""
        result = self._request("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    def answer_callback_query(self, callback_query_id: str, text: str | None = None) -> bool:
        """Stop the button's spinner (optionally with a toast); raises TelegramError."""
        self._request("answerCallbackQuery", {"callback_query_id": callback_query_id, "text": text})
        return True

    def send_message(
        self, chat_id: int | str, text: str, reply_markup: dict[str, Any] | None = None
    ) -> SendResult:
        """Send plain text (split at 4096); markup goes on the last part. Never raises."""
        parts = split_for_platform("telegram", text)
        if not parts:
            return SendResult(False, error="empty message", error_code="empty")
        ids: list[str] = []
        with self._session() as client:
            for i, part in enumerate(parts):
                params: dict[str, Any] = {"chat_id": chat_id, "text": part}
                if reply_markup is not None and i == len(parts) - 1:
                    params["reply_markup"] = reply_markup
                result = self._send_part(client, params)
                if not result.ok:
                    result.external_ids = ids
                    return result
                ids.extend(result.external_ids)
        return SendResult(True, external_ids=ids)

    def _send_part(self, client: httpx.Client, params: dict[str, Any]) -> SendResult:
        attempt = 0
        while True:
            answer = self._call(client, "sendMessage", params)
            if answer.ok:
                mid = as_id(as_dict(answer.result).get("message_id"))
                return SendResult(True, external_ids=[mid] if mid else [])
            can_retry = attempt < self.max_retries
            if answer.error_code == 429 and can_retry:
                wait = answer.retry_after if answer.retry_after is not None else 1.0
                self.sleep(min(max(wait, 0.0), self.max_wait))
            elif (answer.connect_failed or answer.status >= 500) and can_retry:
                self.sleep(backoff_seconds(attempt, 1.0, self.max_wait))
            else:
                return self._failure(answer)
            attempt += 1

    def _failure(self, answer: _Answer) -> SendResult:
        code = answer.error_code if answer.status else "network"
        text = answer.description.lower()
        blocked = answer.error_code == 403 or "blocked by the user" in text
        retryable = answer.status == 0 or answer.status >= 500 or answer.error_code == 429
        log.info("Telegram sendMessage failed: %s (%s)", answer.description, code)
        return SendResult(
            False,
            error=answer.description,
            error_code=code,
            retryable=retryable and not blocked,
            blocked=blocked,
            retry_after=answer.retry_after,
            token_invalid=answer.error_code == 401,
        )

    language_picker_markup = staticmethod(language_picker_markup)
