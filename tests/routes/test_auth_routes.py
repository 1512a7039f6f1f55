"""Register, log in (e-mail or phone), log out, reset a password, account settings."""

import contextlib
import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import DevelopmentConfig, ProductionConfig
from core.tasks import wait_all
from extensions import db, limiter
from models.user import User, make_reset_token
from tests.factories import PASSWORD


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
    same_for_unknown = client.post("/auth/forgot-password", data={"login": "nobody@example.uz"})
    response = client.post("/auth/forgot-password", data={"login": "reset@example.uz"})
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


# --- language of a new account -----------------------------------------------------------------
def test_register_keeps_the_language_the_visitor_was_reading(client, app):
    # No cookie: the site was shown in Russian because of the browser's Accept-Language.
    response = client.post(
        "/auth/register",
        data={
            "full_name": "Ivan Petrov",
            "phone": "90 123 45 67",
            "email": "ivan@example.uz",
            "password": "strong-pass-1",
            "confirm": "strong-pass-1",
        },
        headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.language)) == "ru"
    assert b'lang="ru"' in client.get("/dashboard").data


# --- sessions end with the password ---------------------------------------------------------
REMEMBER = "remember_token"


def _logged_in_client(app, email: str, remember: bool = False):
    c = app.test_client()
    data = {"login": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert c.post("/auth/login", data=data).status_code == 302
    return c


def _with_only_cookie(app, value: str):
    """A browser holding nothing but a remember-me cookie (its session has expired)."""
    c = app.test_client()
    c.set_cookie(REMEMBER, value)
    return c


def test_password_reset_ends_every_session_and_remember_cookie(app, user_factory):
    user = user_factory()
    laptop = _logged_in_client(app, user.email, remember=True)
    thief = _logged_in_client(app, user.email)
    remember_cookie = laptop.get_cookie(REMEMBER).value
    assert _with_only_cookie(app, remember_cookie).get("/dashboard").status_code == 200

    with app.app_context():
        token = make_reset_token(db.session.get(User, user.id))
    reset = app.test_client().post(
        f"/auth/reset-password/{token}",
        data={"password": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert reset.status_code == 302

    assert laptop.get("/dashboard").status_code == 302
    assert thief.get("/dashboard").status_code == 302
    assert _with_only_cookie(app, remember_cookie).get("/dashboard").status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(app, user_factory):
    user = user_factory()
    me = _logged_in_client(app, user.email, remember=True)
    other = _logged_in_client(app, user.email, remember=True)
    old_cookie = other.get_cookie(REMEMBER).value
    response = me.post(
        "/auth/account/password",
        data={"current": PASSWORD, "password": "another-pass", "confirm": "another-pass"},
    )
    assert response.status_code == 302
    assert me.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302
    assert _with_only_cookie(app, old_cookie).get("/dashboard").status_code == 302
    # This browser's remember-me cookie was renewed with the new password.
    assert (
        _with_only_cookie(app, me.get_cookie(REMEMBER).value).get("/dashboard").status_code == 200
    )


def test_a_bare_user_id_is_not_a_valid_session(app, user_factory):
    user = user_factory()
    c = app.test_client()
    with c.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert c.get("/dashboard").status_code == 302


# --- account page ------------------------------------------------------------------------------
def test_account_page_shows_the_phone_readably(client, app, user_factory, auth):
    user = user_factory(phone="+998901234567")
    auth.login(user.email)
    assert 'value="+998 90 123 45 67"' in client.get("/auth/account").data.decode()
    # A failed password change re-renders the profile form with the same readable number.
    bad = client.post(
        "/auth/account/password", data={"current": "nope", "password": "x", "confirm": "x"}
    )
    assert 'value="+998 90 123 45 67"' in bad.data.decode()
    saved = client.post(
        "/auth/account",
        data={"full_name": user.full_name, "phone": "+998 90 123 45 67", "language": "uz"},
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).phone == "+998901234567"


# --- reset mails: in the background, never in production logs ------------------------------
class _SlowInbox:
    """An SMTP handler that holds each message until released (a slow mail provider)."""

    def __init__(self):
        self.release = threading.Event()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        for _ in range(100):  # at most 10 s, then accept anyway
            if self.release.is_set():
                break
            await asyncio.sleep(0.1)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def slow_smtp(app):
    import socket

    from aiosmtpd.controller import Controller

    from extensions import mail

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "TASKS_EAGER")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    app.config["TASKS_EAGER"] = False  # the real in-process executor
    mail.init_app(app)
    yield inbox
    inbox.release.set()
    wait_all(app)
    controller.stop()
    app.config.update(saved)
    mail.init_app(app)


def test_forgot_password_answers_at_once_whether_or_not_the_account_exists(
    client, user_factory, app, slow_smtp
):
    user_factory(email="known@example.uz")
    timings = {}
    for email in ("known@example.uz", "nobody@example.uz"):
        started = time.monotonic()
        response = client.post("/auth/forgot-password", data={"login": email})
        timings[email] = time.monotonic() - started
        assert response.status_code == 302
    # The SMTP server is still holding the mail: neither answer waited for it.
    assert max(timings.values()) < 3, timings
    assert slow_smtp.messages == []
    slow_smtp.release.set()
    wait_all(app)
    assert len(slow_smtp.messages) == 1
    assert b"known@example.uz" in slow_smtp.messages[0]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def _mail_log():
    handler = _Records()
    logger = logging.getLogger("bilimbot.mail")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_without_smtp_development_logs_the_whole_mail(client, user_factory):
    assert DevelopmentConfig.MAIL_LOG_BODY is True  # `make run` shows the reset link
    user_factory(email="dev@example.uz")
    with _mail_log() as lines:
        client.post("/auth/forgot-password", data={"login": "dev@example.uz"})
    assert any("/auth/reset-password/" in line for line in lines)


def test_without_smtp_production_logs_recipient_and_subject_only(client, app, user_factory):
    assert ProductionConfig.MAIL_LOG_BODY is False
    user_factory(email="prod@example.uz", language="en")
    app.config["MAIL_LOG_BODY"] = False
    try:
        with _mail_log() as lines:
            client.post("/auth/forgot-password", data={"login": "prod@example.uz"})
    finally:
        app.config["MAIL_LOG_BODY"] = True
    assert len(lines) == 1 and "prod@example.uz" in lines[0]
    assert "reset-password" not in lines[0] and "Hello" not in lines[0]


# --- rate limits -------------------------------------------------------------------------------
@contextlib.contextmanager
def _limits_on(app):
    limiter.enabled = True
    try:
        yield app.test_client()
    finally:
        limiter.enabled = False
        limiter.reset()


def test_register_is_rate_limited(app):
    with _limits_on(app) as c:
        codes = [c.post("/auth/register", data={"email": "x"}).status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_password_reset_is_rate_limited(app, user_factory):
    user = user_factory()
    with app.app_context():
        token = make_reset_token(db.session.get(User, user.id))
    with _limits_on(app) as c:
        asks = [
            c.post("/auth/forgot-password", data={"login": "a@b.uz"}).status_code for _ in range(11)
        ]
        tries = [
            c.post(f"/auth/reset-password/{token}", data={"password": "x"}).status_code
            for _ in range(11)
        ]
    assert asks[:10] == [302] * 10 and asks[10] == 429
    assert tries[:10] == [200] * 10 and tries[10] == 429
