"""OpenAI through the `openai` SDK: build the client, generate, check a key, read errors."""

from __future__ import annotations

from typing import Any

from .clients import cached_client
from .errors import host, safe_code, scrub, status_error, transport_error, unexpected
from .types import AIError, AIRequest, ProviderSettings, turns_with_text

_WORDS = {
    "not_found": (
        "{name} model {model!r} was not found ({status}); "
        "it may be retired or not available to this key"
    ),
    "quota": "{name} quota exhausted; check the account's billing ({label})",
}


def build(settings: ProviderSettings) -> Any:
    """An OpenAI client for these settings, with no SDK retries (see `ai.generate`)."""
    from openai import OpenAI

    client = OpenAI(
        api_key=settings.api_key.strip(),
        base_url=settings.base_url or None,
        timeout=settings.timeout,
        max_retries=0,
    )
    # The key is the owner's own: the platform's OPENAI_ORG_ID / OPENAI_PROJECT_ID (read from
    # the environment by the SDK) would not match it and turn every call into a 401.
    client.organization = None
    client.project = None
    return client


def generate(settings: ProviderSettings, request: AIRequest) -> tuple[str, int | None, int | None]:
    """(text, tokens_in, tokens_out) for one request; raises AIError."""
    import openai

    client = cached_client(settings, build)
    messages: list[dict[str, str]] = []
    if request.system.strip():
        messages.append({"role": "system", "content": request.system})
    messages.extend({"role": t.role, "content": t.text} for t in turns_with_text(request))
    kwargs: dict[str, Any] = {
        "model": settings.model,
        "messages": messages,
        # max_tokens is deprecated and refused by reasoning models; this one works everywhere.
        "max_completion_tokens": request.max_output_tokens,
        "temperature": request.temperature,
    }
    try:
        try:
            completion = client.chat.completions.create(**kwargs)
        except openai.BadRequestError as exc:
            # Owners pick their own model; reasoning models accept only the default temperature.
            if _field(exc, "param") != "temperature":
                raise
            del kwargs["temperature"]
            completion = client.chat.completions.create(**kwargs)
    except Exception as exc:  # mapped to AIError below
        raise error(exc, settings) from exc
    return _text(completion), *_usage(completion)


def check(settings: ProviderSettings) -> None:
    """Look the model up (or list models when none is chosen yet) with the key; raises AIError."""
    client = cached_client(settings, build)
    try:
        if (settings.model or "").strip():
            client.models.retrieve(settings.model)  # checks the key and that the model exists
        else:
            client.models.list()  # an owner saving a key before choosing a model
    except Exception as exc:  # mapped to AIError below
        raise error(exc, settings) from exc


def _text(completion: Any) -> str:
    """The answer's text; AIError "empty" when filtered, refused or cut before any text."""
    if not hasattr(completion, "choices"):
        # The SDK hands back a plain str when a 200 is not JSON (a proxy or captive portal).
        raise AIError("unknown", "OpenAI returned an unreadable response", "openai", 200)
    choices = completion.choices or []
    if not choices:
        raise AIError("empty", "OpenAI returned no answer (no choices)", "openai", 200)
    choice = choices[0]
    message = choice.message
    text = (message.content or "").strip() if message else ""
    if text:
        return text
    reason = safe_code(choice.finish_reason)
    if message is not None and getattr(message, "refusal", None):
        why = "the model refused"
    elif reason == "length":
        why = "the output limit was reached before any text; raise max_output_tokens"
    elif reason == "content_filter":
        why = "blocked by the content filter"
    else:
        why = f"finish reason {reason}" if reason else "no text"
    raise AIError("empty", f"OpenAI returned no text ({why})", "openai", 200, reason)


def _usage(completion: Any) -> tuple[int | None, int | None]:
    usage = completion.usage
    if usage is None:
        return None, None
    return usage.prompt_tokens, usage.completion_tokens


def _field(exc: Any, name: str) -> str | None:
    """A field of the OpenAI error body (`code`, `type`, `param`), sanitized."""
    value = getattr(exc, name, None)
    if value is None and isinstance(getattr(exc, "body", None), dict):
        value = exc.body.get(name)
    return safe_code(value)


def error(exc: Exception, settings: ProviderSettings) -> AIError:
    """The AIError for anything the openai SDK raised."""
    import openai

    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: it is a subclass
        return AIError("timeout", f"OpenAI did not answer within {settings.timeout:g} s", "openai")
    if isinstance(exc, openai.APIConnectionError):
        return AIError(
            "connection",
            f"Could not connect to OpenAI at {host(settings)}",
            "openai",
            provider_message=scrub(repr(exc.__cause__), settings),
        )
    if not isinstance(exc, openai.APIStatusError):
        if isinstance(exc, openai.OpenAIError):
            return AIError(
                "unknown",
                f"Unexpected error from OpenAI ({type(exc).__name__})",
                "openai",
                provider_message=scrub(str(exc), settings),
            )
        return transport_error(exc, settings) or unexpected(exc, settings)
    # The SDK's error classes (AuthenticationError, NotFoundError, ...) are these statuses.
    code = _field(exc, "code") or _field(exc, "type")
    quota = exc.status_code == 429 and code == "insufficient_quota"
    return status_error(
        settings,
        exc.status_code,
        code,
        scrub(getattr(exc, "message", None), settings),
        wording="quota" if quota else None,
        words=_WORDS,
    )
