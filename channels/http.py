"""HTTP plumbing the Telegram and Graph clients share: sessions and network-failure words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# A single wait between retries never exceeds this, so a background task cannot stall for minutes.
DEFAULT_MAX_WAIT_SECONDS = 5.0


@contextmanager
def open_session(http: httpx.Client | None, timeout: float) -> Iterator[httpx.Client]:
    """An injected client, or a short-lived one closed afterwards (no leaked sockets)."""
    if http is not None:
        yield http
        return
    with httpx.Client(timeout=httpx.Timeout(timeout)) as client:
        yield client


def network_error_text(service: str, exc: Exception) -> str:
    """A human-readable network failure that never includes the request URL."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{service} did not answer in time ({type(exc).__name__})"
    return f"could not reach {service} ({type(exc).__name__})"
