"""Fake Telegram and Graph API servers wired into the app, for the channel and admin tests.

Loaded for every test module by `pytest_plugins` in tests/conftest.py.
"""

import json

import pytest
from sqlalchemy import select

from extensions import db
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from tests.engine_helpers import add_kb, configured
from tests.fakes import graph as g
from tests.fakes.gemini import DEFAULT_KEY as GEMINI_KEY
from tests.fakes.gemini import FakeGemini
from tests.fakes.graph import FakeGraph
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456789:AAH-test-token-abcdefghijklmnopqrstuvw"
WA_TOKEN = "EAAG-whatsapp-system-user-token-0000000000"
IG_TOKEN = "EAAG-instagram-page-token-000000000000000"
APP_SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def tg_server():
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="module")
def graph_server():
    with FakeGraph() as server:
        yield server


@pytest.fixture
def gemini(app):
    """A fake Gemini with the platform key pointed at it (a module may define its own)."""
    with (
        FakeGemini() as server,
        configured(
            app, GEMINI_API_KEY=GEMINI_KEY, GEMINI_BASE_URL=server.url, AI_TIMEOUT_SECONDS=1.0
        ),
    ):
        yield server


@pytest.fixture
def fakes(app, tg_server, graph_server):
    """Both fakes, reset, knowing one bot, one WhatsApp number and one Instagram account."""
    tg_server.reset()
    graph_server.reset()
    tg_server.add_bot(TOKEN, 987654321, "gullar_shop_bot")
    graph_server.add_whatsapp_number(g.DEFAULT_PHONE_NUMBER_ID, WA_TOKEN)
    graph_server.add_instagram_account(g.DEFAULT_IG_ACCOUNT_ID, IG_TOKEN)
    with configured(
        app,
        TELEGRAM_API_BASE=tg_server.url,
        GRAPH_API_BASE=graph_server.url,
        INSTAGRAM_API_BASE=graph_server.url,
    ):
        yield tg_server, graph_server


def connect_all(user_id: int) -> None:
    """Connect all three channels for an owner, as the fakes know them (needs an app context)."""
    bot = TelegramBot(user_id=user_id, bot_id="987654321", username="gullar_shop_bot")
    bot.set_token(TOKEN)
    wa = WhatsAppAccount(
        user_id=user_id,
        phone_number_id=g.DEFAULT_PHONE_NUMBER_ID,
        waba_id="1",
        app_id="2",
        verify_token="verify-wa-123",
    )
    wa.set_secrets(WA_TOKEN, APP_SECRET)
    ig = InstagramAccount(
        user_id=user_id,
        ig_account_id=g.DEFAULT_IG_ACCOUNT_ID,
        verify_token="verify-ig-456",
        username="gullar.uz",
    )
    ig.set_secrets(IG_TOKEN, APP_SECRET)
    bot.record_check(True, "getMe ok")
    wa.record_check(False, "Graph 190: access token expired")
    db.session.add_all([bot, wa, ig])
    db.session.commit()


@pytest.fixture
def shop(app, owner):
    """An owner with a knowledge base and all three channels connected."""
    with app.app_context():
        add_kb(owner.id)
        connect_all(owner.id)
        secret = db.session.scalar(
            select(TelegramBot).where(TelegramBot.user_id == owner.id)
        ).secret_token
    owner.telegram_secret = secret
    return owner


def tg_post(client, user_id, update, secret):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return client.post(
        f"/telegram/webhook/{user_id}",
        data=json.dumps(update),
        content_type="application/json",
        headers=headers,
    )


def meta_post(client, platform, payload, secret=APP_SECRET):
    body, headers = g.signed(payload, secret)
    return client.post(
        f"/{platform}/webhook", data=body, headers={**headers, "Content-Type": "application/json"}
    )


def meta_post_raw(client, platform, body: bytes):
    """Post raw bytes (valid JSON or not), correctly signed with the tenant's app secret."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": g.sign(body, APP_SECRET)}
    return client.post(f"/{platform}/webhook", data=body, headers=headers)
