"""Reading a customer's media with the AI: a voice note's transcript, a photo's description.

Gemini takes the bytes as an inline part of one generateContent request (the configured
model); OpenAI transcribes audio at /v1/audio/transcriptions and describes images through chat
completions with an image part. The caller bounds the bytes (Gemini takes at most 20 MB inline).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import gemini
from . import openai as openai_provider
from .calls import call_provider
from .clients import cached_client
from .types import AIError, AIResult, ProviderSettings, validate

TRANSCRIBE = (
    "Transcribe this voice message from a shop's customer word for word, in the language and "
    "alphabet it is spoken in (Uzbek, Russian or English). Answer with the transcript only, "
    "without comments. If there is no speech, answer with an empty line."
)
DESCRIBE = (
    "A shop's customer sent this picture instead of typing a question. Write, in {language}, "
    "the question they most likely ask, in one or two short sentences: name the product or "
    "thing shown and copy any text, price or label you can read. Answer with that text only."
)
LANGUAGES = {
    ("uz", "latn"): "Uzbek (Latin alphabet)",
    ("uz", "cyrl"): "Uzbek (Cyrillic alphabet)",
    ("ru", "cyrl"): "Russian",
    ("en", "latn"): "English",
}


@dataclass(repr=False)
class MediaRequest:
    """The bytes to read, their type, and for a photo the language to describe it in."""

    data: bytes
    mime_type: str
    kind: Literal["audio", "image"]
    language: str = "uz"
    script: str = "latn"
    # OpenAI's transcription model (its chat models do not take audio); None: Gemini only.
    transcribe_model: str | None = None

    def __repr__(self) -> str:
        return f"<MediaRequest {self.kind} {self.mime_type} {len(self.data)} bytes>"

    @property
    def prompt(self) -> str:
        if self.kind == "audio":
            return TRANSCRIBE
        script = "cyrl" if self.language == "ru" else self.script
        name = LANGUAGES.get((self.language, script)) or LANGUAGES[("uz", "latn")]
        return DESCRIBE.format(language=name)


def read(
    settings: ProviderSettings,
    request: MediaRequest,
    *,
    retry_backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> AIResult:
    """The transcript or description of one voice note or photo; retried once on a transient
    rate limit; raises only AIError (kind "empty" when nothing could be read)."""
    validate(settings)
    call = _gemini if settings.provider == "gemini" else _openai
    model = request.transcribe_model if _transcribes(settings, request) else None
    return call_provider(
        settings,
        lambda: call(settings, request),
        retry_backoff=retry_backoff,
        sleep=sleep,
        model=model,
    )


def _transcribes(settings: ProviderSettings, request: MediaRequest) -> bool:
    return settings.provider == "openai" and request.kind == "audio"


def _gemini(settings: ProviderSettings, request: MediaRequest) -> tuple[str, Any, Any]:
    from google.genai import types

    client = cached_client(settings, gemini.build)
    contents = [
        types.Content(
            role="user",
            parts=[
                types.Part.from_bytes(data=request.data, mime_type=request.mime_type),
                types.Part(text=request.prompt),
            ],
        )
    ]
    config = types.GenerateContentConfig(
        max_output_tokens=1024, temperature=0.0, automatic_continuation=False
    )
    try:
        response = client.models.generate_content(
            model=settings.model, contents=contents, config=config
        )
    except Exception as exc:  # mapped to AIError below
        raise gemini.error(exc, settings) from exc
    return gemini._text(response), *gemini._usage(response)


def _openai(settings: ProviderSettings, request: MediaRequest) -> tuple[str, Any, Any]:
    client = cached_client(settings, openai_provider.build)
    if request.kind == "audio":  # errors name the model that was called
        if not request.transcribe_model:
            raise AIError("bad_request", "No OpenAI transcription model is configured", "openai")
        settings = replace(settings, model=request.transcribe_model)
    try:
        if request.kind == "audio":
            name = "voice." + _extension(request.mime_type)
            result = client.audio.transcriptions.create(
                model=request.transcribe_model, file=(name, request.data, request.mime_type)
            )
            text = (getattr(result, "text", None) or "").strip()
            if not text:
                raise AIError("empty", "OpenAI heard no speech in the voice message", "openai", 200)
            return text, None, None
        data_url = f"data:{request.mime_type};base64,{base64.b64encode(request.data).decode()}"
        completion = client.chat.completions.create(
            model=settings.model,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": request.prompt},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                }
            ],
            max_completion_tokens=300,
        )
    except AIError:
        raise
    except Exception as exc:  # mapped to AIError below
        raise openai_provider.error(exc, settings) from exc
    return openai_provider._text(completion), *openai_provider._usage(completion)


def _extension(mime_type: str) -> str:
    """The file name OpenAI reads the audio format from (it accepts ogg, mp3, m4a, mp4, wav,
    webm)."""
    known = {"audio/ogg": "ogg", "audio/opus": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a",
             "audio/aac": "m4a", "audio/x-m4a": "m4a", "audio/wav": "wav", "audio/webm": "webm",
             "video/mp4": "mp4"}  # fmt: skip
    return known.get(mime_type.split(";")[0].strip().lower(), "ogg")
