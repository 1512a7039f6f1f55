"""Issue 14, findings 3, 8 and 10: webhook bodies capped and checked before heavy work, hostile
content never a 500 and never costing the good messages of a batch."""

import json
import logging

import pytest
from sqlalchemy import event, func, select

from extensions import db
from main import create_app
from models.conversation import Message
from tests.channel_fixtures import APP_SECRET, tg_post
from tests.engine_helpers import configured
from tests.fakes import graph as g
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"


def _post(client, platform, body: bytes, secret=APP_SECRET):
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": g.sign(body, secret)}
    return client.post(f"/{platform}/webhook", data=body, headers=headers)


@pytest.fixture
def app_log(caplog):
    """The app's own log ("bilimbot" does not propagate to the root logger caplog listens on)."""
    logger = logging.getLogger("bilimbot")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def _inbound_texts(app):
    with app.app_context():
        return sorted(
            db.session.scalars(select(Message.text).where(Message.direction == "in")).all()
        )


# --- 3. size and ids --------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["whatsapp", "instagram"])
def test_a_body_over_the_cap_is_413_before_any_lookup(app, client, fakes, shop, platform):
    body = json.dumps({"object": "x", "entry": [{"id": str(i)} for i in range(300)]}).encode()
    with configured(app, WEBHOOK_MAX_BYTES=1024):
        queries = []
        with app.app_context():
            listener = lambda *a, **k: queries.append(a[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = _post(client, platform, body)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 413
    assert not [q for q in queries if "accounts" in q]


def test_a_telegram_body_over_the_cap_is_413(app, client, fakes, shop):
    update = t.telegram_text_update("x" * 5000)
    with configured(app, WEBHOOK_MAX_BYTES=1024):
        assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 413


def test_the_default_cap_is_one_megabyte(app):
    assert app.config["WEBHOOK_MAX_BYTES"] == 1024 * 1024


def test_an_instagram_body_naming_thousands_of_accounts_is_400_without_lookups(
    app, client, fakes, shop
):
    body = json.dumps(
        {"object": "instagram", "entry": [{"id": str(10**15 + i)} for i in range(5000)]}
    ).encode()
    queries = []
    with app.app_context():
        listener = lambda *a, **k: queries.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.post("/instagram/webhook", data=body, content_type="application/json")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 400
    assert queries == []


# --- 8. hostile content -------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["whatsapp", "instagram"])
def test_deeply_nested_json_is_400_not_500(client, fakes, shop, platform):
    body = b"[" * 100_000 + b"]" * 100_000
    assert _post(client, platform, body).status_code == 400


def test_a_nul_in_one_whatsapp_message_costs_neither_it_nor_the_other(app, client, fakes, shop):
    bad = g.whatsapp_text_payload("Narx\x00lar qancha?", wa_id="998901111111")
    good = g.whatsapp_text_payload("Yetkazib berish bormi?", wa_id="998902222222")
    body = json.dumps(g.whatsapp_batch(bad, good)).encode()
    assert _post(client, "whatsapp", body).status_code == 200
    assert _inbound_texts(app) == ["Narxlar qancha?", "Yetkazib berish bormi?"]


def test_a_telegram_text_with_nul_is_stored_without_it(app, client, fakes, shop):
    update = t.telegram_text_update("Salom\x00 narx?", chat_id=777)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert _inbound_texts(app) == ["Salom narx?"]


def test_a_300_digit_chat_id_is_ignored_and_logs_no_sql(app, client, fakes, shop, app_log):
    update = t.telegram_text_update("Salom", chat_id=int("9" * 300))
    response = tg_post(client, shop.id, update, shop.telegram_secret)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert "9" * 100 not in app_log.text and "SQL" not in app_log.text


def test_a_huge_text_is_clamped_not_refused(app, client, fakes, shop):
    update = t.telegram_text_update("narx " * 4000, chat_id=778)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    (text,) = _inbound_texts(app)
    assert 0 < len(text) <= 8192


def test_a_database_error_logs_no_values(app_log):
    """SQLAlchemy hides bound parameters (hide_parameters); PostgreSQL's own message can still
    quote the failing line with the values in it, so the 500 handler logs its first line only."""
    from sqlalchemy import text

    from tests.factories import SuiteConfig as _TestConfig

    boom_app = create_app(_TestConfig)
    logging.getLogger("bilimbot").addHandler(app_log.handler)  # create_app reset the handlers

    @boom_app.get("/boom")
    def boom():
        value = "-".join(("customer", "secret", str(6 * 7)))  # not in this source line
        db.session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": value})

    response = boom_app.test_client().get("/boom")
    assert response.status_code == 500
    assert "no_such_table" in app_log.text and "customer-secret-42" not in app_log.text


# --- 10. verification handshake -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "platform,token", [("whatsapp", "verify-wa-123"), ("instagram", "verify-ig-456")]
)
def test_the_handshake_echoes_digits_only_as_utf8_text(client, fakes, shop, platform, token):
    base = f"/{platform}/webhook?hub.mode=subscribe&hub.verify_token={token}"
    ok = client.get(f"{base}&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.data == b"1158201444"
    assert ok.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    html = client.get(f"{base}&hub.challenge=%3Cscript%3Ealert(1)%3C/script%3E")
    assert html.status_code == 400 and b"<script>" not in html.data
