"""ai.read_media against the fake Gemini and OpenAI servers, through the real SDKs: a voice
note's transcript and a photo's description."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from ai import AIError, MediaRequest, ProviderSettings, clear_client_cache, read_media
from tests.fakes.gemini import DEFAULT_KEY as GEMINI_KEY
from tests.fakes.gemini import FakeGemini, inline_parts
from tests.fakes.media_files import ogg_opus, png
from tests.fakes.openai_fake import DEFAULT_KEY as OPENAI_KEY
from tests.fakes.openai_fake import FakeOpenAI, multipart_fields

VOICE = ogg_opus(4)
PICTURE = png()


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(gemini: FakeGemini, openai_fake: FakeOpenAI) -> None:
    gemini.reset()
    openai_fake.reset()
    clear_client_cache()


def _gemini(fake: FakeGemini, key: str = GEMINI_KEY) -> ProviderSettings:
    return ProviderSettings("gemini", key, "gemini-3.5-flash-lite", fake.url, 2.0)


def _openai(fake: FakeOpenAI, key: str = OPENAI_KEY) -> ProviderSettings:
    return ProviderSettings("openai", key, "gpt-6-luna", f"{fake.url}/v1", 2.0)


def _voice(**kw) -> MediaRequest:
    return MediaRequest(
        VOICE, "audio/ogg", "audio", transcribe_model="gpt-4o-mini-transcribe", **kw
    )


def test_gemini_transcribes_the_audio_sent_as_an_inline_part(gemini: FakeGemini) -> None:
    gemini.push_text("Yetkazib berish qancha turadi?")
    result = read_media(_gemini(gemini), _voice())
    assert (result.text, result.provider, result.model) == (
        "Yetkazib berish qancha turadi?", "gemini", "gemini-3.5-flash-lite",
    )  # fmt: skip
    request = gemini.last_request()
    assert request.path.endswith("/models/gemini-3.5-flash-lite:generateContent")
    assert inline_parts(request) == [("audio/ogg", VOICE)]
    assert "Transcribe" in gemini.last_prompt()


@pytest.mark.parametrize(
    ("language", "script", "named"),
    [("ru", "cyrl", "Russian"), ("uz", "cyrl", "Uzbek (Cyrillic"), ("en", "latn", "English")],
)
def test_gemini_describes_a_photo_in_the_conversation_language(
    gemini: FakeGemini, language: str, script: str, named: str
) -> None:
    gemini.push_text("Bu telefon qancha turadi?")
    request = MediaRequest(PICTURE, "image/png", "image", language, script)
    assert read_media(_gemini(gemini), request).text == "Bu telefon qancha turadi?"
    assert inline_parts(gemini.last_request()) == [("image/png", PICTURE)]
    assert named in gemini.last_prompt()


def test_openai_transcribes_at_the_transcription_endpoint(openai_fake: FakeOpenAI) -> None:
    openai_fake.transcript_text = "Сколько стоит доставка?"
    result = read_media(_openai(openai_fake), _voice())
    assert (result.text, result.model) == ("Сколько стоит доставка?", "gpt-4o-mini-transcribe")
    (request,) = openai_fake.transcription_requests()
    fields = multipart_fields(request)
    assert fields["model"] == "gpt-4o-mini-transcribe"
    assert fields["file"] == ("voice.ogg", VOICE)
    assert openai_fake.chat_requests() == []


def test_openai_describes_a_photo_with_an_image_part(openai_fake: FakeOpenAI) -> None:
    openai_fake.push_text("How much is this phone?")
    request = MediaRequest(PICTURE, "image/png", "image", "en", "latn")
    assert read_media(_openai(openai_fake), request).text == "How much is this phone?"
    (content,) = [m["content"] for m in openai_fake.last_messages()]
    image = next(p for p in content if p["type"] == "image_url")["image_url"]["url"]
    assert image == "data:image/png;base64," + base64.b64encode(PICTURE).decode()


def test_a_rate_limit_is_retried_once(gemini: FakeGemini) -> None:
    gemini.push_error(429, "slow down")
    gemini.push_text("Salom")
    assert read_media(_gemini(gemini), _voice(), retry_backoff=0).text == "Salom"
    assert len(gemini.media_requests()) == 2


@pytest.mark.parametrize("which", ["gemini", "openai"])
def test_a_wrong_key_is_an_auth_error(gemini: FakeGemini, openai_fake: FakeOpenAI, which) -> None:
    settings = _gemini(gemini, "wrong") if which == "gemini" else _openai(openai_fake, "sk-wrong")
    with pytest.raises(AIError) as err:
        read_media(settings, _voice())
    assert err.value.kind == "auth" and "wrong" not in str(err.value)


def test_silence_is_an_empty_result(gemini: FakeGemini, openai_fake: FakeOpenAI) -> None:
    gemini.push_text("   ")
    with pytest.raises(AIError) as err:
        read_media(_gemini(gemini), _voice())
    assert err.value.kind == "empty"
    openai_fake.transcript_text = ""
    with pytest.raises(AIError) as err:
        read_media(_openai(openai_fake), _voice())
    assert err.value.kind == "empty"


def test_a_retired_transcription_model_is_named(openai_fake: FakeOpenAI) -> None:
    openai_fake.known_models = {"gpt-6-luna"}
    with pytest.raises(AIError) as err:
        read_media(_openai(openai_fake), _voice())
    assert err.value.kind == "model_not_found" and "gpt-4o-mini-transcribe" in str(err.value)
