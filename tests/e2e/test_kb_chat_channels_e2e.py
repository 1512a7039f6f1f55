"""In a real browser: the knowledge-base page (Russian UI), the test chat (Uzbek question) and a
Telegram bot connected against the fake Bot API with a customer message seen on Conversations."""

import io
import json
import re
import time

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.e2e.browser import screenshot
from tests.engine_helpers import KB_TEXT, configured
from tests.factories import PASSWORD
from tests.fakes import telegram as t
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e
TOKEN = "123456789:AAH-e2e-token-abcdefghijklmnopqrstuvwxy"


def _login(page, user, lang: str):
    page.context.add_cookies(
        [
            {
                "name": "lang",
                "value": lang,
                "url": page.url if page.url.startswith("http") else "http://127.0.0.1",
            }
        ]
    )
    page.goto("/auth/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def _docx(tmp_path) -> str:
    doc = Document()
    doc.add_paragraph("Прайс-лист магазина цветов")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Товар", "Цена"
    for name, price in (
        ("Розы", "25 000 сум"),
        ("Тюльпаны", "12 000 сум"),
        ("Доставка", "15 000 сум"),
    ):
        row = table.add_row().cells
        row[0].text, row[1].text = name, price
    path = tmp_path / "Прайс цветы.docx"
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(buf.getvalue())
    return str(path)


def test_upload_docx_in_russian_see_progress_preview_search_delete(page, user_factory, tmp_path):
    user = user_factory(language="ru")
    _login(page, user, "ru")
    page.goto("/knowledge-base/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#kb-empty")).to_be_visible()

    # Hold the first status poll for a moment so the processing state can be seen.
    def slow_status(route):
        time.sleep(0.8)
        route.continue_()

    page.route(re.compile(r".*/uploads/\d+/status$"), slow_status)
    page.set_input_files("#file", _docx(tmp_path))
    expect(page.locator("#chosen-file")).to_have_text("Прайс цветы.docx")
    page.locator("#upload-button").click()
    expect(page.locator("#upload-progress .progress-bar")).to_have_text("100%")
    expect(page.locator("#upload-status")).not_to_be_empty()
    expect(page.locator("#kb-name")).to_have_text("Прайс цветы.docx", timeout=20000)
    expect(page.locator("#kb-preview")).to_contain_text("Товар: Розы | Цена: 25 000 сум")
    screenshot(page, "kb-ru")

    page.fill("#q", "сколько стоят тюльпаны")
    page.locator("#search-form button").click()
    expect(page.locator("#search-results")).to_contain_text("Тюльпаны")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#kb-details form[data-confirm] button").click()
    expect(page.locator("#kb-empty")).to_be_visible()


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_test_chat_answers_an_uzbek_question_from_an_uploaded_txt(
    page, user_factory, tmp_path, lang
):
    user = user_factory(language=lang)
    _login(page, user, lang)
    page.goto("/knowledge-base/")
    path = tmp_path / "savollar.txt"
    path.write_text(KB_TEXT, encoding="utf-8")
    page.set_input_files("#file", str(path))
    page.locator("#upload-button").click()
    expect(page.locator("#kb-name")).to_have_text("savollar.txt", timeout=20000)

    page.goto("/dashboard")
    page.fill("#chat-input", "Yetkazib berish narxi qancha?")
    page.locator("#chat-send").click()
    answer = page.locator("#chat-window .bubble-out").last
    expect(answer).to_contain_text("15 000 so‘m")
    expect(page.locator("#chat-window details.sources")).to_have_count(1)
    screenshot(page, f"test-chat-{lang}")
    page.locator("#chat-reset").click()
    expect(page.locator("#chat-window .bubble")).to_have_count(0)


def test_connect_telegram_and_see_a_customer_conversation(page, app, client, user_factory):
    user = user_factory(language="en")
    with FakeTelegram() as tg, configured(app, TELEGRAM_API_BASE=tg.url):
        tg.add_bot(TOKEN, 555111222, "flowers_uz_bot")
        _login(page, user, "en")
        page.goto("/channels")
        page.fill("#token", TOKEN)
        page.select_option("#default_language", "uz")
        page.locator("#telegram-form button[type=submit]").click()
        expect(page.locator("#telegram-username")).to_have_text("@flowers_uz_bot")
        expect(page.locator("#telegram-health")).to_be_visible()
        screenshot(page, "channels-en")

        secret = tg.webhook(TOKEN).secret_token
        update = t.telegram_text_update(
            "Salom! Ish vaqtingiz qanday?", chat_id=9001, first_name="Madina"
        )
        response = client.post(
            f"/telegram/webhook/{user.id}",
            data=json.dumps(update),
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )
        assert response.status_code == 200
        assert len(tg.sent_messages(chat_id=9001)) == 1

        page.goto("/conversations")
        page.get_by_text("Madina").click()
        messages = page.locator("#message-list .bubble")
        expect(messages).to_have_count(2)
        expect(messages.first).to_have_text("Salom! Ish vaqtingiz qanday?")
        expect(messages.last).to_have_text(tg.sent_messages(chat_id=9001)[0]["text"])
