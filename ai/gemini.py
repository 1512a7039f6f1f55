"""Gemini through `google-genai`: build the client, generate, check a key, read errors."""

from __future__ import annotations

import math
from typing import Any

from .clients import cached_client
from .errors import enum_name, safe_code, scrub, status_error, transport_error, unexpected
from .types import AIError, AIRequest, ProviderSettings, turns_with_text

# Gemini's words for a spent quota and a plain rate limit are the same 429.
_WORDS = {"rate_limit": "{name} rate limit or quota exceeded ({label})"}


def answer_membership_at_once() -> None:
    """google-genai converts every request field by field, asking `name in model` of its
    pydantic models for each field it knows (`_common.get_value_by_path`). The models define
    no `__contains__`, so Python answers by walking the model's (name, value) pairs, and a name
    never equals a pair: False, after visiting every field, thousands of times a call. This
    says False at once for a name (anything else is still looked for among the pairs): the
    same answers, the same request on the wire, about a quarter less of the SDK's CPU a call
    (4.2 vs 3.1 ms for a seven-turn prompt against a local fake, issue 12). Left alone where
    the SDK's base model answers membership itself."""
    from google.genai import _common

    base = _common.BaseModel
    if "__contains__" in vars(base):
        return

    def contains(self, key: object) -> bool:
        return not isinstance(key, str) and any(key == pair for pair in self)

    base.__contains__ = contains


def build(settings: ProviderSettings) -> Any:
    """A genai.Client for these settings, with no SDK retries (see `ai.generate`)."""
    import httpx
    from google import genai
    from google.genai import types

    answer_membership_at_once()

    http_options = types.HttpOptions(
        base_url=settings.base_url or None,
        # HttpOptions.timeout is in milliseconds, and 0 would mean "no timeout".
        timeout=max(1, math.ceil(settings.timeout * 1000)),
        # attempts=1: no SDK retries; generate() owns the retry policy.
        retry_options=types.HttpRetryOptions(attempts=1),
        # The SDK's pool keeps 20 idle connections by default: with more calls at once (a
        # process answers on ANSWER_THREADS threads, 32), each call past 20 opened a connection
        # of its own, a TLS handshake with Google every time. OpenAI's SDK keeps 100.
        client_args={"limits": httpx.Limits(max_connections=1000, max_keepalive_connections=100)},
    )
    # vertexai=False: ignore GOOGLE_GENAI_USE_VERTEXAI/ENTERPRISE, which would switch to Vertex
    # endpoints and Application Default Credentials lookups.
    return genai.Client(vertexai=False, api_key=settings.api_key.strip(), http_options=http_options)


def generate(settings: ProviderSettings, request: AIRequest) -> tuple[str, int | None, int | None]:
    """(text, tokens_in, tokens_out) for one request; raises AIError."""
    from google.genai import types

    client = cached_client(settings, build)  # kept referenced: genai.Client closes when collected
    # The SDK's typed dicts, not its pydantic models: the same request on the wire, but the SDK
    # walks a model's fields far more slowly than a dict's keys when it converts the request
    # (about 6.9 vs 4.1 ms of CPU a call for a seven-turn prompt, ad hoc against a local fake).
    contents: list[types.ContentDict] = [
        {"role": "model" if t.role == "assistant" else "user", "parts": [{"text": t.text}]}
        for t in turns_with_text(request)
    ]
    config: types.GenerateContentConfigDict = {
        "max_output_tokens": request.max_output_tokens,
        "temperature": request.temperature,
        # Continuation would send more requests, each with a full timeout: unbounded latency.
        "automatic_continuation": False,
    }
    if request.system.strip():
        config["system_instruction"] = request.system
    try:
        response = client.models.generate_content(
            model=settings.model, contents=contents, config=config
        )
    except Exception as exc:  # mapped to AIError below
        raise error(exc, settings) from exc
    return _text(response), *_usage(response)


def check(settings: ProviderSettings) -> None:
    """Look the model up with the key; raises AIError."""
    client = cached_client(settings, build)
    try:
        client.models.get(model=settings.model)
    except Exception as exc:  # mapped to AIError below
        raise error(exc, settings) from exc


def _text(response: Any) -> str:
    """The answer's text, skipping thought parts; AIError "empty" when there is none."""
    candidates = response.candidates or []
    if not candidates:
        feedback = response.prompt_feedback
        reason = enum_name(getattr(feedback, "block_reason", None))
        why = f"the prompt was blocked: {reason}" if reason else "no candidates"
        raise AIError("empty", f"Gemini returned no answer ({why})", "gemini", 200, reason)
    candidate = candidates[0]
    parts = (candidate.content.parts if candidate.content else None) or []
    text = "".join(p.text for p in parts if p.text and not p.thought).strip()
    if text:
        return text
    reason = enum_name(candidate.finish_reason)
    if reason == "MAX_TOKENS":
        why = "the output limit was reached before any text; raise max_output_tokens"
    else:
        why = f"finish reason {reason}" if reason else "no text"
    raise AIError("empty", f"Gemini returned no text ({why})", "gemini", 200, reason)


def _usage(response: Any) -> tuple[int | None, int | None]:
    usage = response.usage_metadata
    if usage is None:
        return None, None
    out_parts = [usage.candidates_token_count, usage.thoughts_token_count]
    # Thinking tokens are billed as output, so they count towards tokens_out.
    tokens_out = sum(n for n in out_parts if n) if any(n is not None for n in out_parts) else None
    return usage.prompt_token_count, tokens_out


def error(exc: Exception, settings: ProviderSettings) -> AIError:
    """The AIError for anything google-genai raised."""
    from google.genai import errors

    if not isinstance(exc, errors.APIError):
        if isinstance(exc, ValueError) and "JSON" in type(exc).__name__:
            # A 200 that is not JSON: typically a captive portal or proxy page.
            return AIError(
                "unknown",
                "Gemini returned an unreadable response",
                "gemini",
                provider_message=scrub(str(exc), settings),
            )
        return transport_error(exc, settings) or unexpected(exc, settings)
    status = exc.code if isinstance(exc.code, int) else None
    message = exc.message if isinstance(exc.message, str) else None
    reason = _google_reason(exc.details)
    code = reason or safe_code(exc.status)
    # Google answers a bad key with 400 (or even 403) and the reason API_KEY_INVALID.
    bad_key = reason in ("API_KEY_INVALID", "API_KEY_EXPIRED") or (
        status == 400 and "api key" in (message or "").lower()
    )
    return status_error(
        settings,
        status,
        code,
        scrub(message, settings),
        wording="rejected_key" if bad_key else None,
        words=_WORDS,
    )


def _google_reason(details: Any) -> str | None:
    """The ErrorInfo `reason` (e.g. API_KEY_INVALID) from a Google error body, if any."""
    if isinstance(details, dict):
        inner = details.get("error", details)
        details = inner.get("details") if isinstance(inner, dict) else None
    if not isinstance(details, list):
        return None
    for item in details:
        if isinstance(item, dict) and item.get("reason"):
            return safe_code(item["reason"])
    return None
