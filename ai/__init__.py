"""Provider-neutral calls to Gemini (`google-genai`) and OpenAI (`openai`) with one error type.

Pure functions over explicit settings: no Flask, no config lookups. Every failure surfaces as
`AIError` with a `kind` the caller can branch on and an English `detail` safe to show an admin.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

Provider = Literal["gemini", "openai"]
Role = Literal["user", "assistant"]
ErrorKind = Literal[
    "auth",
    "model_not_found",
    "rate_limit",
    "timeout",
    "connection",
    "server",
    "bad_request",
    "empty",
    "unknown",
]

PROVIDERS: tuple[str, ...] = ("gemini", "openai")
_LABELS = {"gemini": "Gemini", "openai": "OpenAI"}
_CLIENT_CACHE_MAX = 32
_PROVIDER_MESSAGE_MAX = 300


@dataclass
class ChatTurn:
    """One message of the conversation so far."""

    role: Role
    text: str


@dataclass
class AIRequest:
    """What to ask: a system prompt and the turns in order, oldest first."""

    system: str
    turns: list[ChatTurn]
    max_output_tokens: int = 512
    temperature: float = 0.2


@dataclass(repr=False)
class ProviderSettings:
    """Which provider, key, model and endpoint to call; `base_url=None` means the public API."""

    provider: Provider
    api_key: str
    model: str
    base_url: str | None = None
    timeout: float = 20.0

    def __repr__(self) -> str:
        # The key must never reach logs, tracebacks or templates through repr().
        key_state = "set" if self.api_key else "missing"
        return (
            f"ProviderSettings(provider={self.provider!r}, model={self.model!r}, "
            f"base_url={self.base_url!r}, timeout={self.timeout!r}, api_key=<{key_state}>)"
        )

    __str__ = __repr__


@dataclass
class AIResult:
    """A generated answer; `latency_ms` is the wall time of the whole call, retries included."""

    text: str
    provider: str
    model: str
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: int


class AIError(Exception):
    """Any failure to get an answer; `str(err)` is `detail`, which never contains the key."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str,
        provider: str | None = None,
        status: int | None = None,
        code: str | None = None,
        provider_message: str | None = None,
    ) -> None:
        # All positional so pickling (e.g. by a job queue) rebuilds the error from self.args.
        super().__init__(kind, detail, provider, status, code, provider_message)
        self.kind: ErrorKind = kind
        self.detail = detail
        self.provider = provider
        self.status = status
        self.code = code  # provider's short error code/status name, e.g. "RESOURCE_EXHAUSTED"
        self.provider_message = provider_message  # scrubbed and truncated, for logs only

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return (
            f"AIError(kind={self.kind!r}, provider={self.provider!r}, "
            f"status={self.status!r}, detail={self.detail!r})"
        )


# --- public API ----------------------------------------------------------------------------


def generate(
    settings: ProviderSettings,
    request: AIRequest,
    *,
    retry_backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AIResult:
    """Ask the configured provider for an answer; retry once on rate limit; raise only AIError."""
    started = time.monotonic()
    try:
        _validate(settings)
        _validate_request(settings, request)
        call = _gemini_generate if settings.provider == "gemini" else _openai_generate
        try:
            text, tokens_in, tokens_out = call(settings, request)
        except AIError as err:
            # Only a transient 429 is worth one more try; a spent quota stays spent.
            if err.kind != "rate_limit" or err.code == "insufficient_quota":
                raise
            sleep(retry_backoff)
            text, tokens_in, tokens_out = call(settings, request)
    except AIError:
        raise
    except Exception as exc:  # the contract is that nothing but AIError escapes
        raise _unexpected(exc, settings) from exc
    return AIResult(
        text=text,
        provider=settings.provider,
        model=settings.model,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=int((time.monotonic() - started) * 1000),
    )


def check_key(settings: ProviderSettings) -> None:
    """Make one cheap authenticated call (model lookup); raise AIError if key or model is bad."""
    try:
        _validate(settings, need_model=settings.provider == "gemini")
        if settings.provider == "gemini":
            _gemini_check(settings)
        else:
            _openai_check(settings)
    except AIError:
        raise
    except Exception as exc:  # the contract is that nothing but AIError escapes
        raise _unexpected(exc, settings) from exc


def clear_client_cache() -> None:
    """Forget cached SDK clients (after a key rotation, or between tests)."""
    with _clients_lock:
        _clients.clear()


# --- validation ----------------------------------------------------------------------------


def _label(settings: ProviderSettings) -> str:
    return _LABELS.get(settings.provider, str(settings.provider))


def _validate(settings: ProviderSettings, *, need_model: bool = True) -> None:
    """Reject settings that cannot work before any network call."""
    if settings.provider not in PROVIDERS:
        raise AIError(
            "bad_request", f"Unknown AI provider {settings.provider!r}", str(settings.provider)
        )
    label = _label(settings)
    # An empty key would make both SDKs fall back to GOOGLE_API_KEY / OPENAI_API_KEY from the
    # environment, i.e. silently bill the platform for an owner's traffic.
    if not (settings.api_key or "").strip():
        raise AIError("auth", f"No {label} API key is configured", settings.provider)
    if need_model and not (settings.model or "").strip():
        raise AIError("bad_request", f"No {label} model is configured", settings.provider)
    if not settings.timeout or settings.timeout <= 0:
        raise AIError("bad_request", f"The {label} timeout must be positive", settings.provider)


def _validate_request(settings: ProviderSettings, request: AIRequest) -> None:
    """Reject conversations the providers would refuse with a less readable 400."""
    for turn in request.turns:
        if turn.role not in ("user", "assistant"):
            raise AIError("bad_request", f"Unknown chat role {turn.role!r}", settings.provider)
    if not any(t.role == "user" and t.text.strip() for t in request.turns):
        raise AIError("bad_request", "The request has no user message", settings.provider)


def _turns(request: AIRequest) -> list[ChatTurn]:
    """Turns with text; blank ones are dropped because Gemini rejects empty parts."""
    return [t for t in request.turns if t.text.strip()]


# --- client cache --------------------------------------------------------------------------

_clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_clients_lock = threading.Lock()
_build_lock = threading.Lock()


def _client(settings: ProviderSettings) -> Any:
    """A cached SDK client for these settings (LRU, bounded) so connections are reused."""
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
        built = (
            _build_gemini(settings) if settings.provider == "gemini" else _build_openai(settings)
        )
        with _clients_lock:
            _clients[key] = built
            while len(_clients) > _CLIENT_CACHE_MAX:
                # Not closed: another thread may still be using it; garbage collection closes it.
                _clients.popitem(last=False)
    return built


def _build_gemini(settings: ProviderSettings) -> Any:
    from google import genai
    from google.genai import types

    http_options = types.HttpOptions(
        base_url=settings.base_url or None,
        # HttpOptions.timeout is in milliseconds, and 0 would mean "no timeout".
        timeout=max(1, math.ceil(settings.timeout * 1000)),
        # attempts=1: no SDK retries; generate() owns the retry policy.
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    # vertexai=False: ignore GOOGLE_GENAI_USE_VERTEXAI/ENTERPRISE, which would switch to Vertex
    # endpoints and Application Default Credentials lookups.
    return genai.Client(vertexai=False, api_key=settings.api_key.strip(), http_options=http_options)


def _build_openai(settings: ProviderSettings) -> Any:
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


# --- Gemini --------------------------------------------------------------------------------


def _gemini_generate(
    settings: ProviderSettings, request: AIRequest
) -> tuple[str, int | None, int | None]:
    from google.genai import types

    client = _client(settings)  # a local reference: genai.Client closes its pool when collected
    contents = [
        types.Content(
            role="model" if t.role == "assistant" else "user", parts=[types.Part(text=t.text)]
        )
        for t in _turns(request)
    ]
    config = types.GenerateContentConfig(
        system_instruction=request.system if request.system.strip() else None,
        max_output_tokens=request.max_output_tokens,
        temperature=request.temperature,
        # Continuation would send more requests, each with a full timeout: unbounded latency.
        automatic_continuation=False,
    )
    try:
        response = client.models.generate_content(
            model=settings.model, contents=contents, config=config
        )
    except Exception as exc:  # mapped to AIError below
        raise _gemini_error(exc, settings) from exc
    return _gemini_text(response, settings), *_gemini_usage(response)


def _gemini_check(settings: ProviderSettings) -> None:
    client = _client(settings)
    try:
        client.models.get(model=settings.model)
    except Exception as exc:  # mapped to AIError below
        raise _gemini_error(exc, settings) from exc


def _gemini_text(response: Any, settings: ProviderSettings) -> str:
    """The answer's text, skipping thought parts; AIError "empty" when there is none."""
    candidates = response.candidates or []
    if not candidates:
        feedback = response.prompt_feedback
        reason = _enum_name(getattr(feedback, "block_reason", None))
        why = f"the prompt was blocked: {reason}" if reason else "no candidates"
        raise AIError("empty", f"Gemini returned no answer ({why})", "gemini", 200, reason)
    candidate = candidates[0]
    parts = (candidate.content.parts if candidate.content else None) or []
    text = "".join(p.text for p in parts if p.text and not p.thought).strip()
    if text:
        return text
    reason = _enum_name(candidate.finish_reason)
    if reason == "MAX_TOKENS":
        why = "the output limit was reached before any text; raise max_output_tokens"
    else:
        why = f"finish reason {reason}" if reason else "no text"
    raise AIError("empty", f"Gemini returned no text ({why})", "gemini", 200, reason)


def _gemini_usage(response: Any) -> tuple[int | None, int | None]:
    usage = response.usage_metadata
    if usage is None:
        return None, None
    out_parts = [usage.candidates_token_count, usage.thoughts_token_count]
    # Thinking tokens are billed as output, so they count towards tokens_out.
    tokens_out = sum(n for n in out_parts if n) if any(n is not None for n in out_parts) else None
    return usage.prompt_token_count, tokens_out


def _gemini_error(exc: Exception, settings: ProviderSettings) -> AIError:
    from google.genai import errors

    if not isinstance(exc, errors.APIError):
        if isinstance(exc, ValueError) and "JSON" in type(exc).__name__:
            # A 200 that is not JSON: typically a captive portal or proxy page.
            return AIError(
                "unknown",
                "Gemini returned an unreadable response",
                "gemini",
                provider_message=_scrub(str(exc), settings),
            )
        return _transport_error(exc, settings) or _unexpected(exc, settings)
    status = exc.code if isinstance(exc.code, int) else None
    status_name = _safe_code(exc.status)
    message = exc.message if isinstance(exc.message, str) else None
    reason = _google_reason(exc.details)
    code = reason or status_name
    pmsg = _scrub(message, settings)
    model = settings.model
    label = f"{status} {code}" if code else str(status)

    def err(kind: ErrorKind, detail: str) -> AIError:
        return AIError(kind, detail, "gemini", status, code, pmsg)

    bad_key = reason in ("API_KEY_INVALID", "API_KEY_EXPIRED") or (
        status == 400 and "api key" in (message or "").lower()
    )
    if status in (401, 403) or bad_key:
        if status == 403 and not bad_key:
            return err("auth", f"Gemini denied access for this API key ({label})")
        return err("auth", f"Gemini rejected the API key ({label})")
    if status == 404:
        return err(
            "model_not_found", f"Gemini model {model!r} was not found ({status}); it may be retired"
        )
    if status == 429:
        return err("rate_limit", f"Gemini rate limit or quota exceeded ({label})")
    if status in (408, 504):
        # The SDK sends our timeout as X-Server-Timeout, so Google answers 504 DEADLINE_EXCEEDED
        # when it runs out: the same situation as a client-side timeout.
        return err("timeout", f"Gemini did not answer within {settings.timeout:g} s ({label})")
    if status is not None and status >= 500:
        return err("server", f"Gemini server error ({label})")
    if status is not None and 400 <= status < 500:
        return err("bad_request", f"Gemini rejected the request ({label})")
    return err("unknown", f"Unexpected error from Gemini ({label})")


def _google_reason(details: Any) -> str | None:
    """The ErrorInfo `reason` (e.g. API_KEY_INVALID) from a Google error body, if any."""
    if isinstance(details, dict):
        inner = details.get("error", details)
        details = inner.get("details") if isinstance(inner, dict) else None
    if not isinstance(details, list):
        return None
    for item in details:
        if isinstance(item, dict) and item.get("reason"):
            return _safe_code(item["reason"])
    return None


# --- OpenAI --------------------------------------------------------------------------------


def _openai_generate(
    settings: ProviderSettings, request: AIRequest
) -> tuple[str, int | None, int | None]:
    import openai

    client = _client(settings)
    messages: list[dict[str, str]] = []
    if request.system.strip():
        messages.append({"role": "system", "content": request.system})
    messages.extend({"role": t.role, "content": t.text} for t in _turns(request))
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
            if _openai_field(exc, "param") != "temperature":
                raise
            del kwargs["temperature"]
            completion = client.chat.completions.create(**kwargs)
    except Exception as exc:  # mapped to AIError below
        raise _openai_error(exc, settings) from exc
    return _openai_text(completion), *_openai_usage(completion)


def _openai_check(settings: ProviderSettings) -> None:
    client = _client(settings)
    try:
        if (settings.model or "").strip():
            client.models.retrieve(settings.model)  # checks the key and that the model exists
        else:
            client.models.list()  # an owner saving a key before choosing a model
    except Exception as exc:  # mapped to AIError below
        raise _openai_error(exc, settings) from exc


def _openai_text(completion: Any) -> str:
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
    reason = _safe_code(choice.finish_reason)
    if message is not None and getattr(message, "refusal", None):
        why = "the model refused"
    elif reason == "length":
        why = "the output limit was reached before any text; raise max_output_tokens"
    elif reason == "content_filter":
        why = "blocked by the content filter"
    else:
        why = f"finish reason {reason}" if reason else "no text"
    raise AIError("empty", f"OpenAI returned no text ({why})", "openai", 200, reason)


def _openai_usage(completion: Any) -> tuple[int | None, int | None]:
    usage = completion.usage
    if usage is None:
        return None, None
    return usage.prompt_tokens, usage.completion_tokens


def _openai_field(exc: Any, name: str) -> str | None:
    """A field of the OpenAI error body (`code`, `type`, `param`), sanitized."""
    value = getattr(exc, name, None)
    if value is None and isinstance(getattr(exc, "body", None), dict):
        value = exc.body.get(name)
    return _safe_code(value)


def _openai_error(exc: Exception, settings: ProviderSettings) -> AIError:
    import openai

    model = settings.model
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: it is a subclass
        return AIError("timeout", f"OpenAI did not answer within {settings.timeout:g} s", "openai")
    if isinstance(exc, openai.APIConnectionError):
        return AIError(
            "connection",
            f"Could not connect to OpenAI at {_host(settings)}",
            "openai",
            provider_message=_scrub(repr(exc.__cause__), settings),
        )
    if not isinstance(exc, openai.APIStatusError):
        if isinstance(exc, openai.OpenAIError):
            return AIError(
                "unknown",
                f"Unexpected error from OpenAI ({type(exc).__name__})",
                "openai",
                provider_message=_scrub(str(exc), settings),
            )
        return _transport_error(exc, settings) or _unexpected(exc, settings)

    status = exc.status_code
    code = _openai_field(exc, "code") or _openai_field(exc, "type")
    pmsg = _scrub(getattr(exc, "message", None), settings)
    label = f"{status} {code}" if code else str(status)

    def err(kind: ErrorKind, detail: str) -> AIError:
        return AIError(kind, detail, "openai", status, code, pmsg)

    if isinstance(exc, openai.AuthenticationError):
        return err("auth", f"OpenAI rejected the API key ({label})")
    if isinstance(exc, openai.PermissionDeniedError):
        return err("auth", f"OpenAI denied access for this API key ({label})")
    if isinstance(exc, openai.NotFoundError):
        return err(
            "model_not_found",
            f"OpenAI model {model!r} was not found ({status}); "
            "it may be retired or not available to this key",
        )
    if isinstance(exc, openai.RateLimitError):
        if code == "insufficient_quota":
            return err(
                "rate_limit", f"OpenAI quota exhausted; check the account's billing ({label})"
            )
        return err("rate_limit", f"OpenAI rate limit exceeded ({label})")
    if status in (408, 504):
        return err("timeout", f"OpenAI did not answer within {settings.timeout:g} s ({label})")
    if status >= 500:
        return err("server", f"OpenAI server error ({label})")
    if 400 <= status < 500:
        return err("bad_request", f"OpenAI rejected the request ({label})")
    return err("unknown", f"Unexpected error from OpenAI ({label})")


# --- shared helpers ------------------------------------------------------------------------


def _transport_error(exc: BaseException, settings: ProviderSettings) -> AIError | None:
    """Map httpx2/httpx (either may back google-genai) and socket errors to timeout/connection."""
    label = _label(settings)
    timeout_types: list[type[BaseException]] = [TimeoutError]
    network_types: list[type[BaseException]] = [OSError]  # includes ConnectionError, ssl errors
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        timeout_types.insert(0, module.TimeoutException)
        network_types.insert(0, module.TransportError)
    pmsg = _scrub(f"{type(exc).__name__}: {exc}", settings)
    if isinstance(exc, tuple(timeout_types)):
        return AIError(
            "timeout",
            f"{label} did not answer within {settings.timeout:g} s",
            settings.provider,
            provider_message=pmsg,
        )
    if isinstance(exc, tuple(network_types)):
        return AIError(
            "connection",
            f"Could not connect to {label} at {_host(settings)}",
            settings.provider,
            provider_message=pmsg,
        )
    return None


def _unexpected(exc: BaseException, settings: ProviderSettings) -> AIError:
    return AIError(
        "unknown",
        f"Unexpected error calling {_label(settings)} ({type(exc).__name__})",
        str(settings.provider),
        provider_message=_scrub(str(exc), settings),
    )


def _host(settings: ProviderSettings) -> str:
    """host[:port] of the endpoint, without any userinfo, for messages."""
    if not settings.base_url:
        return "the public API"
    parts = urlsplit(settings.base_url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def _enum_name(value: Any) -> str | None:
    if value is None:
        return None
    return _safe_code(getattr(value, "value", value))


def _safe_code(value: Any) -> str | None:
    """Keep a provider code only if it looks like an identifier (no room for secrets or prose)."""
    if value is None:
        return None
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", text) else None


_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-*]{6,}|AIza[0-9A-Za-z_\-]{10,})")


def _scrub(message: str | None, settings: ProviderSettings) -> str | None:
    """Provider text for logs: key (and anything key-shaped) removed, length capped."""
    if not message:
        return None
    key = (settings.api_key or "").strip()
    if len(key) >= 4:
        message = message.replace(key, "***")
    message = _KEYLIKE.sub("***", message)
    return message[:_PROVIDER_MESSAGE_MAX]
