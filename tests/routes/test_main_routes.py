"""Landing page, language selection, health check, error pages in every language."""

import pytest

LANG_MARKERS = {"uz": 'lang="uz"', "ru": 'lang="ru"', "en": 'lang="en"'}


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_landing_page_in_each_language(client, lang):
    client.set_cookie("lang", lang)
    response = client.get("/")
    assert response.status_code == 200
    assert LANG_MARKERS[lang].encode() in response.data
    assert b"/auth/register" in response.data


def test_default_language_is_uzbek(client):
    assert b'lang="uz"' in client.get("/").data


def test_accept_language_is_used_without_cookie(client):
    assert b'lang="ru"' in client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).data
    assert b'lang="en"' in client.get("/", headers={"Accept-Language": "en-US"}).data
    assert b'lang="uz"' in client.get("/", headers={"Accept-Language": "de-DE"}).data


def test_cookie_beats_accept_language_and_saved_language_beats_cookie(
    client, app, user_factory, auth
):
    client.set_cookie("lang", "en")
    assert b'lang="en"' in client.get("/", headers={"Accept-Language": "ru"}).data
    user = user_factory(language="ru")
    auth.login(user.email)
    assert b'lang="ru"' in client.get("/dashboard").data


def test_language_switch_sets_cookie_and_saves_on_account(client, app, owner):
    from extensions import db
    from models.user import User

    response = client.post("/language", data={"lang": "en", "next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "lang=en" in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.get(User, owner.id).language == "en"


def test_language_switch_ignores_unknown_language_and_foreign_next(client):
    response = client.post("/language", data={"lang": "de", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_404_page_is_rendered_in_the_users_language(client, lang):
    client.set_cookie("lang", lang)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert LANG_MARKERS[lang].encode() in response.data
    assert b"404" in response.data


def test_405_and_json_errors(client):
    assert client.get("/auth/logout").status_code == 405
    response = client.get("/no-such-thing", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json == {"error": 404}


def test_dashboard_requires_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_expired_owner_sees_request_access(client, user_factory, auth):
    user = user_factory(status="expired")
    auth.login(user.email)
    page = client.get("/dashboard")
    assert b'id="request-access"' in page.data
    assert b"trial-countdown" not in page.data


def test_trial_owner_sees_countdown_and_no_request_access(client, owner):
    page = client.get("/dashboard")
    assert b"trial-countdown" in page.data and b'id="request-access"' not in page.data


def test_500_handler_rolls_back_and_renders_page(app):
    from main import create_app
    from tests.factories import SuiteConfig

    fresh = create_app(SuiteConfig)

    @fresh.get("/_boom_for_test")
    def boom():
        raise RuntimeError("boom")

    client = fresh.test_client()
    client.set_cookie("lang", "en")
    response = client.get("/_boom_for_test")
    assert response.status_code == 500 and b"Something went wrong" in response.data


@pytest.mark.parametrize(
    "lang,days,landing_texts,register_text",
    [
        ("en", 3, ["Start the 3-day free trial", "Try it free for 3 days"], "Your 3-day free"),
        ("en", 1, ["Start the 1-day free trial", "Try it free for 1 day<"], "Your 1-day free"),
        ("ru", 7, ["бесплатно 7 дней", "Попробуйте бесплатно 7 дней"], "период на 7 дней"),
        ("ru", 2, ["бесплатно 2 дня", "Попробуйте бесплатно 2 дня"], "период на 2 дня"),
        ("ru", 21, ["бесплатно 21 день", "Попробуйте бесплатно 21 день"], "период на 21 день"),
        ("uz", 14, ["14 kunlik bepul sinov", "14 kun bepul sinab ko‘ring"], "14 kunlik bepul"),
    ],
)
def test_trial_length_on_landing_and_register_follows_trial_days(
    client, app, lang, days, landing_texts, register_text
):
    client.set_cookie("lang", lang)
    app.config["TRIAL_DAYS"] = days
    try:
        landing = client.get("/").data.decode()
        register = client.get("/auth/register").data.decode()
    finally:
        app.config["TRIAL_DAYS"] = 3
    for text in landing_texts:
        assert text in landing
    assert register_text in register
