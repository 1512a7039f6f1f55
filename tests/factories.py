"""What test modules share: the suite's configuration, a password, a user factory and the `auth`
helper (imported by tests/conftest.py and by any test module that needs them)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from config import TestingConfig, normalize_db_url
from extensions import db
from models.base import utcnow
from models.user import User

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="bilimbot-tests-"))
PASSWORD = "correct-horse-42"


def _database_url() -> str:
    # A file, not :memory:, so the live server's threads see the same database.
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_db_url(url) if url else f"sqlite:///{TMP / 'test.db'}"


class SuiteConfig(TestingConfig):
    """TestingConfig on the suite's own temporary database and upload folder."""

    SQLALCHEMY_DATABASE_URI = _database_url()
    UPLOAD_DIR = str(TMP / "uploads")
    INSTANCE_DIR = str(TMP)


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
