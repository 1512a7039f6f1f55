"""Shared fixtures: the app on a migrated test database, a client, an `auth` helper, users, and a
local SMTP server. Factories and constants live in tests/factories.py; browser fixtures in
tests/e2e/conftest.py (so these tests never import Playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from commands.db import rebuild_database
from extensions import db
from main import create_app
from models.user import User
from tests.factories import TMP, AuthActions, SuiteConfig, make_user

# Fake Telegram/Graph servers (fixtures `tg_server`, `graph_server`, `fakes`).
pytest_plugins = ["tests.channel_fixtures"]


@pytest.fixture(scope="session")
def app():
    app = create_app(SuiteConfig)
    with app.app_context():
        rebuild_database()
    yield app
    shutil.rmtree(TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Each test starts with empty tables (cheaper than re-migrating)."""
    yield
    from models.ai_config import forget_kept
    from models.ai_usage import forget_counted
    from pipeline import accounts

    accounts.forget_all()  # ids are reused once the tables are emptied
    forget_kept()  # the answering side's settings and count: the tables are emptied
    forget_counted()
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from pipeline.dispatch import stop_dispatcher

    # A test that started one must not leave its threads answering: the next test's rows reuse
    # the same ids (SQLite), and a leftover thread would answer them alongside that test.
    stop_dispatcher(app)
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


# --- users -----------------------------------------------------------------------------------
@pytest.fixture
def user_factory(app):
    def factory(**kwargs) -> User:
        with app.app_context():
            user = make_user(**kwargs)
            db.session.refresh(user)  # load every column before detaching it from the session
            db.session.expunge(user)
            return user

    return factory


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
