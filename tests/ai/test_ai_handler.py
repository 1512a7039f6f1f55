"""ai against local fake Gemini and OpenAI servers, through the real SDKs."""

from __future__ import annotations

import pickle
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ai import (
    AIError,
    AIRequest,
    ChatTurn,
    ProviderSettings,
    check_key,
    clear_client_cache,
    generate,
)
from tests.fakes.gemini import DEFAULT_KEY as GEMINI_KEY
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_fake import DEFAULT_KEY as OPENAI_KEY
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.server import Reply

GEMINI_MODEL = "gemini-3.5-flash-lite"
OPENAI_MODEL = "gpt-6-luna"
PROVIDERS = ["gemini", "openai"]

# Every outbound connection attempt while a test is listening (audit hooks cannot be removed,
# so the hook is installed once and only records when `_connections` is a list).
_connections: list[tuple[str, object]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _connections is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _connections.append((event, args[1] if event == "socket.connect" else args[:2]))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    fake = FakeGemini().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh(gemini: FakeGemini, openai_fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDKs read these; a developer's shell must not change what the tests exercise.
    for name in (
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_GENAI_API_VERSION",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    gemini.reset()
    openai_fake.reset()


def test_the_sdks_membership_shortcut_changes_nothing_on_the_wire(
    gemini: FakeGemini, fakes: dict
) -> None:
    """ai/gemini.answer_membership_at_once: the same request body with and without it, and
    the same answers to `in` that the SDK's models gave (a field name: never found)."""
    from google.genai import _common, types

    from ai.gemini import answer_membership_at_once

    generate(settings_for("gemini", fakes), conversation())  # builds the client: installed
    assert vars(_common.BaseModel)["__contains__"].__module__ == "ai.gemini"
    with_it = gemini.last_request().json()
    try:
        del _common.BaseModel.__contains__
        part = types.Part(text="Salom")
        plain = ["text" in part, "role" in part, ("text", "Salom") in part]
        generate(settings_for("gemini", fakes), conversation())
        without = gemini.last_request().json()
    finally:
        answer_membership_at_once()
    assert without == with_it
    assert plain == ["text" in part, "role" in part, ("text", "Salom") in part]
    assert plain == [False, False, True]


@pytest.fixture
def fakes(gemini: FakeGemini, openai_fake: FakeOpenAI) -> dict[str, FakeGemini | FakeOpenAI]:
    return {"gemini": gemini, "openai": openai_fake}


def settings_for(which: str, fakes: dict, **overrides) -> ProviderSettings:
    """Settings pointing `which` provider's SDK at its fake; keyword overrides win."""
    fake = fakes[which]
    values = {
        "gemini": dict(
            provider="gemini", api_key=GEMINI_KEY, model=GEMINI_MODEL, base_url=fake.url
        ),
        "openai": dict(
            provider="openai", api_key=OPENAI_KEY, model=OPENAI_MODEL, base_url=f"{fake.url}/v1"
        ),
    }[which]
    values["timeout"] = 2.0
    values.update(overrides)
    return ProviderSettings(**values)


def calls(fake: FakeGemini | FakeOpenAI) -> int:
    return len(fake.generate_requests() if isinstance(fake, FakeGemini) else fake.chat_requests())


def simple_request() -> AIRequest:
    return AIRequest(system="You answer for Test Shop.", turns=[ChatTurn("user", "Narxi qancha?")])


def conversation() -> AIRequest:
    return AIRequest(
        system="You are the assistant of Bilim Shop. Prices: tea 10 000 so'm.",
        turns=[
            ChatTurn("user", "Salom"),
            ChatTurn("assistant", "Assalomu alaykum! Qanday yordam bera olaman?"),
            ChatTurn("user", "Choy qancha turadi?"),
        ],
        max_output_tokens=256,
        temperature=0.3,
    )


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def program_error(
    fake: FakeGemini | FakeOpenAI, status: int, *, once: bool = False, code: str | None = None
) -> None:
    """Make the fake answer `status` in its provider's error shape."""
    if isinstance(fake, FakeGemini):
        (fake.push_error if once else fake.set_error)(status, f"fake {status}", code)
    else:
        (fake.push_error if once else fake.set_error)(status, f"fake {status}", code=code)


# --- the request on the wire -----------------------------------------------------------------


def test_gemini_request_and_result(gemini: FakeGemini, fakes: dict) -> None:
    gemini.reply_text = "Choy 10 000 so'm turadi."
    result = generate(settings_for("gemini", fakes), conversation())

    rec = gemini.last_request()
    assert rec.method == "POST"
    assert rec.path in (
        f"/v1/models/{GEMINI_MODEL}:generateContent",
        f"/v1beta/models/{GEMINI_MODEL}:generateContent",
    )
    assert rec.headers["x-goog-api-key"] == GEMINI_KEY
    assert GEMINI_KEY.encode() not in rec.body and "key" not in rec.query
    body = rec.json()
    assert body["systemInstruction"]["parts"][0]["text"].startswith("You are the assistant")
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert [c["parts"][0]["text"] for c in body["contents"]] == [
        "Salom",
        "Assalomu alaykum! Qanday yordam bera olaman?",
        "Choy qancha turadi?",
    ]
    assert body["generationConfig"]["maxOutputTokens"] == 256
    assert body["generationConfig"]["temperature"] == pytest.approx(0.3)
    prompt = gemini.last_prompt()
    assert prompt.index("Bilim Shop") < prompt.index("Salom") < prompt.index("Choy qancha")

    assert result.text == "Choy 10 000 so'm turadi."
    assert (result.provider, result.model) == ("gemini", GEMINI_MODEL)
    assert (result.tokens_in, result.tokens_out) == (42, 7)
    assert isinstance(result.latency_ms, int) and result.latency_ms >= 0


def test_openai_request_and_result(openai_fake: FakeOpenAI, fakes: dict) -> None:
    openai_fake.reply_text = "Tea costs 10 000 so'm."
    result = generate(settings_for("openai", fakes), conversation())

    rec = openai_fake.last_request()
    assert (rec.method, rec.path) == ("POST", "/v1/chat/completions")
    assert rec.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert OPENAI_KEY.encode() not in rec.body
    body = rec.json()
    assert body["model"] == OPENAI_MODEL
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][0]["content"].startswith("You are the assistant")
    assert body["messages"][-1]["content"] == "Choy qancha turadi?"
    assert body["max_completion_tokens"] == 256
    assert body["temperature"] == pytest.approx(0.3)
    assert not body.get("stream")
    assert "Bilim Shop" in openai_fake.last_prompt()

    assert result.text == "Tea costs 10 000 so'm."
    assert (result.provider, result.model) == ("openai", OPENAI_MODEL)
    assert (result.tokens_in, result.tokens_out) == (55, 9)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_latency_is_measured(provider: str, fakes: dict) -> None:
    fakes[provider].delay = 0.2
    result = generate(settings_for(provider, fakes), simple_request())
    assert 200 <= result.latency_ms < 2000


def test_blank_turns_and_system_are_left_out(
    gemini: FakeGemini, openai_fake: FakeOpenAI, fakes: dict
) -> None:
    request = AIRequest(system="  ", turns=[ChatTurn("user", "Salom"), ChatTurn("assistant", "")])
    generate(settings_for("gemini", fakes), request)
    body = gemini.last_request().json()
    assert "systemInstruction" not in body and len(body["contents"]) == 1
    generate(settings_for("openai", fakes), request)
    assert openai_fake.last_messages() == [{"role": "user", "content": "Salom"}]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "auth"),
        (403, "auth"),
        (404, "model_not_found"),
        (400, "bad_request"),
        (500, "server"),
        (503, "server"),
    ],
)
def test_status_errors_map_to_kinds(provider: str, status: int, kind: str, fakes: dict) -> None:
    fake = fakes[provider]
    program_error(fake, status)
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes), simple_request(), sleep=lambda s: None)
    err = info.value
    assert (err.kind, err.provider, err.status) == (kind, provider, status)
    assert str(err) == err.detail and err.detail
    assert calls(fake) == 1  # only 429 is retried


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_key_is_auth_error(provider: str, fakes: dict) -> None:
    bad_key = "sk-not-a-real-key-123456" if provider == "openai" else "AIzaNotARealKey12345"
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes, api_key=bad_key), simple_request())
    err = info.value
    assert err.kind == "auth"
    # Gemini answers 400 API_KEY_INVALID for a wrong key, OpenAI 401 invalid_api_key.
    assert (err.status, err.code) == {
        "gemini": (400, "API_KEY_INVALID"),
        "openai": (401, "invalid_api_key"),
    }[provider]
    assert "rejected the API key" in err.detail
    for text in (str(err), repr(err), err.detail, err.provider_message or ""):
        assert bad_key not in text


def test_retired_gemini_model_names_the_model(gemini: FakeGemini, fakes: dict) -> None:
    gemini.known_models = {GEMINI_MODEL}
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes, model="gemini-2.0-flash"), simple_request())
    assert info.value.kind == "model_not_found"
    assert "gemini-2.0-flash" in info.value.detail
    assert gemini.last_request().path.endswith("/models/gemini-2.0-flash:generateContent")


def test_retired_openai_model_names_the_model(openai_fake: FakeOpenAI, fakes: dict) -> None:
    openai_fake.known_models = {OPENAI_MODEL}
    with pytest.raises(AIError) as info:
        generate(settings_for("openai", fakes, model="gpt-3.5-turbo"), simple_request())
    assert (info.value.kind, info.value.code) == ("model_not_found", "model_not_found")
    assert "gpt-3.5-turbo" in info.value.detail


def test_gemini_504_deadline_is_a_timeout(gemini: FakeGemini, fakes: dict) -> None:
    gemini.set_error(504, "Deadline expired before operation could complete.")
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes), simple_request())
    assert (info.value.kind, info.value.status) == ("timeout", 504)


# --- rate limits and the single retry --------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_once_is_retried_once(provider: str, fakes: dict) -> None:
    fake = fakes[provider]
    program_error(fake, 429, once=True)
    sleeps: list[float] = []
    result = generate(
        settings_for(provider, fakes), simple_request(), retry_backoff=0.25, sleep=sleeps.append
    )
    assert result.text
    assert calls(fake) == 2
    assert sleeps == [0.25]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_twice_gives_rate_limit_after_two_calls(provider: str, fakes: dict) -> None:
    fake = fakes[provider]
    program_error(fake, 429)
    sleeps: list[float] = []
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes), simple_request(), sleep=sleeps.append)
    assert (info.value.kind, info.value.status) == ("rate_limit", 429)
    assert calls(fake) == 2
    assert sleeps == [1.0]


def test_default_backoff_really_sleeps(gemini: FakeGemini, fakes: dict) -> None:
    gemini.push_error(429, "Resource has been exhausted (e.g. check quota).")
    started = time.monotonic()
    generate(settings_for("gemini", fakes), simple_request(), retry_backoff=0.2)
    assert time.monotonic() - started >= 0.2
    assert calls(gemini) == 2


def test_openai_insufficient_quota_is_not_retried(openai_fake: FakeOpenAI, fakes: dict) -> None:
    openai_fake.set_error(
        429,
        "You exceeded your current quota.",
        type_="insufficient_quota",
        code="insufficient_quota",
    )
    sleeps: list[float] = []
    with pytest.raises(AIError) as info:
        generate(settings_for("openai", fakes), simple_request(), sleep=sleeps.append)
    assert (info.value.kind, info.value.code) == ("rate_limit", "insufficient_quota")
    assert "billing" in info.value.detail
    assert calls(openai_fake) == 1 and sleeps == []


# --- timeouts and connections ----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout(provider: str, fakes: dict) -> None:
    fake = fakes[provider]
    fake.delay = 3.0
    settings = settings_for(provider, fakes, timeout=0.6)
    # The fake would answer 200 after 3 s: an error of kind "timeout" means the client gave up
    # at its own limit instead of waiting (the duration itself is not asserted: noisy machines).
    with pytest.raises(AIError) as info:
        generate(settings, simple_request(), sleep=lambda s: None)
    assert info.value.kind == "timeout" and info.value.status is None
    assert "0.6 s" in info.value.detail
    assert calls(fake) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_refused(provider: str, fakes: dict) -> None:
    base = closed_port_url()
    url = f"{base}/v1" if provider == "openai" else base
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes, base_url=url), simple_request())
    assert (info.value.kind, info.value.provider) == ("connection", provider)
    assert "127.0.0.1" in info.value.detail


# --- empty answers ---------------------------------------------------------------------------


def test_gemini_no_candidates_is_empty(gemini: FakeGemini, fakes: dict) -> None:
    gemini.push_json({"candidates": [], "usageMetadata": {"promptTokenCount": 3}})
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes), simple_request())
    assert info.value.kind == "empty"


def test_gemini_blocked_prompt_is_empty(gemini: FakeGemini, fakes: dict) -> None:
    gemini.push_blocked("SAFETY")
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes), simple_request())
    assert (info.value.kind, info.value.code) == ("empty", "SAFETY")
    assert "SAFETY" in info.value.detail


def test_gemini_safety_stop_without_text_is_empty(gemini: FakeGemini, fakes: dict) -> None:
    gemini.push_json(
        {"candidates": [{"finishReason": "SAFETY", "index": 0}], "modelVersion": GEMINI_MODEL}
    )
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes), simple_request())
    assert (info.value.kind, info.value.code) == ("empty", "SAFETY")


def test_gemini_thought_parts_are_not_the_answer(gemini: FakeGemini, fakes: dict) -> None:
    gemini.push_json(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "Let me think about tea prices...", "thought": True},
                            {"text": "Choy 10 000 so'm."},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 10,
                "candidatesTokenCount": 5,
                "thoughtsTokenCount": 20,
                "totalTokenCount": 35,
            },
        }
    )
    result = generate(settings_for("gemini", fakes), simple_request())
    assert result.text == "Choy 10 000 so'm."
    assert (result.tokens_in, result.tokens_out) == (10, 25)  # thinking is billed as output


@pytest.mark.parametrize(
    ("content", "finish"), [(None, "content_filter"), ("", "length"), ("   ", "stop")]
)
def test_openai_empty_content_is_empty(
    openai_fake: FakeOpenAI, fakes: dict, content: str | None, finish: str
) -> None:
    openai_fake.push_text(content, finish)
    with pytest.raises(AIError) as info:
        generate(settings_for("openai", fakes), simple_request())
    assert info.value.kind == "empty"


def test_openai_no_choices_is_empty(openai_fake: FakeOpenAI, fakes: dict) -> None:
    openai_fake.push_json(
        {"id": "x", "object": "chat.completion", "created": 1, "model": OPENAI_MODEL, "choices": []}
    )
    with pytest.raises(AIError) as info:
        generate(settings_for("openai", fakes), simple_request())
    assert info.value.kind == "empty"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_garbage_body_is_still_an_ai_error(provider: str, fakes: dict) -> None:
    fakes[provider].push(Reply(200, "<html>proxy login</html>", {"Content-Type": "text/html"}))
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes), simple_request())
    assert info.value.kind == "unknown"
    assert "unreadable response" in info.value.detail


# --- OpenAI models that refuse a temperature -------------------------------------------------


def test_openai_retries_without_unsupported_temperature(
    openai_fake: FakeOpenAI, fakes: dict
) -> None:
    openai_fake.push_error(
        400,
        "Unsupported value: 'temperature' does not support 0.2 with "
        "this model. Only the default (1) value is supported.",
        code="unsupported_value",
        param="temperature",
    )
    result = generate(settings_for("openai", fakes), simple_request())
    assert result.text
    first, second = openai_fake.chat_requests()
    assert "temperature" in first.json() and "temperature" not in second.json()


# --- secrets never leak ----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_key_never_in_repr_or_errors(provider: str, fakes: dict) -> None:
    secret = "sk-proj-SECRET-abcdefghijklmnop" if provider == "openai" else "AIzaSECRETabcdefghij"
    settings = settings_for(provider, fakes, api_key=secret)
    assert secret not in repr(settings) and secret not in str(settings)
    assert "api_key=<set>" in repr(settings)
    with pytest.raises(AIError) as info:
        generate(settings, simple_request())
    err = info.value
    for text in (str(err), repr(err), err.detail, err.provider_message or "", str(err.args)):
        assert secret not in text
        assert secret[-6:] not in text  # not even the masked tail OpenAI echoes back
    with pytest.raises(AIError) as info:
        check_key(settings)
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_ai_error_pickles() -> None:
    err = AIError(
        "rate_limit",
        "Gemini rate limit or quota exceeded (429)",
        "gemini",
        429,
        "RESOURCE_EXHAUSTED",
    )
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.kind, copy.provider, copy.status, copy.code, str(copy)) == (
        "rate_limit",
        "gemini",
        429,
        "RESOURCE_EXHAUSTED",
        err.detail,
    )


# --- check_key -------------------------------------------------------------------------------


def test_check_key_gemini(gemini: FakeGemini, fakes: dict) -> None:
    check_key(settings_for("gemini", fakes))
    rec = gemini.requests[-1]
    assert rec.method == "GET" and rec.path.endswith(f"/models/{GEMINI_MODEL}")
    assert rec.headers["x-goog-api-key"] == GEMINI_KEY
    assert not gemini.generate_requests()  # no tokens spent


def test_check_key_openai(openai_fake: FakeOpenAI, fakes: dict) -> None:
    check_key(settings_for("openai", fakes))
    assert openai_fake.requests[-1].path == f"/v1/models/{OPENAI_MODEL}"
    check_key(settings_for("openai", fakes, model=""))  # key saved before a model is chosen
    assert openai_fake.requests[-1].path == "/v1/models"
    assert not openai_fake.chat_requests()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_check_key_rejects_bad_key(provider: str, fakes: dict) -> None:
    with pytest.raises(AIError) as info:
        check_key(settings_for(provider, fakes, api_key="wrong-key-000000"))
    assert info.value.kind == "auth"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_check_key_401(provider: str, fakes: dict) -> None:
    program_error(fakes[provider], 401)
    with pytest.raises(AIError) as info:
        check_key(settings_for(provider, fakes))
    assert (info.value.kind, info.value.status) == ("auth", 401)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_check_key_retired_model(provider: str, fakes: dict) -> None:
    fakes[provider].known_models = {"something-else"}
    with pytest.raises(AIError) as info:
        check_key(settings_for(provider, fakes))
    assert info.value.kind == "model_not_found"


# --- validation and environment ---------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_key_never_falls_back_to_environment(
    provider: str, fakes: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with pytest.raises(AIError) as info:
        generate(settings_for(provider, fakes, api_key="  "), simple_request())
    assert info.value.kind == "auth"
    assert not fakes[provider].requests


def test_gemini_ignores_vertex_environment(
    gemini: FakeGemini, fakes: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "someone-elses-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIzaPlatformEnvKey000")
    clear_client_cache()
    result = generate(settings_for("gemini", fakes), simple_request())
    assert result.text
    rec = gemini.last_request()
    assert rec.path.startswith(("/v1/models/", "/v1beta/models/"))
    assert rec.headers["x-goog-api-key"] == GEMINI_KEY


def test_openai_ignores_platform_org_and_project(
    openai_fake: FakeOpenAI, fakes: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-platform")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-platform")
    clear_client_cache()
    generate(settings_for("openai", fakes), simple_request())
    headers = openai_fake.last_request().headers
    assert "openai-organization" not in headers and "openai-project" not in headers


@pytest.mark.parametrize(
    ("settings_kw", "request_", "kind"),
    [
        ({"provider": "claude"}, simple_request(), "bad_request"),
        ({"model": ""}, simple_request(), "bad_request"),
        ({}, AIRequest(system="s", turns=[]), "bad_request"),
        ({}, AIRequest(system="s", turns=[ChatTurn("assistant", "hi")]), "bad_request"),
        ({}, AIRequest(system="s", turns=[ChatTurn("system", "hi")]), "bad_request"),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_fails_before_network(
    settings_kw: dict, request_: AIRequest, kind: str, gemini: FakeGemini, fakes: dict
) -> None:
    with pytest.raises(AIError) as info:
        generate(settings_for("gemini", fakes, **settings_kw), request_)
    assert info.value.kind == kind
    assert not gemini.requests


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sdks_only_touch_the_base_url(provider: str, fakes: dict) -> None:
    global _connections
    clear_client_cache()  # client construction must not phone home either
    host, port = fakes[provider].url.removeprefix("http://").split(":")
    _connections = []
    try:
        generate(settings_for(provider, fakes), simple_request())
        check_key(settings_for(provider, fakes))
        seen = list(_connections)
    finally:
        _connections = None
    assert seen
    for event, target in seen:
        assert target == (host, int(port)), (event, target)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_concurrent_calls_share_a_client_safely(provider: str, fakes: dict) -> None:
    clear_client_cache()
    fakes[provider].delay = 0.05
    settings = settings_for(provider, fakes)
    barrier = threading.Barrier(8)

    def ask(_: int) -> str:
        barrier.wait()
        return generate(settings, simple_request()).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(ask, range(8)))
    assert all(texts) and calls(fakes[provider]) == 8


@pytest.mark.parametrize("provider", PROVIDERS)
def test_as_many_calls_at_once_as_a_process_answers_keep_their_connections(
    provider: str, fakes: dict
) -> None:
    """32 calls at once (a process's answering threads), three times: the client's pool keeps
    every connection open for the next call (Gemini's SDK kept 20: a new connection, a TLS
    handshake with Google, for each call past them)."""
    global _connections
    clear_client_cache()
    fakes[provider].delay = 0.1
    settings, at_once = settings_for(provider, fakes), 32
    barrier = threading.Barrier(at_once)

    def ask(_: int) -> str:
        barrier.wait()
        return generate(settings, simple_request()).text

    _connections = []
    try:
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            for _round in range(3):
                assert all(pool.map(ask, range(at_once)))
        opened = [target for event, target in _connections if event == "socket.connect"]
    finally:
        _connections = None
    assert calls(fakes[provider]) == 3 * at_once
    assert at_once // 2 < len(opened) <= at_once
