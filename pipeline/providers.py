"""Which AI provider answers: the owner's own OpenAI key, then the platform's key, else offline.

Failures are told to the right person: the owner about their key or model, the admin about the
platform's.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app

import ai
from ai import AIError, AIRequest, ProviderSettings, generate
from models.ai_config import AIConfig, PlatformAI

log = logging.getLogger(__name__)


def platform_settings() -> ProviderSettings | None:
    """The admin's default provider with the platform key, or None (offline engine, also once
    the key's daily quota is used up)."""
    from pipeline.throttle import platform_quota_reached

    cfg = current_app.config
    timeout = cfg["AI_TIMEOUT_SECONDS"]
    gemini = ProviderSettings(
        "gemini",
        cfg["GEMINI_API_KEY"],
        PlatformAI.gemini_model(),
        cfg["GEMINI_BASE_URL"] or None,
        timeout,
    )
    openai = ProviderSettings(
        "openai",
        cfg["OPENAI_API_KEY"],
        PlatformAI.openai_model(),
        cfg["OPENAI_BASE_URL"] or None,
        timeout,
    )
    order = [openai, gemini] if PlatformAI.default_provider() == "openai" else [gemini, openai]
    chosen = next((s for s in order if s.api_key), None)
    return None if chosen is None or platform_quota_reached() else chosen


def owner_settings(cfg: AIConfig) -> ProviderSettings | None:
    """The owner's own OpenAI key, when allowed and not known to be broken for this model."""
    if not cfg.has_own_key or not PlatformAI.owner_keys_allowed():
        return None
    model = cfg.openai_model or PlatformAI.openai_model()
    if cfg.key_problem == "key" or (cfg.key_problem == "model" and cfg.failed_model == model):
        return None  # a model failure stops counting once the model id changes
    app_cfg = current_app.config
    return ProviderSettings(
        "openai",
        cfg.openai_key,
        model,
        app_cfg["OPENAI_BASE_URL"] or None,
        app_cfg["AI_TIMEOUT_SECONDS"],
    )


def attempts(cfg: AIConfig, owner: ProviderSettings | None = None) -> list[ProviderSettings]:
    """The providers to try, in order: the owner's own key, then the platform's; [] = offline."""
    owner = owner if owner is not None else owner_settings(cfg)
    return [s for s in (owner, platform_settings()) if s is not None]


_LIMITS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_LIMITS_LOCK = threading.Lock()


def _limit(provider: str) -> threading.BoundedSemaphore:
    """At most AI_CONCURRENCY calls to one provider at once from this process: answering
    threads are many (they wait on I/O), a provider's rate limits are not."""
    size = current_app.config["AI_CONCURRENCY"]
    with _LIMITS_LOCK:
        found = _LIMITS.get((provider, size))
        if found is None:
            found = _LIMITS[provider, size] = threading.BoundedSemaphore(size)
        return found


def call(settings: ProviderSettings, request: AIRequest):
    """One provider call, within this process's limit for that provider."""
    with _limit(settings.provider):
        return generate(
            settings, request, retry_backoff=current_app.config["AI_RETRY_BACKOFF_SECONDS"]
        )


def read_media(settings: ProviderSettings, request: ai.MediaRequest):
    """One voice note's transcript or photo's description, within the same limit."""
    with _limit(settings.provider):
        return ai.read_media(
            settings, request, retry_backoff=current_app.config["AI_RETRY_BACKOFF_SECONDS"]
        )


def note_failure(cfg: AIConfig, settings: ProviderSettings, err: AIError, is_owner: bool) -> None:
    """Tell the right person: the owner about their key or model, the admin about the platform."""
    if is_owner and err.kind == "auth":
        cfg.mark_key_failed(str(err))
    elif is_owner and err.kind == "model_not_found":
        cfg.mark_model_failed(settings.model, str(err))
    elif err.kind in ("auth", "model_not_found"):
        PlatformAI.record_error(settings.provider, settings.model, str(err), err.kind)
    log.warning("AI call failed (%s, %s): %s", settings.provider, err.kind, err)


def note_success(cfg: AIConfig, settings: ProviderSettings, is_owner: bool) -> None:
    """A working call ends the notice it would contradict (a new model id, a renewed model)."""
    if is_owner:
        if cfg.key_failed_at:
            cfg.clear_key_failure()
    else:
        from pipeline.throttle import count_platform_answer

        count_platform_answer()
        PlatformAI.clear_error(settings.provider, settings.model)
