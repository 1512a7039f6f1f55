"""The dashboard test chat follows the channels' serving rule and has a per-user rate limit."""

import pytest
from sqlalchemy import func, select

from extensions import db, limiter
from models.conversation import Message
from tests.engine_helpers import add_kb, configured
from tests.factories import PASSWORD

OWNER_LANGUAGE = "en"


@pytest.fixture
def limited(app):
    """The limiter on (tests run with it off), with a small test-chat limit."""
    with configured(app, RATELIMIT_ENABLED=True, TEST_CHAT_RATE_LIMIT="3 per minute"):
        limiter.enabled = True
        try:
            yield
        finally:
            limiter.enabled = False
            limiter.reset()


def _send(client, text="Do you have a warranty?"):
    return client.post("/test-chat/send", json={"text": text})


def test_an_expired_owner_gets_a_message_and_no_ai_call(client, app, auth, user_factory, gemini):
    user = user_factory(status="expired", language="en")
    with app.app_context():
        add_kb(user.id)
    auth.login(user.email)
    client.set_cookie("lang", "en")
    response = _send(client)
    assert response.status_code == 403
    assert "Your plan is not active" in response.json["error"]
    assert not gemini.generate_requests()  # the platform key is not spent
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize("language,words", [("ru", "не активен"), ("uz", "faol emas")])
def test_message_is_translated(client, auth, user_factory, language, words):
    user = user_factory(status="expired", language=language)
    auth.login(user.email)
    assert words in _send(client).json["error"]


def test_test_chat_is_rate_limited_per_user(client, app, auth, user_factory, limited):
    first = user_factory(language="en")
    auth.login(first.email)
    codes = [_send(client).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = app.test_client()
    second = user_factory(language="en")
    other.post("/auth/login", data={"login": second.email, "password": PASSWORD})
    assert _send(other).status_code == 200  # another owner has a budget of their own


def test_dashboard_carries_the_rate_limit_message(client, owner):
    client.set_cookie("lang", "en")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-rate-limited="You are sending questions too fast.' in page
