"""Fake Gemini Developer API: `generateContent` and `models.get`, for the real `google-genai` SDK.

Point the SDK at it with `types.HttpOptions(base_url=fake.url)`. Defaults answer `reply_text`
(`media_text` for a request with audio or an image as inline data, when set);
tests program errors with `set_error` (every call) or queue one-shot replies with `push_*`.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from tests.fakes.server import FakeServer, Recorded, Reply

DEFAULT_KEY = "test-gemini-key"
DEFAULT_TEXT = "Salom! Bu sinov javobi."

# Google's canonical status names, used when a test does not give one.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_GENERATE = r"/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+):generateContent"
_GET_MODEL = r"/(?P<version>v1|v1beta)/models/(?P<model>[^/:]+)"


def google_error(
    status: int,
    message: str,
    status_name: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build a body in Google's error shape."""
    err: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": status_name or STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if details:
        err["details"] = details
    return {"error": err}


def invalid_key_body() -> dict[str, Any]:
    """What the real API answers (HTTP 400) for an unknown or expired API key."""
    return google_error(
        400,
        "API key not valid. Please pass a valid API key.",
        "INVALID_ARGUMENT",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ],
    )


def text_response(
    text: str,
    model: str,
    *,
    prompt_tokens: int = 42,
    output_tokens: int = 7,
    finish_reason: str = "STOP",
) -> dict[str, Any]:
    """A realistic successful generateContent body."""
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": text}], "role": "model"},
                "finishReason": finish_reason,
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        },
        "modelVersion": model,
        "responseId": "fake-response-id",
    }


def blocked_response(model: str, reason: str = "SAFETY") -> dict[str, Any]:
    """A prompt blocked by safety filters: no candidates, only promptFeedback."""
    return {
        "promptFeedback": {"blockReason": reason},
        "usageMetadata": {"promptTokenCount": 42, "totalTokenCount": 42},
        "modelVersion": model,
    }


class FakeGemini(FakeServer):
    """Fake `generativelanguage.googleapis.com`; see module docstring for the programming API."""

    def __init__(self, keys: Iterable[str] = (DEFAULT_KEY,)) -> None:
        super().__init__()
        self.keys: set[str] = set(keys)
        self._script_lock = threading.Lock()
        self._defaults()
        self.route("POST", _GENERATE, self._generate)
        self.route("GET", _GET_MODEL, self._get_model)

    def _defaults(self) -> None:
        with self._script_lock:
            self.reply_text: str = DEFAULT_TEXT
            # What a request with audio or an image (an inline part) gets: the transcript or
            # description a test sets; None answers those like any other request.
            self.media_text: str | None = None
            self.delay: float = 0.0
            self.prompt_tokens: int = 42
            self.output_tokens: int = 7
            self.known_models: set[str] | None = None  # None: every model id exists
            self._error: Reply | None = None
            self._script: deque[Reply] = deque()

    # --- programming -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget recorded requests and restore every default (text, errors, queue, delay)."""
        super().reset()
        self._defaults()

    def set_error(
        self, status: int, message: str = "error", status_name: str | None = None
    ) -> None:
        """Answer every later call with this Google-shaped error until `clear_error()`/`reset()`."""
        self._error = Reply(status, google_error(status, message, status_name))

    def clear_error(self) -> None:
        """Stop answering with the error set by `set_error`."""
        self._error = None

    def push(self, reply: Reply) -> None:
        """Queue a one-shot reply; queued replies are used in order before anything else."""
        with self._script_lock:
            self._script.append(reply)

    def push_error(
        self, status: int, message: str = "error", status_name: str | None = None
    ) -> None:
        """Queue a one-shot Google-shaped error (e.g. one 429, then the default 200)."""
        self.push(Reply(status, google_error(status, message, status_name)))

    def push_text(self, text: str, finish_reason: str = "STOP") -> None:
        """Queue a one-shot successful reply with this text."""
        self.push(Reply(200, text_response(text, "{model}", finish_reason=finish_reason)))

    def push_blocked(self, reason: str = "SAFETY") -> None:
        """Queue a one-shot reply with no candidates (prompt blocked)."""
        self.push(Reply(200, blocked_response("{model}", reason)))

    def push_json(self, body: Any, status: int = 200) -> None:
        """Queue a one-shot raw body (e.g. an empty `candidates` list)."""
        self.push(Reply(status, body))

    # --- reading what arrived ----------------------------------------------------------------
    def generate_requests(self) -> list[Recorded]:
        """Every generateContent request received, oldest first."""
        return self.requests_to(r":generateContent\Z")

    def last_request(self) -> Recorded:
        """The last generateContent request."""
        reqs = self.generate_requests()
        assert reqs, "FakeGemini received no generateContent request"
        return reqs[-1]

    def last_prompt(self) -> str:
        """System instruction, then each content's text, newline-joined, from the last request."""
        body = self.last_request().json()
        chunks = [p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", [])]
        for content in body.get("contents", []):
            chunks.extend(p.get("text", "") for p in content.get("parts", []))
        return "\n".join(c for c in chunks if c)

    def media_requests(self) -> list[Recorded]:
        """generateContent requests carrying audio or an image as an inline data part."""
        return [r for r in self.generate_requests() if inline_parts(r)]

    # --- handlers ----------------------------------------------------------------------------
    def _auth_error(self, rec: Recorded) -> Reply | None:
        key = rec.headers.get("x-goog-api-key") or (rec.query.get("key") or [""])[0]
        if not key:
            return Reply(
                403,
                google_error(
                    403,
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity to call "
                    "this API.",
                    "PERMISSION_DENIED",
                ),
            )
        if key not in self.keys:
            return Reply(400, invalid_key_body())
        return None

    def _next_scripted(self) -> Reply | None:
        with self._script_lock:
            return self._script.popleft() if self._script else None

    def _with_delay(self, reply: Reply) -> Reply:
        if self.delay and not reply.delay:
            reply = Reply(reply.status, reply.body, reply.headers, self.delay)
        return reply

    def _generate(self, rec: Recorded, m: re.Match) -> Reply:
        model = m["model"]
        reply = self._auth_error(rec) or _bad_inline(rec) or self._next_scripted() or self._error
        if reply is None:
            if self.known_models is not None and model not in self.known_models:
                reply = Reply(
                    404,
                    google_error(
                        404,
                        f"models/{model} is not found for API version {m['version']}, or is "
                        "not supported for generateContent.",
                        "NOT_FOUND",
                    ),
                )
            else:
                media = self.media_text is not None and bool(inline_parts(rec))
                reply = Reply(
                    200,
                    text_response(
                        self.media_text if media else self.reply_text,
                        model,
                        prompt_tokens=self.prompt_tokens,
                        output_tokens=self.output_tokens,
                    ),
                )
        if isinstance(reply.body, dict) and reply.body.get("modelVersion") == "{model}":
            reply.body["modelVersion"] = model
        return self._with_delay(reply)

    def _get_model(self, rec: Recorded, m: re.Match) -> Reply:
        model = m["model"]
        reply = self._auth_error(rec) or self._next_scripted() or self._error
        if reply is None:
            if self.known_models is not None and model not in self.known_models:
                reply = Reply(404, google_error(404, f"models/{model} is not found.", "NOT_FOUND"))
            else:
                reply = Reply(
                    200,
                    {
                        "name": f"models/{model}",
                        "displayName": model,
                        "version": "001",
                        "inputTokenLimit": 1048576,
                        "outputTokenLimit": 65536,
                        "supportedGenerationMethods": ["generateContent", "countTokens"],
                    },
                )
        return self._with_delay(reply)


def inline_parts(rec: Recorded) -> list[tuple[str, bytes]]:
    """(mime type, decoded bytes) of every inline data part of a generateContent request."""
    try:
        body = rec.json()
    except ValueError:
        return []
    found = []
    for content in (body or {}).get("contents", []):
        for part in content.get("parts", []):
            data = part.get("inlineData") or part.get("inline_data")
            if data:
                found.append((data.get("mimeType") or data.get("mime_type"), _b64(data["data"])))
    return found


def _b64(text: str) -> bytes:
    """Standard or URL-safe base64 (the SDK sends one of them), padded or not."""
    import base64

    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))


# Inline types Gemini accepts (audio and images); anything else is a 400 like the real API's.
INLINE_TYPES = ("audio/", "image/", "video/")


def _bad_inline(rec: Recorded) -> Reply | None:
    for mime, data in inline_parts(rec):
        if not mime or not mime.startswith(INLINE_TYPES) or not data:
            return Reply(400, google_error(400, f"Unsupported MIME type: {mime}"))
    return None
