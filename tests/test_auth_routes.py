"""Register, log in (e-mail or phone), log out, reset a password, account settings."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.user import User
from routes.auth_routes import make_reset_token
from tests.conftest import PASSWORD


def _register(client, **overrides):
    data = {
        "full_name": "Dilshod Rahimov",
        "phone": "90 123 45 67",
        "email": "Dilshod@Example.uz",
        "password": "strong-pass-1",
        "confirm": "strong-pass-1",
    }
    data.update(overrides)
    return client.post("/auth/register", data=data)


def test_register_starts_trial_logs_in_and_lands_on_dashboard(client, app):
    response = _register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "+998901234567"
        assert user.email == "dilshod@example.uz"
        assert user.status == "trial"
        assert (
            timedelta(days=2, hours=23) < user.trial_ends_at - user.created_at <= timedelta(days=3)
        )
        assert user.password_hash.startswith("$argon2id$")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert b"trial-countdown" in page.data


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"phone": "+7 912 345 67 89"}, "Only Uzbek numbers (+998) are accepted."),
        ({"phone": "12 345"}, "Enter a valid Uzbek phone number"),
        ({"email": "not-an-email"}, "Enter a valid e-mail address."),
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"confirm": "something-else"}, "The passwords do not match."),
        ({"full_name": ""}, "This field is required."),
    ],
)
def test_register_rejects_bad_input_with_a_clear_message(client, app, overrides, message):
    client.set_cookie("lang", "en")
    response = _register(client, **overrides)
    assert response.status_code == 200
    assert message.encode() in response.data
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_register_rejects_duplicate_email_case_insensitively_and_duplicate_phone(
    client, user_factory
):
    user_factory(email="taken@example.uz", phone="+998901234567")
    client.set_cookie("lang", "en")
    r1 = _register(client, email="TAKEN@example.uz", phone="91 111 22 33")
    assert b"An account with this e-mail already exists." in r1.data
    r2 = _register(client, email="new@example.uz", phone="+998 90 123 45 67")
    assert b"An account with this phone number already exists." in r2.data


def test_error_messages_are_translated(client):
    client.set_cookie("lang", "ru")
    response = _register(client, phone="+7 912 345 67 89")
    assert b"+998" in response.data
    assert b"Only Uzbek numbers" not in response.data


@pytest.mark.parametrize(
    "login",
    ["owner@example.uz", "OWNER@example.uz", "90 765 43 21", "+998907654321", "998907654321"],
)
def test_login_by_email_or_phone(client, auth, user_factory, login):
    user_factory(email="owner@example.uz", phone="+998907654321")
    response = auth.login(login)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_wrong_password_is_refused(client, auth, user_factory):
    user = user_factory()
    client.set_cookie("lang", "en")
    response = auth.login(user.email, "wrong-password")
    assert b"Wrong e-mail, phone number or password." in response.data
    assert client.get("/dashboard").status_code == 302


def test_banned_user_cannot_log_in_and_is_told_why(client, auth, user_factory):
    user = user_factory(status="banned")
    client.set_cookie("lang", "en")
    response = auth.login(user.email)
    assert b"Your account has been blocked" in response.data
    assert client.get("/dashboard").status_code == 302


def test_ban_ends_an_open_session(client, auth, user_factory, app):
    user = user_factory()
    auth.login(user.email)
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).ban("abuse")
        db.session.commit()
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/auth/account", "/auth/account"),
        ("https://evil.example/x", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ],
)
def test_next_only_accepts_same_site_paths(client, user_factory, target, expected):
    user = user_factory()
    response = client.post(
        f"/auth/login?next={target}", data={"login": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == expected


def test_logout_is_post_only(client, auth, owner):
    assert client.get("/auth/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_remember_me_sets_a_long_lived_cookie(client, user_factory):
    user = user_factory()
    response = client.post(
        "/auth/login", data={"login": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert any("remember_token" in h for h in response.headers.getlist("Set-Cookie"))


def test_password_reset_flow(client, app, user_factory, smtp_server):
    user = user_factory(email="reset@example.uz", language="ru")
    same_for_unknown = client.post("/auth/forgot-password", data={"email": "nobody@example.uz"})
    response = client.post("/auth/forgot-password", data={"email": "reset@example.uz"})
    assert response.status_code == same_for_unknown.status_code == 302
    assert same_for_unknown.headers["Location"] == response.headers["Location"]
    assert len(smtp_server.messages) == 1  # nothing is sent for the unknown address
    mail = smtp_server.messages[0]
    assert mail["To"] == "reset@example.uz"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    token = text.split("/auth/reset-password/")[1].split()[0]
    assert token in html
    r = client.post(
        f"/auth/reset-password/{token}",
        data={"password": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert r.status_code == 302
    assert (
        client.post(
            "/auth/login", data={"login": user.email, "password": "brand-new-pass"}
        ).status_code
        == 302
    )
    # Single use: the token stops working once the password has changed.
    again = client.get(f"/auth/reset-password/{token}")
    assert again.status_code == 302 and "forgot-password" in again.headers["Location"]


def test_tampered_or_expired_reset_token_is_refused(client, app, user_factory):
    user = user_factory()
    with app.app_context():
        token = make_reset_token(db.session.get(User, user.id))
    assert "forgot-password" in client.get(f"/auth/reset-password/{token}x").headers["Location"]
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert "forgot-password" in client.get(f"/auth/reset-password/{token}").headers["Location"]
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_account_settings_change_name_phone_language(client, app, owner):
    response = client.post(
        "/auth/account", data={"full_name": "Yangi Ism", "phone": "93 111 22 33", "language": "ru"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert (user.full_name, user.phone, user.language) == ("Yangi Ism", "+998931112233", "ru")
    assert b'lang="ru"' in client.get("/auth/account").data


def test_change_password_requires_the_current_one(client, app, owner):
    bad = client.post(
        "/auth/account/password",
        data={"current": "nope", "password": "another-pass", "confirm": "another-pass"},
    )
    assert bad.status_code == 400
    good = client.post(
        "/auth/account/password",
        data={"current": PASSWORD, "password": "another-pass", "confirm": "another-pass"},
    )
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(User, owner.id).check_password("another-pass")


def test_login_is_rate_limited(app, user_factory):
    app.config["RATELIMIT_ENABLED"] = True
    from extensions import limiter

    limiter.enabled = True
    try:
        client = app.test_client()
        codes = [
            client.post("/auth/login", data={"login": "x@y.uz", "password": "bad"}).status_code
            for _ in range(12)
        ]
        assert 429 in codes
        client.set_cookie("lang", "en")
        assert (
            b"Too many requests"
            in client.post("/auth/login", data={"login": "x@y.uz", "password": "bad"}).data
        )
    finally:
        limiter.enabled = False
        limiter.reset()
