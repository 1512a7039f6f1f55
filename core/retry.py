"""One retry policy for calls to outside services (Telegram, the Graph API, AI providers).

Built on tenacity; each caller says which outcomes are worth another try and how long to wait,
and passes its own `sleep` so tests record the waits instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

T = TypeVar("T")
Sleep = Callable[[float], None]
Wait = Callable[[RetryCallState], float]


def backoff(base: float, cap: float) -> Wait:
    """base, 2·base, 4·base, ... seconds, never more than cap, so a task cannot stall for long."""
    return wait_exponential(multiplier=base, max=cap)


def outcome(state: RetryCallState) -> Any:
    """What the last attempt gave: its exception, or its result."""
    assert state.outcome is not None
    return state.outcome.exception() or state.outcome.result()


def call_with_retries(
    fn: Callable[[], T],
    *,
    attempts: int,
    retry_on: Callable[[Any], bool],
    wait: Wait,
    sleep: Sleep = time.sleep,
) -> T:
    """fn() up to `attempts` times while retry_on(result or exception) holds.

    Returns the last result, or raises the last exception, exactly as a plain call would.
    """
    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts)),
        retry=retry_if_result(retry_on) | retry_if_exception(retry_on),
        wait=wait,
        sleep=sleep,
        retry_error_callback=lambda state: state.outcome.result(),
    )
    return retrying(fn)
