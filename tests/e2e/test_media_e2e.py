"""In a real browser: a customer's Telegram voice note arrives (fake Telegram serves the file,
fake Gemini transcribes it), and the owner (Russian UI, desktop) and the admin (Uzbek UI, on a
phone) read the transcript under its "voice" marker next to the bot's answer."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models.channel import TelegramBot
from models.conversation import Conversation
from tests.channel_fixtures import connect_all, tg_post
from tests.e2e.browser import screenshot
from tests.engine_helpers import KB_TEXT, add_kb
from tests.factories import PASSWORD
from tests.fakes import telegram as t
from tests.fakes.media_files import ogg_opus

pytestmark = pytest.mark.e2e
NO_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
SPOKEN = "Сколько стоит доставка по Ташкенту?"
ANSWER = "Доставка по Ташкенту стоит 15 000 сумов."


def _login(page, email: str, lang: str, landing: str):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": "http://127.0.0.1"}])
    page.goto("/auth/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(landing))


@pytest.fixture
def voice_conversation(app, fakes, gemini, user_factory):
    """A Russian-speaking owner whose customer sent a voice note, transcribed and answered."""
    tg, _ = fakes
    owner = user_factory(language="ru")
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
        connect_all(owner.id)
        secret = db.session.scalar(select(TelegramBot)).secret_token
    tg.add_file("AwAC-e2e", ogg_opus(5))
    gemini.media_text, gemini.reply_text = SPOKEN, ANSWER
    update = t.telegram_media_update("voice", chat_id=7001, file_id="AwAC-e2e")
    assert tg_post(app.test_client(), owner.id, update, secret).status_code == 200
    assert tg.sent_texts(chat_id=7001) == [ANSWER]
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    return owner, conv_id


def test_the_owner_reads_the_voice_note_russian_ui(page, voice_conversation):
    owner, conv_id = voice_conversation
    _login(page, owner.email, "ru", r"/dashboard$")
    page.goto(f"/conversations/{conv_id}")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    heard = page.locator("#message-list .bubble-in")
    expect(heard).to_have_count(1)
    expect(heard.locator(".media-marker")).to_have_text("Голосовое сообщение")
    expect(heard.locator(".transcript")).to_have_text(SPOKEN)
    expect(page.locator("#message-list .bubble-out")).to_have_text(ANSWER)
    screenshot(page, "voice-note-owner-ru")


def test_the_admin_reads_the_voice_note_on_a_phone_uzbek_ui(page, app, voice_conversation,
                                                            user_factory):  # fmt: skip
    _, conv_id = voice_conversation
    admin = user_factory(name="Admin", is_admin=True, language="uz")
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, admin.email, "uz", r"/admin")
    page.goto(f"/admin/conversations/{conv_id}")
    expect(page.locator("html")).to_have_attribute("lang", "uz")
    row = page.locator("#messages-table tr[data-status=answered]").first
    expect(row.locator(".media-marker")).to_have_text("Ovozli xabar")
    expect(row.locator(".transcript")).to_have_text(SPOKEN)
    expect(page.locator("#messages-table")).to_contain_text(ANSWER)
    assert page.evaluate(NO_SCROLL)
    screenshot(page, "voice-note-admin-uz-phone")


def test_the_owner_page_fits_a_phone_english_ui(page, app, voice_conversation):
    owner, conv_id = voice_conversation
    with app.app_context():
        db.session.get(type(owner), owner.id).language = "en"
        db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, owner.email, "en", r"/dashboard$")
    page.goto(f"/conversations/{conv_id}")
    expect(page.locator("#message-list .media-marker")).to_have_text("Voice message")
    expect(page.locator("#message-list .transcript")).to_have_text(SPOKEN)
    assert page.evaluate(NO_SCROLL)
