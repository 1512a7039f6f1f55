"""Turning provider failures into AIError: one HTTP status → kind table, transport errors, and
scrubbing provider text so no key reaches a log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .types import LABELS, AIError, ErrorKind, ProviderSettings

_PROVIDER_MESSAGE_MAX = 300

# HTTP status → (kind, wording); other 5xx are "server", other 4xx "bad_request".
STATUS_KINDS: dict[int, tuple[ErrorKind, str]] = {
    401: ("auth", "rejected_key"),
    403: ("auth", "denied"),
    404: ("model_not_found", "not_found"),
    429: ("rate_limit", "rate_limit"),
    # Gemini is sent our timeout as X-Server-Timeout and answers 504 DEADLINE_EXCEEDED when it
    # runs out: the same situation as a client-side timeout.
    408: ("timeout", "timeout"),
    504: ("timeout", "timeout"),
}

# English details safe to show an admin; a provider may word one differently (see callers).
WORDING: dict[str, str] = {
    "rejected_key": "{name} rejected the API key ({label})",
    "denied": "{name} denied access for this API key ({label})",
    "not_found": "{name} model {model!r} was not found ({status}); it may be retired",
    "rate_limit": "{name} rate limit exceeded ({label})",
    "timeout": "{name} did not answer within {timeout:g} s ({label})",
    "server": "{name} server error ({label})",
    "bad_request": "{name} rejected the request ({label})",
    "unknown": "Unexpected error from {name} ({label})",
}


def status_kind(status: int | None) -> tuple[ErrorKind, str]:
    """(kind, wording) for an HTTP status from a provider."""
    if status in STATUS_KINDS:
        return STATUS_KINDS[status]
    if status is not None and status >= 500:
        return "server", "server"
    if status is not None and 400 <= status < 500:
        return "bad_request", "bad_request"
    return "unknown", "unknown"


def status_error(
    settings: ProviderSettings,
    status: int | None,
    code: str | None,
    provider_message: str | None,
    *,
    wording: str | None = None,
    words: Mapping[str, str] | None = None,
) -> AIError:
    """The AIError for a provider's HTTP error answer; `wording` overrides the table's choice."""
    kind, chosen = status_kind(status)
    key = wording or chosen
    if wording is not None:
        kind = _KIND_OF_WORDING[wording]
    template = (words or {}).get(key) or WORDING[key]
    detail = template.format(
        name=label(settings),
        label=f"{status} {code}" if code else str(status),
        model=settings.model,
        status=status,
        timeout=settings.timeout,
    )
    return AIError(kind, detail, settings.provider, status, code, provider_message)


_KIND_OF_WORDING: dict[str, ErrorKind] = {
    **{w: k for k, w in STATUS_KINDS.values()},
    "quota": "rate_limit",
    "server": "server",
    "bad_request": "bad_request",
    "unknown": "unknown",
}


def label(settings: ProviderSettings) -> str:
    """The provider's name for messages ("Gemini", "OpenAI")."""
    return LABELS.get(settings.provider, str(settings.provider))


def transport_error(exc: BaseException, settings: ProviderSettings) -> AIError | None:
    """Map httpx2/httpx (either may back google-genai) and socket errors to timeout/connection."""
    name = label(settings)
    timeout_types: list[type[BaseException]] = [TimeoutError]
    network_types: list[type[BaseException]] = [OSError]  # includes ConnectionError, ssl errors
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        timeout_types.insert(0, module.TimeoutException)
        network_types.insert(0, module.TransportError)
    pmsg = scrub(f"{type(exc).__name__}: {exc}", settings)
    if isinstance(exc, tuple(timeout_types)):
        return AIError(
            "timeout",
            f"{name} did not answer within {settings.timeout:g} s",
            settings.provider,
            provider_message=pmsg,
        )
    if isinstance(exc, tuple(network_types)):
        return AIError(
            "connection",
            f"Could not connect to {name} at {host(settings)}",
            settings.provider,
            provider_message=pmsg,
        )
    return None


def unexpected(exc: BaseException, settings: ProviderSettings) -> AIError:
    """Anything else: an "unknown" AIError naming only the exception type."""
    return AIError(
        "unknown",
        f"Unexpected error calling {label(settings)} ({type(exc).__name__})",
        str(settings.provider),
        provider_message=scrub(str(exc), settings),
    )


def host(settings: ProviderSettings) -> str:
    """host[:port] of the endpoint, without any userinfo, for messages."""
    if not settings.base_url:
        return "the public API"
    parts = urlsplit(settings.base_url)
    hostname = parts.hostname or "?"
    return f"{hostname}:{parts.port}" if parts.port else hostname


def enum_name(value: Any) -> str | None:
    """The name of an SDK enum value (or a plain string), if it looks like a code."""
    if value is None:
        return None
    return safe_code(getattr(value, "value", value))


def safe_code(value: Any) -> str | None:
    """Keep a provider code only if it looks like an identifier (no room for secrets or prose)."""
    if value is None:
        return None
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", text) else None


_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-*]{6,}|AIza[0-9A-Za-z_\-]{10,})")


def scrub(message: str | None, settings: ProviderSettings) -> str | None:
    """Provider text for logs: key (and anything key-shaped) removed, length capped."""
    if not message:
        return None
    key = (settings.api_key or "").strip()
    if len(key) >= 4:
        message = message.replace(key, "***")
    message = _KEYLIKE.sub("***", message)
    return message[:_PROVIDER_MESSAGE_MAX]
