"""A bounded cache of SDK clients, so connections (and their SSL contexts) are reused."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .types import ProviderSettings

_CLIENT_CACHE_MAX = 32

_clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_clients_lock = threading.Lock()
_build_lock = threading.Lock()


def cached_client(settings: ProviderSettings, build: Callable[[ProviderSettings], Any]) -> Any:
    """A cached SDK client for these settings (LRU, bounded), built with `build` on a miss."""
    key = (settings.provider, settings.api_key, settings.base_url, float(settings.timeout))
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
    # Building takes ~50 ms (SSL context): hold a separate lock so cache hits never wait on a
    # build, and threads missing together on a cold cache build one client, not one each.
    with _build_lock:
        with _clients_lock:
            client = _clients.get(key)
        if client is not None:
            return client
        built = build(settings)
        with _clients_lock:
            _clients[key] = built
            while len(_clients) > _CLIENT_CACHE_MAX:
                # Not closed: another thread may still be using it; garbage collection closes it.
                _clients.popitem(last=False)
    return built


def clear_client_cache() -> None:
    """Forget cached SDK clients (after a key rotation, or between tests)."""
    with _clients_lock:
        _clients.clear()
