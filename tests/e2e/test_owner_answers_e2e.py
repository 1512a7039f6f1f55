"""In a real browser: the owner corrects an answer in the test chat (Russian UI), the customer asks
again in Uzbek Latin and gets the correction; a knowledge gap appears on the knowledge-base page
and is resolved with "Add an answer"; the pages fit a phone (Uzbek UI)."""

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models.owner_answer import KnowledgeGap, OwnerAnswer
from tests.e2e.browser import screenshot
from tests.engine_helpers import KB_TEXT, add_answered_conversation, add_kb
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
CORRECTED = "Доставка по Ташкенту — 20 000 сум, по области — 35 000 сум."
NO_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _login(page, user, lang: str):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": "http://127.0.0.1"}])
    page.goto("/auth/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def _ask(page, text: str):
    """Ask in the test chat; the bot's answer bubble."""
    page.wait_for_load_state("networkidle")  # the chat's history is in
    answers = page.locator("#chat-window .bubble-out")
    before = answers.count()
    page.fill("#chat-input", text)
    page.locator("#chat-send").click()
    expect(answers).to_have_count(before + 1)
    return answers.nth(before)


def test_correct_in_the_test_chat_then_resolve_a_gap_russian_ui(page, app, user_factory):
    user = user_factory(language="ru")
    with app.app_context():
        add_kb(user.id, KB_TEXT)
    _login(page, user, "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    first = _ask(page, "Сколько стоит доставка?")
    expect(first).to_contain_text("15 000")
    page.locator("#chat-window .correct-answer").last.click()
    expect(page.locator("h1")).to_have_text("Исправить этот ответ")
    expect(page.locator("#question")).to_have_value("Сколько стоит доставка?")
    expect(page.locator("#corrected-answer")).to_contain_text("15 000")
    page.fill("#answer", CORRECTED)
    page.locator("#owner-answer-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard#test-chat$"))
    expect(page.locator(".alert-success")).to_contain_text("Сохранено")

    expect(_ask(page, "Dostavka qancha turadi?")).to_have_text(CORRECTED)
    expect(page.locator("#chat-window .sources").last).to_contain_text("Ваш ответ")

    # A question the file does not answer becomes a knowledge gap.
    _ask(page, "Vertolyot sotasizmi?")
    _ask(page, "vertolyot sotasizmi")
    page.goto("/dashboard")
    expect(page.locator("#gaps-this-week")).to_contain_text("1 вопрос без ответа за неделю")
    page.locator("#gaps-this-week a").click()
    gap = page.locator("#knowledge-gaps .gap-item")
    expect(gap).to_have_count(1)
    expect(gap).to_contain_text("vertolyot sotasizmi")
    expect(gap).to_contain_text("2 раза")
    expect(gap).to_contain_text("Тестовый чат")
    expect(page.locator("#pair-list")).to_contain_text(CORRECTED)
    screenshot(page, "kb-gaps-ru")
    gap.get_by_role("link", name="Добавить ответ").click()
    expect(page.locator("#question")).to_have_value("vertolyot sotasizmi")
    page.fill("#answer", "Нет, вертолёты мы не продаём.")
    page.locator("#owner-answer-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/knowledge-base/#owner-answers$"))
    expect(page.locator("#no-gaps")).to_be_visible()
    expect(page.locator("#pair-list .pair-item")).to_have_count(2)
    page.goto("/dashboard")
    expect(page.locator("#gaps-this-week")).to_have_count(0)
    expect(_ask(page, "Vertolyot sotasizmi?")).to_have_text("Нет, вертолёты мы не продаём.")


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_owner_answer_pages_fit_a_phone_uzbek_ui(phone, app, user_factory):
    page = phone
    user = user_factory(language="uz")
    with app.app_context():
        add_kb(user.id, KB_TEXT)
        conv_id, _, _ = add_answered_conversation(
            user.id, "Kechasi ishlaysizmi?", "Kechirasiz, bilmayman."
        )
        KnowledgeGap.record(user.id, "Kechasi ishlaysizmi? " + "juda " * 30, "telegram")
        pair = OwnerAnswer.create(user.id, "Kredit bormi?", "Ha, 12 oyga. " * 20)
        db.session.commit()
        pair_id = pair.id
    _login(page, user, "uz")
    expect(page.locator("#gaps-this-week")).to_contain_text("javobsiz")
    assert page.evaluate(NO_SCROLL)

    page.goto(f"/conversations/{conv_id}")
    page.get_by_role("link", name="Bu javobni tuzatish").click()
    expect(page.locator("#question")).to_have_value("Kechasi ishlaysizmi?")
    assert page.evaluate(NO_SCROLL)
    page.locator("#owner-answer-form button[type=submit]").click()  # the answer is empty
    expect(page.locator(".invalid-feedback")).to_have_text("Bu maydonni to‘ldirish majburiy.")
    page.fill("#answer", "Yoʻq, soat 21:00 gacha ishlaymiz.")
    page.locator("#owner-answer-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/conversations/{conv_id}$"))
    assert page.evaluate(NO_SCROLL)

    page.goto("/knowledge-base/")
    expect(page.locator("#pair-list .pair-item")).to_have_count(2)
    assert page.evaluate(NO_SCROLL)
    screenshot(page, "kb-answers-uz-phone")
    page.goto(f"/knowledge-base/answers/{pair_id}/edit")
    expect(page.locator("h1")).to_have_text("Javobni tahrirlash")
    assert page.evaluate(NO_SCROLL)
    page.fill("#answer", "Ha, 6 va 12 oyga.")
    page.locator("#owner-answer-form button[type=submit]").click()
    expect(page.locator("#pair-list")).to_contain_text("Ha, 6 va 12 oyga.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pair-list .pair-item").filter(has_text="Kredit bormi?").get_by_role(
        "button", name="O‘chirish"
    ).click()
    expect(page.locator("#pair-list .pair-item")).to_have_count(1)


@pytest.mark.parametrize(
    "lang,viewport,dismiss,flash",
    [
        ("ru", {"width": 1280, "height": 900}, "Скрыть", "Вопрос скрыт"),
        ("uz", {"width": 390, "height": 844}, "Olib tashlash", "olib tashlandi"),
    ],
)
def test_gaps_page_through_and_dismiss(page, app, user_factory, lang, viewport, dismiss, flash):
    page.set_viewport_size(viewport)
    user = user_factory(language=lang)
    with app.app_context():
        add_kb(user.id, KB_TEXT)
        for i in range(21):  # 20 a page: the oldest one is alone on page 2
            KnowledgeGap.record(user.id, f"Savol {'abcdefghijklmnopqrstu'[i] * 6} bormi?", "web")
        KnowledgeGap.record(user.id, "Vertolyot sotasizmi?", "telegram")
        db.session.commit()
    _login(page, user, lang)
    page.goto("/knowledge-base/")
    gaps = page.locator("#knowledge-gaps .gap-item")
    expect(gaps).to_have_count(20)
    expect(gaps.first).to_contain_text("Vertolyot sotasizmi?")
    assert page.evaluate(NO_SCROLL)
    page.locator("#gap-pages .page-item:last-child a").click()
    expect(page).to_have_url(re.compile(r"page=2#knowledge-gaps$"))
    expect(gaps).to_have_count(2)
    page.goto("/knowledge-base/")
    gaps.filter(has_text="Vertolyot").get_by_role("button", name=dismiss).click()
    expect(page.locator(".alert")).to_contain_text(flash)
    expect(gaps.filter(has_text="Vertolyot")).to_have_count(0)
    assert page.evaluate(NO_SCROLL)
    screenshot(page, f"kb-gap-dismissed-{lang}")
    page.goto("/dashboard")
    _ask(page, "Vertolyot sotasizmi?")  # asked again after the dismissal: back on the list
    page.goto("/knowledge-base/")
    expect(gaps.first).to_contain_text("Vertolyot sotasizmi?")
