"""CSRF stays ON in this module: every state-changing form needs the token; webhooks do not."""

import re

import pytest

from config import TestingConfig
from main import create_app
from tests.factories import SuiteConfig


class _CsrfConfig(SuiteConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def csrf_client(app):
    csrf_app = create_app(_CsrfConfig)
    return csrf_app.test_client()


def _token(html: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()


def test_register_without_token_is_refused(csrf_client):
    csrf_client.set_cookie("lang", "en")
    response = csrf_client.post("/auth/register", data={"full_name": "X", "phone": "901234567"})
    assert response.status_code == 400
    assert b"The form has expired" in response.data


def test_login_and_language_switch_without_token_are_refused(csrf_client):
    assert (
        csrf_client.post("/auth/login", data={"login": "a@b.uz", "password": "x"}).status_code
        == 400
    )
    assert csrf_client.post("/language", data={"lang": "ru"}).status_code == 400


def test_forms_work_with_the_token(csrf_client, app):
    page = csrf_client.get("/auth/register")
    token = _token(page.data)
    response = csrf_client.post(
        "/auth/register",
        data={
            "csrf_token": token,
            "full_name": "Nodira Ergasheva",
            "phone": "+998 97 555 44 33",
            "email": "nodira@example.uz",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    assert response.status_code == 302
    dashboard = csrf_client.get("/dashboard")
    logout_token = (
        re.search(rb'name="csrf_token" value="([^"]+)"', dashboard.data).group(1).decode()
    )
    assert csrf_client.post("/auth/logout").status_code == 400
    assert csrf_client.post("/auth/logout", data={"csrf_token": logout_token}).status_code == 302


def test_testing_config_disables_csrf_only_for_other_modules():
    assert TestingConfig.WTF_CSRF_ENABLED is False
    assert _CsrfConfig.WTF_CSRF_ENABLED is True


def test_owner_answer_forms_need_the_token(csrf_client):
    page = csrf_client.get("/auth/register")
    csrf_client.post(
        "/auth/register",
        data={
            "csrf_token": _token(page.data),
            "full_name": "Nodira Ergasheva",
            "phone": "+998 97 555 44 34",
            "email": "nodira2@example.uz",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    data = {"question": "Kredit bormi?", "answer": "Ha."}
    assert csrf_client.post("/knowledge-base/answers/new", data=data).status_code == 400
    form = csrf_client.get("/knowledge-base/answers/new")
    data["csrf_token"] = _token(form.data)
    assert csrf_client.post("/knowledge-base/answers/new", data=data).status_code == 302
