"""Shared fixtures: the app on a migrated test database, a client, an `auth` helper, factories,
and for browser tests a live server plus Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from commands.db import rebuild_database
from config import TestingConfig, normalize_db_url
from extensions import db
from main import create_app
from models.base import utcnow
from models.user import User

# Fake Telegram/Graph servers (fixtures `tg_server`, `graph_server`, `fakes`).
pytest_plugins = ["tests.channel_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
_TMP = Path(tempfile.mkdtemp(prefix="bilimbot-tests-"))
PASSWORD = "correct-horse-42"


def _database_url() -> str:
    # A file, not :memory:, so the live server's threads see the same database.
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_db_url(url) if url else f"sqlite:///{_TMP / 'test.db'}"


class _TestConfig(TestingConfig):
    SQLALCHEMY_DATABASE_URI = _database_url()
    UPLOAD_DIR = str(_TMP / "uploads")
    INSTANCE_DIR = str(_TMP)


@pytest.fixture(scope="session")
def app():
    app = create_app(_TestConfig)
    with app.app_context():
        rebuild_database()
    yield app
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Each test starts with empty tables (cheaper than re-migrating)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    upload_dir = Path(app.config["UPLOAD_DIR"])
    if upload_dir.exists():
        shutil.rmtree(upload_dir, ignore_errors=True)


@pytest.fixture
def ctx(app):
    """An application context for tests that use models directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -------------------------------------------------------------------------------
_counter = iter(range(1, 10**6))


def make_user(
    *,
    name: str = "Aziza Karimova",
    email: str | None = None,
    phone: str | None = None,
    password: str = PASSWORD,
    language: str = "uz",
    status: str = "trial",
    is_admin: bool = False,
) -> User:
    """Create and commit a user in the given status (needs an app context)."""
    n = next(_counter)
    now = utcnow()
    user = User(
        full_name=name,
        email=(email or f"owner{n}@example.uz").lower(),
        phone=phone or f"+99890{n:07d}",
        language=language,
        is_admin=is_admin,
        created_at=now - timedelta(days=10),
        trial_ends_at=now + timedelta(days=2) if status == "trial" else now - timedelta(days=1),
    )
    if status == "paid":
        user.plan, user.plan_expires_at = "monthly", now + timedelta(days=20)
    if status == "banned":
        user.ban("spam")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def user_factory(app):
    def factory(**kwargs) -> User:
        with app.app_context():
            user = make_user(**kwargs)
            db.session.refresh(user)  # load every column before detaching it from the session
            db.session.expunge(user)
            return user

    return factory


class AuthActions:
    """Log in and out through the real forms, as flaskr's conftest does."""

    def __init__(self, client):
        self._client = client

    def login(self, login: str, password: str = PASSWORD, follow: bool = False):
        return self._client.post(
            "/auth/login", data={"login": login, "password": password}, follow_redirects=follow
        )

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def owner(request, user_factory, auth):
    """A logged-in owner on a running trial; a module sets OWNER_LANGUAGE = "en" to read English."""
    user = user_factory(language=getattr(request.module, "OWNER_LANGUAGE", "uz"))
    auth.login(user.email)
    return user


@pytest.fixture
def admin(user_factory, auth):
    """A logged-in platform admin."""
    user = user_factory(name="Admin", is_admin=True)
    auth.login(user.email)
    return user


# --- browser tests ---------------------------------------------------------------------------
class _ServerThread(threading.Thread):
    def __init__(self, app):
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def run(self) -> None:
        self.server.serve_forever()


@pytest.fixture(scope="session")
def live_server(app):
    server = _ServerThread(app)
    server.start()
    yield server
    server.server.shutdown()


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None  # Playwright's own chromium (`playwright install chromium`)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium_path(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) whose page knows the live server's base URL."""
    context = browser.new_context(
        base_url=live_server.url, locale="uz-UZ", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_menu(page, toggle: str) -> None:
    """Open a navbar dropdown once Bootstrap is listening.

    After a form posts and the browser lands on a new page, the navbar exists before the
    scripts at the end of <body> have run; a click in that gap opens nothing.  Waiting for
    the load event, and then for the menu itself, makes the click count.
    """
    page.wait_for_load_state("load")
    page.locator(f"#{toggle}").click()
    expect(page.locator(f"[aria-labelledby={toggle}]")).to_be_visible()


def switch_language(page, lang: str) -> None:
    """Choose a language in the navbar switcher and wait for the page to come back in it."""
    open_menu(page, "lang-menu")
    page.locator(f"button[data-lang={lang}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


# --- e-mail ----------------------------------------------------------------------------------
class _Inbox:
    """Messages received by the local SMTP server, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on 127.0.0.1; Flask-Mail is pointed at it for the test."""
    import socket

    from aiosmtpd.controller import Controller

    from extensions import mail

    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {
        k: app.config.get(k)
        for k in (
            "MAIL_SERVER",
            "MAIL_PORT",
            "MAIL_USE_TLS",
            "MAIL_USE_SSL",
            "MAIL_SUPPRESS_SEND",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
        )
    }
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_SUPPRESS_SEND=False,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
    )
    mail.init_app(app)  # Flask-Mail reads its settings when initialised
    yield inbox
    controller.stop()
    app.config.update(saved)
    mail.init_app(app)
