"""One provider call under the package's contract, for answers (ai.generate) and for media
(ai.media.read): retried once on a transient rate limit (a spent quota stays spent), nothing but
AIError escapes, and the result is timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.retry import call_with_retries

from .errors import unexpected
from .types import AIError, AIResult, ProviderSettings


def retry_worthy(outcome: object) -> bool:
    """Only a transient 429 is worth one more try; a spent quota stays spent."""
    return (
        isinstance(outcome, AIError)
        and outcome.kind == "rate_limit"
        and outcome.code != "insufficient_quota"
    )


def call_provider(
    settings: ProviderSettings,
    call: Callable[[], tuple[str, Any, Any]],
    *,
    retry_backoff: float,
    sleep: Callable[[float], None],
    model: str | None = None,
) -> AIResult:
    """`call()` gives (text, tokens in, tokens out); the result names `model` (default: the
    settings' model)."""
    started = time.monotonic()
    try:
        text, tokens_in, tokens_out = call_with_retries(
            call,
            attempts=2,
            retry_on=retry_worthy,
            wait=lambda state: retry_backoff,
            sleep=sleep,
        )
    except AIError:
        raise
    except Exception as exc:  # the contract is that nothing but AIError escapes
        raise unexpected(exc, settings) from exc
    return AIResult(
        text=text,
        provider=settings.provider,
        model=model or settings.model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=int((time.monotonic() - started) * 1000),
    )
