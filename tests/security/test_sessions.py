"""Issue 14, findings 1, 5, 6 and 11: revocable sessions, login throttles, timing, reset tokens."""

import pytest
from itsdangerous import URLSafeTimedSerializer

from extensions import db, limiter
from models.user import User, make_reset_token, user_from_reset_token
from tests.factories import PASSWORD, ROOT

OWNER_LANGUAGE = "en"


def _copy_cookies(source, target):
    """A stolen cookie jar: every cookie of `source` set on `target`."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain)


# --- 1. logout, log out everywhere, ban ----------------------------------------------------------
def test_a_copied_session_cookie_is_dead_after_logout(app, client, auth, owner):
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert thief.get("/dashboard").status_code == 200
    auth.logout()
    assert thief.get("/dashboard").status_code == 302  # to the login page


def test_a_copied_remember_cookie_is_dead_after_logout(app, client, user_factory):
    user = user_factory()
    client.post("/auth/login", data={"login": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None
    thief = app.test_client()  # no session: only the 365-day remember-me cookie
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/dashboard").status_code == 200
    client.post("/auth/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/dashboard").status_code == 302


def test_log_out_on_other_devices_keeps_this_browser(app, client, auth, owner):
    other = app.test_client()
    other.post("/auth/login", data={"login": owner.email, "password": PASSWORD})
    assert other.get("/dashboard").status_code == 200
    client.set_cookie("lang", "en")
    page = client.get("/auth/account").data.decode()
    assert "Log out on all other devices" in page
    response = client.post("/auth/account/sessions/end", follow_redirects=True)
    assert "You have been logged out on all other devices." in response.data.decode()
    assert client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302


@pytest.mark.parametrize("lang,words", [("ru", "Выйти на всех других"), ("uz", "qurilmalarda")])
def test_the_sessions_button_is_translated(client, auth, user_factory, lang, words):
    auth.login(user_factory(language=lang).email)
    client.set_cookie("lang", lang)
    assert words in client.get("/auth/account").data.decode()


def test_an_unbanned_owners_old_sessions_stay_dead(app, client, auth, owner):
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        user = db.session.get(User, owner.id)
        user.ban("spam")
        db.session.commit()
        user.unban()
        db.session.commit()
    assert client.get("/dashboard").status_code == 302
    auth.login(owner.email)  # a new login works again
    assert client.get("/dashboard").status_code == 200


def test_the_session_generation_is_part_of_the_id(ctx, user_factory):
    user = db.session.get(User, user_factory().id)
    before = user.get_id()
    assert User.from_session_id(before) is user
    user.end_sessions()
    assert user.get_id() != before and User.from_session_id(before) is None
    assert User.from_session_id("١:abc") is None  # Arabic-Indic digit: no int(), no 500


# --- 5. throttles ----------------------------------------------------------------------------------
@pytest.fixture
def limited(app):
    """An app built with the limiter on: Flask-Limiter registers the after-request hook that
    counts failures (deduct_when) only in an app where it starts enabled."""
    from main import create_app
    from tests.factories import SuiteConfig as _TestConfig

    class Limited(_TestConfig):
        RATELIMIT_ENABLED = True
        AUTH_RATE_LIMIT = "1000 per minute"
        LOGIN_ACCOUNT_RATE_LIMIT = "3 per minute"
        REGISTER_RATE_LIMIT = "2 per hour"

    try:
        yield create_app(Limited)
    finally:
        limiter.reset()
        limiter.enabled = False


def test_failed_logins_are_throttled_per_account_whatever_the_address(user_factory, limited):
    app = limited
    user = user_factory()
    for n in range(3):
        client = app.test_client()  # a new client address each time does not help
        bad = client.post(
            "/auth/login",
            data={"login": user.email.upper(), "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
        assert bad.status_code == 200
    blocked = app.test_client().post(
        "/auth/login",
        data={"login": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert blocked.status_code == 429
    other = user_factory()  # another account is not affected
    ok = app.test_client().post("/auth/login", data={"login": other.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_successful_logins_do_not_count_against_the_account(user_factory, limited):
    app = limited
    user = user_factory()
    for _ in range(5):
        client = app.test_client()
        assert (
            client.post("/auth/login", data={"login": user.email, "password": PASSWORD}).status_code
            == 302
        )


def _register(client, n):
    return client.post(
        "/auth/register",
        data={
            "full_name": "Yangi Egasi",
            "email": f"new{n}@example.uz",
            "phone": f"+99893{n:07d}",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "accept": "y",
        },
    )


def test_registration_is_rate_limited_per_address(limited):
    codes = [_register(limited.test_client(), n).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_rate_limits_use_redis_when_redis_url_is_set():
    """Even with the empty RATELIMIT_STORAGE_URI= line copied from .env.example (a fresh
    interpreter: config is read at import)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": "redis://cache:6379/0", "RATELIMIT_STORAGE_URI": ""}
    out = subprocess.run(
        [sys.executable, "-c", "import config; print(config.Config.RATELIMIT_STORAGE_URI)"],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    assert out == "redis://cache:6379/0"


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy():
    from core.proxy import TrustedProxyFix

    seen = []

    def inner(environ, start_response):
        seen.append(environ["REMOTE_ADDR"])
        return []

    wrapped = TrustedProxyFix(inner, 1, "10.0.0.0/8")
    for peer in ("10.1.2.3", "203.0.113.9"):
        wrapped({"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, None)
    assert seen == ["1.2.3.4", "203.0.113.9"]  # a direct caller keeps its own address


# --- 6. timing --------------------------------------------------------------------------------------
def test_an_unknown_login_still_verifies_a_password_hash(app, ctx, monkeypatch):
    import models.user as users

    calls = []

    class Counting:
        def __init__(self, hasher):
            self.hasher = hasher

        def hash(self, password):
            return self.hasher.hash(password)

        def verify(self, hashed, password):
            calls.append(hashed)
            return self.hasher.verify(hashed, password)

    real = users._hasher
    monkeypatch.setattr(users, "_hasher", lambda: Counting(real()))
    assert User.authenticate("nobody@example.uz", "whatever") is None
    assert len(calls) == 1 and calls[0].startswith("$argon2")


# --- 11. reset tokens ---------------------------------------------------------------------------------
def test_a_reset_token_shows_nothing_of_the_password_hash(app, ctx, user_factory):
    user = db.session.get(User, user_factory().id)
    token = make_reset_token(user)
    data = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset").loads(token)
    assert set(data) == {"id", "t"}
    assert user.password_hash[-16:] not in token and data["t"] not in user.password_hash
    assert user_from_reset_token(token) is user
    user.set_password("another-password-1")
    assert user_from_reset_token(token) is None  # single use: the password changed


def test_a_forged_reset_token_with_the_hash_tail_is_refused(app, ctx, user_factory):
    user = db.session.get(User, user_factory().id)
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset")
    old_style = serializer.dumps({"id": user.id, "h": user.password_hash[-16:]})
    assert user_from_reset_token(old_style) is None
    assert user_from_reset_token(serializer.dumps({"id": True, "t": "x"})) is None


def test_platform_deliveries_are_never_rate_limited():
    """The webhooks bypass the limiter (a request filter answers before any limit is resolved)
    even under a default limit that every other request counts against."""
    from main import create_app
    from tests.factories import SuiteConfig

    class DefaultLimit(SuiteConfig):
        RATELIMIT_ENABLED = True
        RATELIMIT_DEFAULT = "2 per minute"

    try:
        client = create_app(DefaultLimit).test_client()
        pages = [client.get("/auth/login").status_code for _ in range(3)]
        assert pages[-1] == 429  # the default limit is in force
        hooks = {client.post("/whatsapp/webhook", data=b"{}").status_code for _ in range(10)}
        assert 429 not in hooks
    finally:
        limiter.reset()
