"""Provider-neutral calls to Gemini (`google-genai`) and OpenAI (`openai`) with one error type.

Pure functions over explicit settings: no Flask, no config lookups. Every failure surfaces as
`AIError` with a `kind` the caller can branch on and an English `detail` safe to show an admin.

Modules: `types` (request, settings, result, error, validation), `errors` (status → kind table,
scrubbing), `clients` (SDK client cache), `gemini` and `openai` (one provider each), `media` (a
voice note's transcript or a photo's description).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import gemini
from . import openai as openai_provider
from .calls import call_provider
from .clients import clear_client_cache
from .errors import unexpected
from .media import MediaRequest
from .media import read as read_media
from .types import (
    PROVIDERS,
    AIError,
    AIRequest,
    AIResult,
    ChatTurn,
    ErrorKind,
    Provider,
    ProviderSettings,
    validate,
    validate_request,
)

__all__ = [
    "PROVIDERS",
    "AIError",
    "AIRequest",
    "AIResult",
    "ChatTurn",
    "ErrorKind",
    "MediaRequest",
    "Provider",
    "ProviderSettings",
    "check_key",
    "clear_client_cache",
    "generate",
    "load_sdks",
    "read_media",
]

# Provider name → its module (generate, check); validate() refuses any other name first.
_MODULES = {"gemini": gemini, "openai": openai_provider}


def load_sdks() -> None:
    """Import the providers' SDKs now (an answering process, as it starts): the first answer of
    a process imported them, about 0.7 s of CPU with the import lock held, while the other
    answering threads of the process waited for the same import."""
    import google.genai.types  # noqa: F401
    import openai  # noqa: F401


def generate(
    settings: ProviderSettings,
    request: AIRequest,
    *,
    retry_backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AIResult:
    """Ask the configured provider for an answer; retry once on rate limit; raise only AIError."""
    try:
        validate(settings)
        validate_request(settings, request)
    except AIError:
        raise
    except Exception as exc:  # the contract is that nothing but AIError escapes
        raise unexpected(exc, settings) from exc
    module = _MODULES[settings.provider]
    return call_provider(
        settings,
        lambda: module.generate(settings, request),
        retry_backoff=retry_backoff,
        sleep=sleep,
    )


def check_key(settings: ProviderSettings) -> None:
    """Make one cheap authenticated call (model lookup); raise AIError if key or model is bad."""
    try:
        validate(settings, need_model=settings.provider == "gemini")
        _MODULES[settings.provider].check(settings)
    except AIError:
        raise
    except Exception as exc:  # the contract is that nothing but AIError escapes
        raise unexpected(exc, settings) from exc
