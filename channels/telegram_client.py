"""Telegram Bot API client: getMe, webhooks, callback answers and sending text with retries.

The bot token is part of every Bot API URL, so nothing here puts a URL into an exception or a log
line, and httpx's own request log is redacted (channels/redact.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from core.retry import Sleep, backoff, call_with_retries, outcome

from .http import DEFAULT_MAX_WAIT_SECONDS, network_error_text, open_session
from .media import Media, MediaError, MediaTooLarge, download
from .readers import as_dict, as_id, as_str
from .redact import scrub_tokens
from .splitting import split_for_platform
from .telegram import DEFAULT_ALLOWED_UPDATES, language_picker_markup
from .types import SendResult

log = logging.getLogger(__name__)


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
        self.message, self.code, self.retry_after = message, code, retry_after
        # Telegram's own words (token redacted), so a page can quote them after its own
        # translated sentence; `message` is our English summary for logs.
        self.description = description
        self.network = network  # Telegram was not reached (or did not answer in time)

    def __repr__(self) -> str:
        return f"TelegramError({self.message!r}, code={self.code!r})"


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
        self.sleep, self.max_wait, self._http = sleep, max_wait, http
        # False: a refusal for now (429, 5xx) comes back at once for a durable retry later,
        # instead of a thread sleeping through retry_after.
        self.retry_refusals = True
        self.parts_sent = 0  # parts of the next text already delivered on an earlier try

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
        with open_session(self._http, self.timeout) as client:
            yield client

    def _redact(self, text: str) -> str:
        if self._token and self._token in text:
            text = text.replace(self._token, "<redacted>")
        return scrub_tokens(text)

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

    def download_file(self, file_id: str, max_bytes: int) -> Media:
        """getFile, then the file into memory (≤ max_bytes); MediaError never shows the URL."""
        try:
            info = as_dict(self._request("getFile", {"file_id": file_id}))
        except TelegramError as exc:  # over 20 MB: "Bad Request: file is too big"
            too_big = "too big" in (exc.description or "")
            raise MediaTooLarge(None, max_bytes) if too_big else MediaError(exc.message) from None
        url = f"{self.base_url}/file/bot{self._token}/{as_str(info.get('file_path')) or ''}"
        with self._session() as client:
            return download(client, url, service="Telegram", max_bytes=max_bytes,
                            declared_size=info.get("file_size"))  # fmt: skip

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
                if i < self.parts_sent:
                    continue
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
        answer = call_with_retries(
            lambda: self._call(client, "sendMessage", params),
            attempts=self.max_retries + 1,
            retry_on=_worth_retrying if self.retry_refusals else _connect_failed,
            wait=self._wait,
            sleep=self.sleep,
        )
        if not answer.ok:
            return self._failure(answer)
        mid = as_id(as_dict(answer.result).get("message_id"))
        return SendResult(True, external_ids=[mid] if mid else [])

    def _wait(self, state) -> float:
        """Telegram's retry_after on a 429 (1 s if absent), else backoff; capped at max_wait."""
        answer = outcome(state)
        if answer.error_code == 429:
            wait = answer.retry_after if answer.retry_after is not None else 1.0
            return min(max(wait, 0.0), self.max_wait)
        return backoff(1.0, self.max_wait)(state)

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

    def send(self, to: str, text: str, *, language_picker: bool = False) -> SendResult:
        """The channel interface's send; the language picker goes under the last part."""
        return self.send_message(
            to, text, reply_markup=language_picker_markup() if language_picker else None
        )

    language_picker_markup = staticmethod(language_picker_markup)


def _connect_failed(answer: _Answer) -> bool:
    """Only a failed connection (nothing was sent): refusals are left to the caller."""
    return not answer.ok and answer.connect_failed


def _worth_retrying(answer: _Answer) -> bool:
    """Flood control (429), a failed connection (nothing was sent) or a Telegram server error."""
    if answer.ok:
        return False
    return answer.error_code == 429 or answer.connect_failed or answer.status >= 500
