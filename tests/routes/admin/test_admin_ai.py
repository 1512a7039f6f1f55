"""Admin "AI model" page: platform provider and models, owner keys switch, Test connection."""

import pytest

from extensions import db
from models.admin_log import AdminLog
from models.ai_config import AIConfig
from tests.engine_helpers import add_kb, configured
from tests.fakes.gemini import DEFAULT_KEY as GEMINI_KEY
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_fake import DEFAULT_KEY as OPENAI_KEY
from tests.fakes.openai_fake import FakeOpenAI


@pytest.fixture
def providers(app):
    with (
        FakeGemini() as gemini,
        FakeOpenAI(keys=(OPENAI_KEY, "sk-owner-key-abcdefghijklmnop1234")) as openai,
        configured(
            app,
            GEMINI_API_KEY=GEMINI_KEY,
            GEMINI_BASE_URL=gemini.url,
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=f"{openai.url}/v1",
            AI_TIMEOUT_SECONDS=1.0,
        ),
    ):
        yield gemini, openai


def _save(client, **overrides):
    data = {
        "default_provider": "gemini",
        "gemini_model": "gemini-3.8-flash",
        "openai_model": "gpt-6-luna",
        "allow_owner_keys": "y",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/admin/ai-model", data=data)


def test_owner_gets_403_and_anonymous_goes_to_login(client, owner):
    assert client.get("/admin/ai-model").status_code == 403
    assert client.post("/admin/ai-model/test", data={"provider": "gemini"}).status_code == 403
    client.post("/auth/logout")
    assert "/auth/login" in client.get("/admin/ai-model").headers["Location"]


def test_saved_model_and_provider_are_used_by_the_engine(
    client, app, auth, user_factory, providers
):
    gemini, openai = providers
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    assert _save(client).status_code == 302
    owner = user_factory(language="en")
    with app.app_context():
        add_kb(owner.id)
        assert AdminLog.query.filter_by(action="ai_settings").count() == 1
    auth.logout()
    auth.login(owner.email)
    client.post("/test-chat/send", json={"text": "Do you have a warranty?"})
    assert "/models/gemini-3.8-flash:generateContent" in gemini.last_request().path
    auth.logout()
    auth.login(admin.email)
    _save(client, default_provider="openai")
    auth.logout()
    auth.login(owner.email)
    client.post("/test-chat/send", json={"text": "Do you have a warranty?"})
    assert openai.last_request().json()["model"] == "gpt-6-luna"


def test_owner_keys_can_be_switched_off(client, app, auth, user_factory, providers):
    gemini, openai = providers
    owner = user_factory(language="en")
    with app.app_context():
        cfg = AIConfig.for_user(owner.id)
        cfg.set_openai_key("sk-owner-key-abcdefghijklmnop1234")
        db.session.commit()
        add_kb(owner.id)
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    _save(client, allow_owner_keys=None)
    auth.logout()
    auth.login(owner.email)
    client.post("/test-chat/send", json={"text": "Do you have a warranty?"})
    assert openai.chat_requests() == [] and len(gemini.generate_requests()) == 1


def test_test_connection_shows_the_answer_or_the_error_in_words(
    client, app, auth, user_factory, providers
):
    gemini, _ = providers
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    gemini.reply_text = "Hello from the fake."
    ok = client.post("/admin/ai-model/test", data={"provider": "gemini"}, follow_redirects=True)
    assert b"Hello from the fake." in ok.data
    gemini.set_error(404, "models/gemini-3.5-flash-lite is not found", "NOT_FOUND")
    bad = client.post("/admin/ai-model/test", data={"provider": "gemini"}, follow_redirects=True)
    assert b"failed" in bad.data and b"404" in bad.data
    ok_openai = client.post(
        "/admin/ai-model/test", data={"provider": "openai"}, follow_redirects=True
    )
    assert b"answered in" in ok_openai.data


def test_retired_model_is_shown_to_the_admin(client, app, auth, user_factory, providers):
    gemini, _ = providers
    gemini.set_error(404, "model not found", "NOT_FOUND")
    owner = user_factory(language="en")
    with app.app_context():
        add_kb(owner.id)
    auth.login(owner.email)
    client.post("/test-chat/send", json={"text": "Do you have a warranty?"})
    auth.logout()
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    page = client.get("/admin/ai-model")
    assert b'id="ai-last-error"' in page.data and b"404" in page.data
    assert GEMINI_KEY.encode() not in page.data
