"""Provider failures are said in the reader's language, with the brand names as written."""

import socket

import pytest
from flask_babel import force_locale

from ai import AIError
from extensions import db
from models.ai_config import PlatformAI
from routes.ai_errors import describe, notice_text
from tests.engine_helpers import configured

KINDS = ("auth", "model_not_found", "rate_limit", "timeout", "connection", "server")
KINDS += ("bad_request", "empty", "unknown")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_translated_and_names_the_brand(app, kind):
    err = AIError(kind, "English detail for the log", "openai", 500 if kind == "server" else 400)
    with app.test_request_context():
        texts = {}
        for lang in ("uz", "ru", "en"):
            with force_locale(lang):
                texts[lang] = describe(err, "gpt-6-luna")
    assert all("OpenAI" in t and "English detail" not in t for t in texts.values())
    assert len(set(texts.values())) == 3  # really translated
    assert "Openai" not in "".join(texts.values())


def test_the_admin_test_without_a_key_is_said_in_uzbek(client, app, user_factory, auth):
    admin = user_factory(is_admin=True, language="uz")
    auth.login(admin.email)
    with configured(app, GEMINI_API_KEY=""):
        page = client.post(
            "/admin/ai-model/test", data={"provider": "gemini"}, follow_redirects=True
        ).data.decode()
    assert "Gemini API kaliti sozlanmagan" in page
    assert "No Gemini API key is configured" not in page


def test_an_unreachable_openai_is_said_in_russian(client, app, user_factory, auth):
    owner = user_factory(language="ru")
    auth.login(owner.email)
    with configured(
        app, OPENAI_BASE_URL=f"http://127.0.0.1:{_closed_port()}/v1", AI_TIMEOUT_SECONDS=1.0
    ):
        page = client.post(
            "/assistant/openai-key",
            data={"api_key": "sk-owner-key-abcdefghijklmnop1234"},
            follow_redirects=True,
        ).data.decode()
    assert "не удалось подключиться к OpenAI" in page
    assert "Could not connect" not in page and "the public API" not in page


def test_the_admins_stored_notice_is_in_words(client, app, user_factory, auth):
    admin = user_factory(is_admin=True, language="ru")
    auth.login(admin.email)
    with app.app_context():
        PlatformAI.record_error(
            "gemini",
            "gemini-old",
            "Gemini model 'gemini-old' was not found (404)",
            "model_not_found",
        )
        db.session.commit()
    page = client.get("/admin/ai-model").data.decode()
    assert "Gemini не предоставляет модель gemini-old" in page
    assert "+00:00" not in page  # the time is formatted, not ISO
    with app.test_request_context(), force_locale("en"):
        quota = {"kind": "quota", "provider": "quota", "model": "2026-12-01", "detail": "x"}
        assert "daily quota" in notice_text(quota)
