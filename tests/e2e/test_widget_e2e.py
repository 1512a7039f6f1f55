"""In a real browser: the owner switches the website chat on, a local "owner website" on another
port embeds the copied tag, a visitor asks in Russian (and another, on a phone, in Uzbek) and
gets the answer, the owner replies from the inbox and the visitor sees it; a site that is not in
the list can neither frame the chat nor use its API."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from models.conversation import Conversation
from tests.e2e.browser import screenshot
from tests.engine_helpers import add_kb, configured
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


class _Site:
    """A tiny website on its own port: every path is one page with the owner's tag in it."""

    def __init__(self):
        self.body = b""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def embed(self, tag: str) -> None:
        self.body = (
            "<!doctype html><html><head><title>Gullar do‘koni</title>"
            "<style>button{background:red!important} iframe{border:9px solid red}</style>"
            f"</head><body><h1>Gullar</h1>{tag}</body></html>"
        ).encode()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites():
    with _Site() as shop, _Site() as stranger:
        yield shop, stranger


def _login(page, user, lang: str):
    url = page.url if page.url.startswith("http") else "http://127.0.0.1"
    page.context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page.goto("/auth/login")
    page.fill("#login", user.email)
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def _switch_on(page, origin: str) -> str:
    """On the channels page: list the site, save, and copy the tag shown."""
    page.goto("/channels")
    page.fill("#domains", origin.removeprefix("http://"))
    page.check("#enabled")
    page.locator("#widget-form button[type=submit]").click()
    expect(page.locator("#widget-state .badge")).to_be_visible()
    tag = page.locator("#widget-tag").input_value()
    assert tag.startswith("<script src=") and 'data-bilimbot="' in tag
    return tag


def _visitor(browser, locale: str, viewport=None):
    context = browser.new_context(
        locale=locale, viewport=viewport or {"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    return context, context.new_page()


def _open_chat(visitor):
    toggle = visitor.locator("[data-bilimbot-widget] button.toggle")
    expect(toggle).to_be_visible()
    chat = visitor.frame_locator("[data-bilimbot-widget] iframe")
    expect(chat.locator("#widget-form")).to_be_attached()  # the frame told the loader its labels
    toggle.click()
    expect(chat.locator("#widget-input")).to_be_visible()
    return toggle, chat


def _ask(chat, text: str):
    chat.locator("#widget-input").fill(text)
    chat.locator("#widget-input").press("Enter")
    expect(chat.locator("[data-from=visitor]").last).to_have_text(text)


def test_a_visitor_asks_in_russian_and_the_owner_answers_from_the_inbox(
    page, app, browser, live_server, user_factory, sites
):
    shop, stranger = sites
    owner = user_factory(language="ru")
    with app.app_context():
        add_kb(owner.id)
    with configured(app, WEBHOOK_BASE_URL=live_server.url):
        _login(page, owner, "ru")
        tag = _switch_on(page, shop.url)
        screenshot(page, "widget-channels-ru")
    shop.embed(tag)
    stranger.embed(tag)

    context, visitor = _visitor(browser, "ru-RU")
    try:
        visitor.goto(shop.url + "/")
        toggle, chat = _open_chat(visitor)
        expect(toggle).to_have_attribute("aria-label", "Закрыть чат")
        expect(chat.locator("html")).to_have_attribute("lang", "ru")
        expect(chat.locator("#widget-input")).to_have_attribute(
            "placeholder", "Напишите сообщение…"
        )
        _ask(chat, "Сколько стоит доставка?")
        expect(chat.locator("[data-from=bot]")).to_contain_text("15 000")
        screenshot(visitor, "widget-visitor-ru")

        # The owner sees the conversation in the inbox, as the website chat, and replies.
        page.goto("/conversations")
        row = page.locator("#conversation-list a").first
        expect(row).to_contain_text("Чат на сайте")
        row.click()
        expect(page.locator("#message-list")).to_contain_text("Сколько стоит доставка?")
        page.fill("#text", "Сегодня доставим бесплатно!")
        page.locator("#reply-form button[type=submit]").click()
        expect(page.locator("#paused-badge")).to_be_visible()

        expect(chat.locator("[data-from=owner]")).to_have_text("Сегодня доставим бесплатно!")
        expect(chat.locator("#widget-human")).to_be_visible()
        expect(chat.locator("#widget-human")).to_contain_text("сотрудник")

        # The same visitor comes back later: the conversation is still there (localStorage id).
        visitor.reload()
        _toggle, chat = _open_chat(visitor)
        expect(chat.locator("[data-from=owner]")).to_have_text("Сегодня доставим бесплатно!")
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_a_site_not_in_the_list_can_neither_frame_the_chat_nor_use_its_api(
    page, app, browser, live_server, user_factory, sites
):
    shop, stranger = sites
    owner = user_factory(language="en")
    with configured(app, WEBHOOK_BASE_URL=live_server.url):
        _login(page, owner, "en")
        tag = _switch_on(page, shop.url)
    stranger.embed(tag)
    key = re.search(r'data-bilimbot="([^"]+)"', tag)[1]

    context, visitor = _visitor(browser, "en-US")
    try:
        visitor.goto(stranger.url + "/")
        handle = visitor.locator("[data-bilimbot-widget] iframe").element_handle()
        frame = handle.content_frame()
        frame.wait_for_load_state("load")
        # Blocked by frame-ancestors: the iframe holds the browser's error page, not our chat.
        expect(frame.locator("#widget-form")).to_have_count(0)
        # Nor did our page tell the loader its labels: the button keeps its untranslated name.
        expect(visitor.locator("[data-bilimbot-widget] button.toggle")).to_have_attribute(
            "aria-label", "Chat"
        )
        # Calling the API from that page: the JSON request fails its CORS check, and a "simple"
        # request that does reach us is refused by its Origin, so nothing is stored.
        api = f"{live_server.url}/widget/{key}/messages"
        outcome = visitor.evaluate(
            """async (api) => {
                const body = JSON.stringify({visitor: "v".repeat(24), id: "m-00000001",
                                             text: "Hello"});
                let json;
                try {
                    await fetch(api, {method: "POST", body,
                                      headers: {"Content-Type": "application/json"}});
                    json = "read";
                } catch (e) { json = "blocked"; }
                await fetch(api, {method: "POST", mode: "no-cors", body,
                                  headers: {"Content-Type": "text/plain"}});
                return json;
            }""",
            api,
        )
        assert outcome == "blocked"
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_on_a_phone_an_uzbek_visitor_gets_uzbek_labels_and_answer(
    page, app, browser, live_server, user_factory, sites
):
    shop, _stranger = sites
    owner = user_factory(language="uz")
    with app.app_context():
        add_kb(owner.id)
    page.set_viewport_size(PHONE)  # the owner sets it up on a phone too
    with configured(app, WEBHOOK_BASE_URL=live_server.url):
        _login(page, owner, "uz")
        expect(page.locator("#channels-card")).to_contain_text("Sayt chati")
        shop.embed(_switch_on(page, shop.url))
        screenshot(page, "widget-channels-uz-phone")

    context, visitor = _visitor(browser, "uz-UZ", PHONE)
    try:
        visitor.goto(shop.url + "/")
        toggle, chat = _open_chat(visitor)
        expect(toggle).to_be_hidden()  # the chat fills the phone's screen, its own × closes it
        expect(chat.locator("#widget-input")).to_have_attribute("placeholder", "Xabar yozing…")
        _ask(chat, "Yetkazib berish narxi qancha?")
        expect(chat.locator("[data-from=bot]")).to_contain_text("15 000 so‘m")
        box = visitor.locator("[data-bilimbot-widget] iframe").bounding_box()
        assert box["width"] == PHONE["width"]
        screenshot(visitor, "widget-visitor-uz-phone")
        chat.locator("#widget-close").click()
        expect(toggle).to_be_visible()
        expect(visitor.locator("[data-bilimbot-widget] iframe")).to_be_hidden()
    finally:
        context.close()
