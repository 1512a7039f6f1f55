"""HTTP plumbing the Telegram and Graph clients share: sessions and network-failure words."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

# A single wait between retries never exceeds this, so a background task cannot stall for minutes.
DEFAULT_MAX_WAIT_SECONDS = 5.0


_SHARED: dict[tuple[int, float], httpx.Client] = {}
_SHARED_LOCK = threading.Lock()


def shared_client(timeout: float) -> httpx.Client:
    """This process's client for a timeout: connections, TLS sessions and the SSL context are
    reused across sends (building a client per send cost a quarter of the CPU under load).
    httpx clients are thread-safe; each process (gunicorn forks) gets its own."""
    key = (os.getpid(), float(timeout))
    with _SHARED_LOCK:
        client = _SHARED.get(key)
        if client is None:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
            client = _SHARED[key] = httpx.Client(timeout=httpx.Timeout(timeout), limits=limits)
        return client


@contextmanager
def open_session(http: httpx.Client | None, timeout: float) -> Iterator[httpx.Client]:
    """An injected client, or this process's shared one."""
    yield http if http is not None else shared_client(timeout)


def network_error_text(service: str, exc: Exception) -> str:
    """A human-readable network failure that never includes the request URL."""
    if isinstance(exc, httpx.TimeoutException):
        return f"{service} did not answer in time ({type(exc).__name__})"
    return f"could not reach {service} ({type(exc).__name__})"
