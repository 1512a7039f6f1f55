"""Issue 14, findings 2, 7, 9 and 12: security headers; no input gives a 500."""

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from wtforms.validators import ValidationError

from routes.security import CSP, relax_framing
from tests.factories import PASSWORD

OWNER_LANGUAGE = "en"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


# --- 2. headers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/auth/login", "/static/css/app.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP
    assert "'unsafe-inline'" not in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # not in development or tests


def test_admin_pages_cannot_be_framed(client, admin, user_factory):
    target = user_factory()
    response = client.get(f"/admin/users/{target.id}")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_hsts_in_production_only(app, client):
    from tests.engine_helpers import configured

    with configured(app, HSTS_ENABLED=True):
        hsts = client.get("/").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")


def test_production_config_turns_hsts_on():
    from config import DevelopmentConfig, ProductionConfig

    assert ProductionConfig.HSTS_ENABLED and not getattr(DevelopmentConfig, "HSTS_ENABLED", False)


def test_a_view_can_relax_framing_for_its_own_response(app):
    from routes.security import register

    demo = Flask("demo")
    register(demo)

    @demo.get("/widget")
    def widget():
        return relax_framing(demo.make_response("w"), "https://shop.example")

    response = demo.test_client().get("/widget")
    assert "frame-ancestors https://shop.example" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_templates_have_no_inline_script_style_or_handlers():
    """The CSP refuses them, so they would silently break in the browser."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style|\son[a-z]+=|style=\""
    )
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if "email" not in p.parts and inline.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- 7. bad input -----------------------------------------------------------------------------------
def test_nul_in_login_and_register_is_400(client):
    assert (
        client.post("/auth/login", data={"login": "a\x00@x.uz", "password": "p"}).status_code == 400
    )
    response = client.post(
        "/auth/register",
        data={"full_name": "A\x00", "email": "n@x.uz", "phone": "+998901112233",
              "password": PASSWORD, "confirm": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/conversations?q=%00", "/conversations?page=99999999999999999999"]
)
def test_owner_lists_with_nul_or_huge_page_are_400(client, owner, path):
    response = client.get(path)
    assert response.status_code == 400
    assert b"Traceback" not in response.data


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users?q=%00",
        "/admin/users?page=99999999999999999999",
        "/admin/conversations?q=%00",
        "/admin/logs?page=99999999999999999999",
        "/admin/logs?target=99999999999999999999999",
        "/admin/coupons?page=abc",
    ],
)
def test_admin_lists_with_bad_input_never_500(client, admin, path):
    assert client.get(path).status_code in (200, 400)


def test_the_400_page_is_translated(client):
    client.set_cookie("lang", "ru")
    ru = client.get("/?x=%00").data.decode()
    client.set_cookie("lang", "en")
    en = client.get("/?x=%00").data.decode()
    assert ru != en and 'lang="ru"' in ru


@pytest.mark.parametrize("body", [{"text": ["a"]}, {"text": 5}, [1, 2], "text", {"text": {"a": 1}}])
def test_test_chat_non_string_json_is_400(client, owner, body):
    response = client.post("/test-chat/send", json=body)
    assert response.status_code == 400 and "error" in response.json


@pytest.mark.parametrize("body", [{"code": ["X"]}, {"code": 7}, [1], "code", {"code": "A\x00B"}])
def test_coupon_check_with_odd_json_is_a_normal_answer(client, owner, body):
    response = client.post("/billing/coupon-check", json=body)
    assert response.status_code == 200 and response.json["valid"] is False


def test_nul_in_the_coupon_field_is_400(client, owner):
    response = client.post("/billing/coupon-check", data={"code": "SALE\x00"})
    assert response.status_code == 400


def test_deeply_nested_json_in_the_test_chat_is_400(client, owner):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/test-chat/send", data=body, content_type="application/json")
    assert response.status_code == 400


# --- 9. digits ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["100000000000001\n", "١٠٠٠٠٠٠٠٠٠٠٠٠٠١", "12345 "])
def test_meta_ids_must_be_ascii_digits_only(app, value):
    from forms.messaging import DIGITS

    class Field:
        data = value
        errors = ()

    with app.test_request_context():
        with pytest.raises(ValidationError):
            DIGITS(None, Field())
        Field.data = value.strip()[:3] if value.isascii() else "100"
        DIGITS(None, Field())  # plain ASCII digits pass


def test_telegram_token_with_a_trailing_newline_is_refused(app):
    from forms.messaging import TelegramForm

    token = "123456789:" + "A" * 35
    for value, ok in ((token, True), (token + "\n", False), ("١٢٣٤٥٦" + token[9:], False)):
        with app.test_request_context(method="POST", data={"token": value}):
            form = TelegramForm(meta={"csrf": False})
            form.validate()
            assert ("token" not in form.errors) is ok, value


def test_model_id_with_a_trailing_newline_is_refused(app):
    from forms.ai import MODEL_ID

    class Field:
        data = "gpt-6-luna\n"
        errors = ()

    with app.test_request_context(), pytest.raises(ValidationError):
        MODEL_ID(None, Field())


# --- 12. long file names --------------------------------------------------------------------------------
def test_a_pdf_with_a_300_character_name_keeps_its_type(app, ctx, user_factory):
    from werkzeug.datastructures import FileStorage

    from extensions import db
    from kb import service as kb_service
    from models.user import User

    user = db.session.get(User, user_factory().id)
    name = "narxlar-" + "x" * 300 + ".pdf"
    storage = FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename=name)
    kb = kb_service.accept_upload(user, storage)
    assert kb.file_type == "pdf"
    assert len(kb.original_name) == 255 and kb.original_name.endswith(".pdf")


def test_a_header_the_view_set_is_kept_whatever_its_case(app):
    from routes.security import register

    demo = Flask("demo")
    register(demo)

    @demo.get("/own")
    def own():
        response = demo.make_response("o")
        response.headers["referrer-policy"] = "no-referrer"
        return response

    response = demo.test_client().get("/own")
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == CSP


def test_the_session_signer_is_built_once_per_secret_key_and_a_rotation_is_honoured(app):
    from routes.security import SessionInterface

    sessions = SessionInterface()
    demo = Flask("demo")
    demo.secret_key = "k" * 40
    demo.session_interface = sessions

    @demo.get("/set")
    def set_value():
        from flask import session

        session["n"] = 7
        return "ok"

    @demo.get("/get")
    def get_value():
        from flask import session

        return str(session.get("n"))

    client = demo.test_client()
    client.get("/set")
    first = sessions.get_signing_serializer(demo)
    assert sessions.get_signing_serializer(demo) is first
    assert client.get("/get").text == "7"
    demo.secret_key = "r" * 40  # rotated, the old key kept as a fallback for a while
    demo.config["SECRET_KEY_FALLBACKS"] = ["k" * 40]
    assert sessions.get_signing_serializer(demo) is not first
    assert client.get("/get").text == "7"  # signed with the old key, still read
    demo.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/get").text == "None"  # the old key retired: the cookie is refused


@pytest.mark.parametrize("number", [2**31, 10**20])  # beyond INTEGER; beyond SQLite's 64 bits
def test_an_id_beyond_any_row_in_a_url_is_404_never_500(client, owner, admin, number):
    """Owner and admin pages alike (admin is logged in last): the router refuses the number."""
    for path in (f"/conversations/{number}", f"/admin/users/{number}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Traceback" not in response.data
