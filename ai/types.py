"""What an AI call takes and gives: the request, the provider settings, the result, the error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
LABELS = {"gemini": "Gemini", "openai": "OpenAI"}


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


def validate(settings: ProviderSettings, *, need_model: bool = True) -> None:
    """Reject settings that cannot work before any network call."""
    if settings.provider not in PROVIDERS:
        raise AIError(
            "bad_request", f"Unknown AI provider {settings.provider!r}", str(settings.provider)
        )
    label = LABELS.get(settings.provider, str(settings.provider))
    # An empty key would make both SDKs fall back to GOOGLE_API_KEY / OPENAI_API_KEY from the
    # environment, i.e. silently bill the platform for an owner's traffic.
    if not (settings.api_key or "").strip():
        raise AIError("auth", f"No {label} API key is configured", settings.provider)
    if need_model and not (settings.model or "").strip():
        raise AIError("bad_request", f"No {label} model is configured", settings.provider)
    if not settings.timeout or settings.timeout <= 0:
        raise AIError("bad_request", f"The {label} timeout must be positive", settings.provider)


def validate_request(settings: ProviderSettings, request: AIRequest) -> None:
    """Reject conversations the providers would refuse with a less readable 400."""
    for turn in request.turns:
        if turn.role not in ("user", "assistant"):
            raise AIError("bad_request", f"Unknown chat role {turn.role!r}", settings.provider)
    if not any(t.role == "user" and t.text.strip() for t in request.turns):
        raise AIError("bad_request", "The request has no user message", settings.provider)


def turns_with_text(request: AIRequest) -> list[ChatTurn]:
    """Turns with text; blank ones are dropped because Gemini rejects empty parts."""
    return [t for t in request.turns if t.text.strip()]
