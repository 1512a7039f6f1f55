"""CSRF stays ON here: the admin's actions and the owner's banner dismissal need the token."""

import re

import pytest

from extensions import db
from main import create_app
from models.announcement import Announcement
from models.user import User
from tests.factories import PASSWORD, SuiteConfig


class _CsrfConfig(SuiteConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def csrf_app(app):
    return create_app(_CsrfConfig)


def _token(html: bytes) -> str:
    return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()


def _login(client, email: str) -> None:
    token = _token(client.get("/auth/login").data)
    response = client.post(
        "/auth/login", data={"csrf_token": token, "login": email, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_ban_without_the_token_is_refused_and_with_it_works(csrf_app, app, user_factory):
    admin = user_factory(is_admin=True, language="en")
    owner = user_factory()
    client = csrf_app.test_client()
    _login(client, admin.email)
    url = f"/admin/users/{owner.id}/ban"
    assert client.post(url, data={"reason": "spam"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, owner.id).banned_at is None
    token = _token(client.get(f"/admin/users/{owner.id}").data)
    assert client.post(url, data={"reason": "spam", "csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(User, owner.id).is_banned


def test_announcement_and_dismiss_need_the_token(csrf_app, app, user_factory):
    admin, owner = user_factory(is_admin=True), user_factory()
    admin_client, owner_client = csrf_app.test_client(), csrf_app.test_client()
    _login(admin_client, admin.email)
    data = {"subject_uz": "Salom", "body_uz": "Matn", "audience": "all"}
    assert admin_client.post("/admin/announcements", data=data).status_code == 400
    token = _token(admin_client.get("/admin/announcements").data)
    assert (
        admin_client.post("/admin/announcements", data=data | {"csrf_token": token}).status_code
        == 302
    )
    with app.app_context():
        announcement_id = db.session.query(Announcement.id).scalar()
    _login(owner_client, owner.email)
    dashboard = owner_client.get("/dashboard").data
    assert b"announcement-banner" in dashboard
    url = f"/announcements/{announcement_id}/dismiss"
    assert owner_client.post(url).status_code == 400
    assert owner_client.post(url, data={"csrf_token": _token(dashboard)}).status_code == 302
    assert b"announcement-banner" not in owner_client.get("/dashboard").data
