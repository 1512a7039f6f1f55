"""What every channel adapter shares: the inbound event value, the send result, text splitting,
Meta webhook signatures, tolerant payload readers and the Graph API client base.

Nothing here imports Flask: hosts, versions and timeouts are constructor arguments, so tests point
the clients at local fake servers and operators follow API deprecations through configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

log = logging.getLogger(__name__)

Platform = Literal["telegram", "whatsapp", "instagram"]
Kind = Literal["text", "media", "start", "callback", "status", "echo", "blocked", "unblocked"]

KINDS: frozenset[str] = frozenset(
    {"text", "media", "start", "callback", "status", "echo", "blocked", "unblocked"}
)

TELEGRAM_MAX_CHARS = 4096
WHATSAPP_MAX_CHARS = 4096
INSTAGRAM_MAX_BYTES = 1000

# A single wait between retries never exceeds this, so a background task cannot stall for minutes.
DEFAULT_MAX_WAIT_SECONDS = 5.0


# --- values ----------------------------------------------------------------------------------
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


# --- tolerant readers (webhook bodies come from the internet: never trust their shapes) --------
def as_dict(value: Any) -> dict:
    """The value if it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """The value if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """A non-empty string, or None; numbers are not text."""
    return value if isinstance(value, str) and value != "" else None


def as_id(value: Any) -> str | None:
    """An identifier as a string: accepts str and int (not bool, which is an int in Python)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def to_datetime(value: Any, *, milliseconds: bool | None = None) -> datetime:
    """Platform epoch time (int/float/digit string; seconds or ms) as aware UTC, else now."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if isinstance(value, int | float) and value > 0:
        # Meta mixes seconds (WhatsApp, Instagram "changes" test payloads) and ms (Instagram).
        is_ms = milliseconds if milliseconds is not None else value > 100_000_000_000
        seconds = value / 1000.0 if is_ms else float(value)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC)


# --- signatures ------------------------------------------------------------------------------
def sign_body(raw_body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 value Meta sends for this body: "sha256=<hex>"."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """Check Meta's X-Hub-Signature-256 header against the raw body in constant time."""
    if not app_secret or not isinstance(header, str) or not isinstance(raw_body, bytes):
        return False
    prefix, _, received = header.strip().partition("=")
    if prefix.lower() != "sha256" or not received:
        return False
    expected = sign_body(raw_body, app_secret).partition("=")[2]
    # compare_digest on ASCII bytes; a non-ASCII header is garbage, not an exception.
    try:
        received_bytes = received.lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), received_bytes)


# --- splitting -------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?…。;][\"»”')\]]*\s+")
_SPACE = re.compile(r"\s+")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, max_chars: int | None, max_bytes: int | None, max_utf16: int | None) -> bool:
    if max_chars is not None and len(text) > max_chars:
        return False
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:
        return False
    return max_utf16 is None or _utf16_len(text) <= max_utf16


def _longest_prefix(
    text: str, max_chars: int | None, max_bytes: int | None, max_utf16: int | None
) -> int:
    """Number of characters of the longest prefix that fits every limit (at least 1)."""
    n = len(text) if max_chars is None else min(len(text), max_chars)
    if max_bytes is not None:
        # Cut the bytes, then drop a partly cut character at the end.
        n = min(n, len(text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")))
    if max_utf16 is not None:
        n = min(n, len(text.encode("utf-16-le")[: max_utf16 * 2].decode("utf-16-le", "ignore")))
    return max(n, 1)


def _best_cut(text: str, n: int) -> int:
    """Cut position for text whose first n characters fit: paragraph, line, sentence, word."""
    # We look one character past the window: a cut at n + 1 only happens when text[n] is
    # whitespace, which split_text strips, so the part still fits.
    ext = text[: n + 1]
    half = n // 2
    for sep in ("\n\n", "\n"):
        pos = ext.rfind(sep)
        if pos >= half:
            return pos
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(ext)]
    if sentence_ends and sentence_ends[-1] >= half:
        return sentence_ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(ext) if m.start() > 0]
    if spaces:
        return spaces[-1]
    return n  # one word longer than the limit: a hard cut is the only way


# Each platform's limit on one message, as split_text takes it.
PART_LIMITS: dict[str, dict[str, int]] = {
    "telegram": {"max_utf16": TELEGRAM_MAX_CHARS},
    "whatsapp": {"max_chars": WHATSAPP_MAX_CHARS},
    "instagram": {"max_bytes": INSTAGRAM_MAX_BYTES},
}


def split_for_platform(platform: str, text: str) -> list[str]:
    """The parts the adapter sends a text in on this platform (one part where there is no limit)."""
    limits = PART_LIMITS.get(platform)
    return split_text(text, **limits) if limits else [text]


def split_text(
    text: str,
    max_chars: int | None = None,
    max_bytes: int | None = None,
    *,
    max_utf16: int | None = None,
) -> list[str]:
    """Split text into parts within the limits, at paragraph/sentence/word boundaries."""
    if not isinstance(text, str):
        return []
    for limit in (max_chars, max_bytes, max_utf16):
        if limit is not None and limit < 4:
            raise ValueError("limits below 4 cannot hold a UTF-8 character")
    rest = text.strip()
    parts: list[str] = []
    while rest:
        if _fits(rest, max_chars, max_bytes, max_utf16):
            parts.append(rest)
            break
        n = _longest_prefix(rest, max_chars, max_bytes, max_utf16)
        cut = _best_cut(rest, n)
        head = rest[:cut].rstrip()
        if not head or not _fits(head, max_chars, max_bytes, max_utf16):
            head, cut = rest[:n], n  # defensive: a hard cut always fits
        parts.append(head)
        rest = rest[cut:].lstrip()
    return parts


# --- HTTP helpers ----------------------------------------------------------------------------
Sleep = Callable[[float], None]


def backoff_seconds(
    attempt: int, base: float = 1.0, cap: float = DEFAULT_MAX_WAIT_SECONDS
) -> float:
    """Exponential backoff for attempt 0, 1, 2, ... capped so a task never waits long."""
    return min(cap, base * (2**attempt))


def network_error_text(service: str, exc: Exception) -> str:
    """A human-readable network failure that never includes the request URL."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{service} did not answer in time ({type(exc).__name__})"
    return f"could not reach {service} ({type(exc).__name__})"


@dataclass
class GraphFailure:
    """A Graph API error read from a response, in words and codes."""

    message: str
    code: int | None = None
    subcode: int | None = None
    http_status: int = 0
    retryable: bool = False
    token_invalid: bool = False

    @property
    def network(self) -> bool:
        """Meta was not reached (or did not answer in time): there is no Graph answer to quote."""
        return self.http_status == 0 and self.code is None


# Graph codes that mean "slow down / try again": throughput, app/user rate limits, transient.
GRAPH_RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131056, 131000})
GRAPH_TOKEN_CODES = frozenset({190, 102, 463, 467})


def read_graph_error(status: int, data: Any) -> GraphFailure:
    """Turn a non-2xx Graph response into a GraphFailure."""
    err = as_dict(as_dict(data).get("error"))
    code = err.get("code") if isinstance(err.get("code"), int) else None
    subcode = err.get("error_subcode") if isinstance(err.get("error_subcode"), int) else None
    message = as_str(err.get("message")) or f"HTTP {status}"
    details = as_str(as_dict(err.get("error_data")).get("details"))
    if details and details not in message:
        message = f"{message}: {details}"
    retryable = (
        status == 429
        or status >= 500
        or code in GRAPH_RETRY_CODES
        or err.get("is_transient") is True
    )
    token_invalid = code in GRAPH_TOKEN_CODES or (status == 401 and code is None)
    return GraphFailure(message, code, subcode, status, retryable, token_invalid)


class GraphClientBase:
    """Shared plumbing for the WhatsApp and Instagram clients (Bearer auth, retries, errors)."""

    service = "the Graph API"
    expired_advice = "Generate a new access token and save it again."

    def __init__(
        self,
        access_token: str,
        object_id: str,
        base_url: str = "https://graph.facebook.com",
        version: str = "v26.0",
        timeout: float = 10.0,
        max_retries: int = 2,
        *,
        sleep: Sleep = time.sleep,
        max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
        backoff_base: float = 1.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._access_token = access_token
        self.object_id = str(object_id)
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.sleep = sleep
        self.max_wait = max_wait
        self.backoff_base = backoff_base
        self._http = http

    def __repr__(self) -> str:  # the token never appears in reprs or logs
        return f"<{type(self).__name__} {self.object_id} via {self.base_url}/{self.version}>"

    def url(self, *parts: str) -> str:
        """Absolute URL for a path under the configured host and version."""
        return "/".join([self.base_url, self.version, *parts])

    @contextmanager
    def session(self) -> Iterator[httpx.Client]:
        """An injected client, or a short-lived one closed afterwards (no leaked sockets)."""
        if self._http is not None:
            yield self._http
            return
        with httpx.Client(timeout=httpx.Timeout(self.timeout)) as client:
            yield client

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token}"}

    def request(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Do one request; returns (status, parsed JSON or None). Raises only httpx errors."""
        resp = client.request(method, url, json=json, params=params, headers=self._headers())
        try:
            data = resp.json()
        except ValueError:
            data = None
        return resp.status_code, data

    def window_error(self, failure: GraphFailure) -> bool:
        """True when the failure means the 24-hour customer-service window is closed."""
        return False

    def describe(self, failure: GraphFailure) -> str:
        """Words for an owner or admin, with the Graph code."""
        code = f" (Graph error {failure.code})" if failure.code is not None else ""
        if failure.token_invalid:
            return (
                f"The access token has expired or is invalid{code}: "
                f"{failure.message.rstrip('. ')}. {self.expired_advice}"
            )
        return f"{failure.message}{code}"

    def send_bodies(
        self,
        path_parts: tuple[str, ...],
        bodies: list[dict[str, Any]],
        read_id: Callable[[Any], str | None],
    ) -> SendResult:
        """POST each body in order with bounded retries; stop at the first hard failure."""
        ids: list[str] = []
        url = self.url(*path_parts)
        with self.session() as client:
            for body in bodies:
                result = self._send_one(client, url, body, read_id)
                if not result.ok:
                    result.external_ids = ids + result.external_ids
                    return result
                ids.extend(result.external_ids)
        return SendResult(ok=True, external_ids=ids)

    def _send_one(
        self,
        client: httpx.Client,
        url: str,
        body: dict[str, Any],
        read_id: Callable[[Any], str | None],
    ) -> SendResult:
        attempt = 0
        while True:
            try:
                status, data = self.request(client, "POST", url, json=body)
            except httpx.ConnectError as exc:
                # Nothing reached the server, so a retry cannot duplicate the message.
                if attempt < self.max_retries:
                    self.sleep(backoff_seconds(attempt, self.backoff_base, self.max_wait))
                    attempt += 1
                    continue
                return SendResult(
                    False,
                    error=network_error_text(self.service, exc),
                    error_code="network",
                    retryable=True,
                )
            except httpx.HTTPError as exc:
                # A timeout after sending may have delivered the message: do not resend blindly.
                return SendResult(
                    False,
                    error=network_error_text(self.service, exc),
                    error_code="network",
                    retryable=True,
                )
            if 200 <= status < 300:
                mid = read_id(data)
                return SendResult(True, external_ids=[mid] if mid else [])
            failure = read_graph_error(status, data)
            if failure.retryable and attempt < self.max_retries:
                self.sleep(backoff_seconds(attempt, self.backoff_base, self.max_wait))
                attempt += 1
                continue
            outside = self.window_error(failure)
            log.info("%s send failed: %s (code %s)", self.service, failure.message, failure.code)
            return SendResult(
                False,
                error=self.describe(failure),
                error_code=failure.code if failure.code is not None else failure.http_status,
                retryable=failure.retryable and not outside,
                outside_window=outside,
                token_invalid=failure.token_invalid,
            )

    def get_object(self, fields: str) -> tuple[bool, Any, GraphFailure | None]:
        """GET the configured object with fields; (ok, data, failure). Never raises."""
        try:
            with self.session() as client:
                status, data = self.request(
                    client, "GET", self.url(self.object_id), params={"fields": fields}
                )
        except httpx.HTTPError as exc:
            return False, None, GraphFailure(network_error_text(self.service, exc), retryable=True)
        if 200 <= status < 300 and isinstance(data, dict):
            return True, data, None
        return False, data, read_graph_error(status, data)


def utcnow() -> datetime:
    """Aware UTC now (one place, so tests can freeze it)."""
    return datetime.now(UTC)
