"""Fake OpenAI API: chat completions and models, for the real `openai` SDK.

Give the SDK `base_url=f"{fake.url}/v1"`. Defaults answer `reply_text`; tests program errors with
`set_error` (every call) or queue one-shot replies with `push_*`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from tests.fakes.server import FakeServer, Recorded, Reply

DEFAULT_KEY = "sk-test-openai-key-0123456789"
DEFAULT_TEXT = "Hello! This is a test answer."
DEFAULT_TRANSCRIPT = "Hello, how much is delivery?"
# Formats /v1/audio/transcriptions accepts, by file name extension.
AUDIO_EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")

# Realistic (type, code) pairs per status, used when a test does not give them.
ERROR_DEFAULTS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
    504: ("server_error", None),
}


def openai_error(
    status: int,
    message: str,
    type_: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """Build a body in OpenAI's error shape."""
    d_type, d_code = ERROR_DEFAULTS.get(status, ("invalid_request_error", None))
    return {
        "error": {
            "message": message,
            "type": type_ or d_type,
            "param": param,
            "code": code if code is not None else d_code,
        }
    }


def masked(key: str) -> str:
    """Mask a key the way OpenAI does in its 401 message."""
    return f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"


class FakeOpenAI(FakeServer):
    """Fake `api.openai.com`; see module docstring for the programming API."""

    def __init__(self, keys: Iterable[str] = (DEFAULT_KEY,)) -> None:
        super().__init__()
        self.keys: set[str] = set(keys)
        self._script_lock = threading.Lock()
        self._defaults()
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/audio/transcriptions", self._transcribe)
        self.route("GET", r"/v1/models", self._list_models)
        self.route("GET", r"/v1/models/(?P<model>[^/]+)", self._get_model)

    def _defaults(self) -> None:
        with self._script_lock:
            self.reply_text: str | None = DEFAULT_TEXT
            self.transcript_text: str = DEFAULT_TRANSCRIPT
            self.finish_reason: str = "stop"
            self.delay: float = 0.0
            self.prompt_tokens: int = 55
            self.completion_tokens: int = 9
            self.known_models: set[str] | None = None  # None: every model id exists
            self._error: Reply | None = None
            self._script: deque[Reply] = deque()

    # --- programming -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget recorded requests and restore every default (text, errors, queue, delay)."""
        super().reset()
        self._defaults()

    def set_error(
        self,
        status: int,
        message: str = "error",
        type_: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        """Answer every later call with this OpenAI-shaped error until `clear_error()`/`reset()`."""
        self._error = Reply(status, openai_error(status, message, type_, code, param))

    def clear_error(self) -> None:
        """Stop answering with the error set by `set_error`."""
        self._error = None

    def push(self, reply: Reply) -> None:
        """Queue a one-shot reply; queued replies are used in order before anything else."""
        with self._script_lock:
            self._script.append(reply)

    def push_error(
        self,
        status: int,
        message: str = "error",
        type_: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        """Queue a one-shot OpenAI-shaped error (e.g. one 429, then the default 200)."""
        self.push(Reply(status, openai_error(status, message, type_, code, param)))

    def push_text(self, text: str | None, finish_reason: str = "stop") -> None:
        """Queue a one-shot completion; `None` text makes an empty (refused/filtered) answer."""
        self.push(Reply(200, self._completion("{model}", text, finish_reason)))

    def push_json(self, body: Any, status: int = 200) -> None:
        """Queue a one-shot raw body (e.g. `choices: []`)."""
        self.push(Reply(status, body))

    # --- reading what arrived ----------------------------------------------------------------
    def chat_requests(self) -> list[Recorded]:
        """Every chat completion request received, oldest first."""
        return self.requests_to(r"/chat/completions\Z")

    def last_request(self) -> Recorded:
        """The last chat completion request."""
        reqs = self.chat_requests()
        assert reqs, "FakeOpenAI received no chat completion request"
        return reqs[-1]

    def last_messages(self) -> list[dict[str, Any]]:
        """The `messages` list of the last chat completion request."""
        return self.last_request().json()["messages"]

    def last_prompt(self) -> str:
        """Every message's text (system first), newline-joined, from the last request."""
        chunks: list[str] = []
        for msg in self.last_messages():
            content = msg.get("content")
            if isinstance(content, str):
                chunks.append(content)
            elif isinstance(content, list):
                chunks.extend(p.get("text", "") for p in content if isinstance(p, dict))
        return "\n".join(c for c in chunks if c)

    # --- handlers ----------------------------------------------------------------------------
    def _auth_error(self, rec: Recorded) -> Reply | None:
        auth = rec.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return Reply(
                401,
                openai_error(
                    401,
                    "You didn't provide an API key. You need to provide your API key in an "
                    "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    code="",
                ),
            )
        key = auth[len("Bearer ") :]
        if key not in self.keys:
            return Reply(
                401,
                openai_error(
                    401,
                    f"Incorrect API key provided: {masked(key)}. You can find your API key at "
                    "https://platform.openai.com/account/api-keys.",
                    code="invalid_api_key",
                ),
            )
        return None

    def _next_scripted(self) -> Reply | None:
        with self._script_lock:
            return self._script.popleft() if self._script else None

    def _with_delay(self, reply: Reply) -> Reply:
        if self.delay and not reply.delay:
            reply = Reply(reply.status, reply.body, reply.headers, self.delay)
        return reply

    def _model_missing(self, model: str) -> Reply | None:
        if self.known_models is None or model in self.known_models:
            return None
        return Reply(
            404,
            openai_error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            ),
        )

    def _completion(self, model: str, text: str | None, finish_reason: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": text,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _chat(self, rec: Recorded, m: re.Match) -> Reply:
        try:
            model = str(rec.json().get("model", ""))
        except ValueError:
            return Reply(400, openai_error(400, "We could not parse the JSON body."))
        reply = self._auth_error(rec) or self._next_scripted() or self._error
        if reply is None:
            reply = self._model_missing(model) or Reply(
                200, self._completion(model, self.reply_text, self.finish_reason)
            )
        if isinstance(reply.body, dict) and reply.body.get("model") == "{model}":
            reply.body["model"] = model
        return self._with_delay(reply)

    def transcription_requests(self) -> list[Recorded]:
        """Every /v1/audio/transcriptions request received, oldest first."""
        return self.requests_to(r"/audio/transcriptions\Z")

    def _transcribe(self, rec: Recorded, m: re.Match) -> Reply:
        fields = multipart_fields(rec)
        reply = self._auth_error(rec) or self._next_scripted() or self._error
        if reply is not None:
            return self._with_delay(reply)
        model, upload = fields.get("model"), fields.get("file")
        if not isinstance(model, str) or not model:
            return Reply(
                400, openai_error(400, "you must provide a model parameter", param="model")
            )
        if not isinstance(upload, tuple) or not upload[1]:
            return Reply(400, openai_error(400, "you must provide a file", param="file"))
        if upload[0].rsplit(".", 1)[-1].lower() not in AUDIO_EXTENSIONS:
            return Reply(400, openai_error(
                400, f"Invalid file format. Supported formats: {list(AUDIO_EXTENSIONS)}",
                param="file",
            ))  # fmt: skip
        return self._with_delay(
            self._model_missing(model) or Reply(200, {"text": self.transcript_text})
        )

    def _list_models(self, rec: Recorded, m: re.Match) -> Reply:
        reply = self._auth_error(rec) or self._next_scripted() or self._error
        if reply is None:
            ids = sorted(self.known_models or {"gpt-6-luna", "gpt-4o-mini"})
            reply = Reply(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": i, "object": "model", "created": 1700000000, "owned_by": "openai"}
                        for i in ids
                    ],
                },
            )
        return self._with_delay(reply)

    def _get_model(self, rec: Recorded, m: re.Match) -> Reply:
        model = m["model"]
        reply = self._auth_error(rec) or self._next_scripted() or self._error
        if reply is None:
            reply = self._model_missing(model) or Reply(
                200, {"id": model, "object": "model", "created": 1700000000, "owned_by": "openai"}
            )
        return self._with_delay(reply)


def multipart_fields(rec: Recorded) -> dict[str, str | tuple[str, bytes]]:
    """The fields of a multipart/form-data body: text, or (file name, bytes) for a file."""
    from email.parser import BytesParser
    from email.policy import HTTP

    ctype = rec.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + rec.body
    )
    fields: dict[str, str | tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[name] = (filename, data) if filename else data.decode()
    return fields
