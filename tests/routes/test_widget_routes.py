"""The website chat's page and JSON API: framing and Origin rules, ids and bad input as clear
errors (never a 500), one stored message per client id, answers through the one pipeline,
owner replies reaching the visitor, rate limits, and owners kept apart."""

import pytest
from sqlalchemy import func, select

from extensions import db, limiter
from models.channel import WebWidget
from models.conversation import Conversation, Message
from models.user import User
from tests.engine_helpers import add_kb, configured
from tests.factories import AuthActions, make_user

OWNER_LANGUAGE = "en"
SITE = "https://shop.uz"
VISITOR = "visitor-0123456789abcdef"


def _widget(user_id: int, origins=(SITE,), enabled: bool = True) -> str:
    widget = WebWidget(user_id=user_id, enabled=enabled)
    widget.allowed_origins = list(origins)
    db.session.add(widget)
    db.session.commit()
    return widget.widget_key


@pytest.fixture
def client(app):
    """A visitor's browser set to English (the API answers in the browser's language)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def shop(app):
    """An owner on a trial with a knowledge base and a website chat allowed on shop.uz."""
    with app.app_context():
        user = make_user(language="en")
        add_kb(user.id)
        return {"user_id": user.id, "key": _widget(user.id)}


def _send(client, key, text="Сколько стоит доставка?", *, msg_id="m-00000001", **extra):
    body = {"visitor": VISITOR, "id": msg_id, "text": text, **extra}
    return client.post(f"/widget/{key}/messages", json=body, headers={"Origin": SITE})


def _updates(client, key, after=0, visitor=VISITOR):
    body = {"visitor": visitor, "after": after}
    return client.post(f"/widget/{key}/updates", json=body, headers={"Origin": SITE})


def _messages(app):
    with app.app_context():
        return [
            (m.direction, m.sender, m.status, m.text)
            for m in db.session.scalars(select(Message).order_by(Message.id))
        ]


# --- the iframe page ---------------------------------------------------------------------------
def test_the_page_may_be_framed_by_the_owners_sites_only_and_sets_no_cookie(client, shop):
    response = client.get(f"/widget/{shop['key']}?lang=ru")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {SITE}" in csp and "'none'" not in csp.split("frame-ancestors")[1]
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert "Напишите сообщение" in page
    assert f'data-key="{shop["key"]}"' in page


@pytest.mark.parametrize(
    "header,lang,words",
    [("uz-UZ,uz;q=0.9", "uz", "Xabar yozing"), ("en-US,en;q=0.9", "en", "Write a message")],
)
def test_without_lang_the_browsers_language_is_used(client, shop, header, lang, words):
    page = client.get(f"/widget/{shop['key']}", headers={"Accept-Language": header})
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)
    assert words in page.get_data(as_text=True)


def test_unknown_or_switched_off_widgets_are_404(app, client, shop):
    with app.app_context():
        off = _widget(make_user().id, enabled=False)
    for key in ("no-such-widget", off):
        assert client.get(f"/widget/{key}").status_code == 404
        response = _send(client, key)
        assert response.status_code == 404
        assert response.json["error"] == "This chat is not available."
        assert _updates(client, key).status_code == 404
    assert _messages(app) == []


# --- Origin ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", [None, "null", "https://evil.uz", "https://shop.uz.evil.uz"])
def test_the_api_refuses_other_origins(app, client, shop, origin):
    headers = {"Origin": origin} if origin else {}
    body = {"visitor": VISITOR, "id": "m-00000001", "text": "Salom"}
    response = client.post(f"/widget/{shop['key']}/messages", json=body, headers=headers)
    assert response.status_code == 403
    assert response.json["error"] == "This website may not use this chat."
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _messages(app) == []


def test_our_iframe_and_the_owners_site_are_accepted(client, shop):
    own = client.post(
        f"/widget/{shop['key']}/updates",
        json={"visitor": VISITOR},
        headers={"Origin": "http://localhost"},
    )
    assert own.status_code == 200 and "Access-Control-Allow-Origin" not in own.headers
    public = client.post(  # our public address (WEBHOOK_BASE_URL), as seen behind a proxy
        f"/widget/{shop['key']}/updates",
        json={"visitor": VISITOR},
        headers={"Origin": "https://bot.example.test"},
    )
    assert public.status_code == 200
    site = _updates(client, shop["key"])
    assert site.status_code == 200
    assert site.headers["Access-Control-Allow-Origin"] == SITE


# --- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"data": "{not json", "content_type": "application/json"}, "Send a JSON object."),
        ({"data": "visitor=x", "content_type": "text/plain"}, "Send a JSON object."),
        ({"json": ["a", "list"]}, "Send a JSON object."),
        ({"json": {"id": "m-00000001", "text": "Hi"}}, "The visitor id is missing or not valid."),
        ({"json": {"visitor": [VISITOR], "id": "m-00000001", "text": "Hi"}}, "The visitor id"),
        ({"json": {"visitor": VISITOR, "text": "Hi"}}, "The message id is missing or not valid."),
        ({"json": {"visitor": VISITOR, "id": 12345678, "text": "Hi"}}, "The message id"),
        ({"json": {"visitor": VISITOR, "id": "m-00000001", "text": "  "}}, "up to 2000"),
        ({"json": {"visitor": VISITOR, "id": "m-00000001", "text": {"a": 1}}}, "up to 2000"),
        ({"json": {"visitor": VISITOR, "id": "m-00000001", "text": "x" * 2001}}, "up to 2000"),
    ],
)
def test_bad_messages_get_a_clear_error(app, client, shop, kwargs, error):
    response = client.post(f"/widget/{shop['key']}/messages", headers={"Origin": SITE}, **kwargs)
    assert response.status_code == 400
    assert error in response.json["error"]
    assert _messages(app) == []


@pytest.mark.parametrize("after", ["5", -1, 1.5, True, 2**60, None])
def test_a_bad_cursor_is_a_clear_error(client, shop, after):
    response = client.post(
        f"/widget/{shop['key']}/updates",
        json={"visitor": VISITOR, "after": after},
        headers={"Origin": SITE},
    )
    assert response.status_code == 400
    assert response.json["error"] == "The cursor is not valid."


def test_a_huge_body_is_refused_in_words(client, shop):
    response = _send(client, shop["key"], "x" * 20000)
    assert response.status_code == 413
    assert "up to 2000" in response.json["error"]


def test_errors_follow_the_visitors_language(client, shop):
    response = client.post(
        f"/widget/{shop['key']}/messages",
        json={"visitor": "bad"},
        headers={"Origin": SITE, "Accept-Language": "ru"},
    )
    assert response.status_code == 400
    assert "посетителя" in response.json["error"]


# --- the pipeline --------------------------------------------------------------------------------------
def test_a_question_is_answered_through_the_pipeline_and_polled(app, client, shop):
    response = _send(client, shop["key"], lang="ru")
    assert response.status_code == 202 and response.json == {"ok": True, "duplicate": False}
    data = _updates(client, shop["key"]).json
    assert [m["from"] for m in data["messages"]] == ["visitor", "bot"]
    assert data["messages"][0]["client_id"] == "m-00000001"
    assert "15 000" in data["messages"][1]["text"]
    assert data["waiting"] is False and data["human"] is False
    assert data["cursor"] == data["messages"][1]["id"]
    assert _updates(client, shop["key"], after=data["cursor"]).json["messages"] == []
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert (conv.platform, conv.account_ref, conv.customer_ref) == (
            "web-widget",
            shop["key"],
            VISITOR,
        )
        assert conv.language == "ru"
        widget = db.session.scalar(select(WebWidget))
        assert widget.last_message_at is not None


def test_a_resent_message_is_stored_and_answered_once(app, client, shop):
    first = _send(client, shop["key"])
    again = _send(client, shop["key"])
    assert first.status_code == again.status_code == 202
    assert again.json["duplicate"] is True
    assert [m[:2] for m in _messages(app)] == [("in", "customer"), ("out", "bot")]


def test_the_browser_language_holds_until_the_visitor_writes_clearly(app, client, shop):
    _send(client, shop["key"], "👍", msg_id="m-00000001", lang="en")
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.language == "en"
        reply = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert reply.language == "en"
    _send(client, shop["key"], "Сколько стоит доставка по Ташкенту?", msg_id="m-00000002")
    with app.app_context():
        last = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert last.language == "ru"


def _owner_client(app, user_id: int):
    with app.app_context():
        email = db.session.get(User, user_id).email
    owner = app.test_client()
    AuthActions(owner).login(email)
    return owner


def test_an_owner_reply_and_takeover_reach_the_visitor(app, client, shop):
    _send(client, shop["key"])
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    owner = _owner_client(app, shop["user_id"])
    response = owner.post(f"/conversations/{conv_id}/reply", data={"text": "Bugun yetkazamiz"})
    assert response.status_code == 302
    data = _updates(client, shop["key"]).json
    assert data["messages"][-1]["from"] == "owner"
    assert data["messages"][-1]["text"] == "Bugun yetkazamiz"
    assert data["human"] is True
    # While the owner has taken over, the bot stays quiet.
    _send(client, shop["key"], "Rahmat!", msg_id="m-00000002")
    assert _messages(app)[-1][:3] == ("in", "customer", "paused")


def test_a_reply_to_a_switched_off_chat_fails_with_a_reason(app, client, shop):
    _send(client, shop["key"])
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
        db.session.scalar(select(WebWidget)).enabled = False
        db.session.commit()
    owner = _owner_client(app, shop["user_id"])
    page = owner.post(
        f"/conversations/{conv_id}/reply", data={"text": "Salom"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "switched off" in page
    assert _messages(app)[-1][:3] == ("out", "owner", "failed")


def test_a_reply_still_being_sent_holds_the_cursor_back(app, client, shop):
    _send(client, shop["key"])
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        pending = Message.new_outbound(conv, "…", sender="owner")
        db.session.commit()
        later = Message.store_inbound(conv, external_id="w:x:later", text="Yana savol")
        later.status = "answered"
        db.session.commit()
        pending_id = pending.id
    data = _updates(client, shop["key"]).json
    assert pending_id not in [m["id"] for m in data["messages"]]
    assert data["cursor"] == pending_id - 1  # asked again from here, the reply is not skipped
    with app.app_context():
        db.session.get(Message, pending_id).status = "sent"
        db.session.commit()
    ids = [m["id"] for m in _updates(client, shop["key"], after=data["cursor"]).json["messages"]]
    assert pending_id in ids


# --- owners apart ------------------------------------------------------------------------------------
def test_each_widget_sees_only_its_own_conversations(app, client, shop):
    with app.app_context():
        other_id = make_user().id
        add_kb(other_id)
        other_key = _widget(other_id)
    _send(client, shop["key"])
    assert _updates(client, other_key).json["messages"] == []  # same visitor id, other shop
    _send(client, other_key, "Salom", msg_id="m-00000001")  # the same ids again: its own row
    with app.app_context():
        rows = db.session.execute(
            select(Conversation.user_id, func.count(Message.id))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.direction == "in")
            .group_by(Conversation.user_id)
        ).all()
    assert sorted(rows) == sorted([(shop["user_id"], 1), (other_id, 1)])
    mine = [m["text"] for m in _updates(client, shop["key"]).json["messages"]]
    assert "Salom" not in mine


def test_another_owner_cannot_open_the_widget_conversation(app, client, shop, user_factory):
    _send(client, shop["key"])
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    stranger = user_factory()
    other = app.test_client()
    AuthActions(other).login(stranger.email)
    assert other.get(f"/conversations/{conv_id}").status_code == 404
    assert other.post(f"/conversations/{conv_id}/reply", data={"text": "x"}).status_code == 404


# --- rate limits -------------------------------------------------------------------------------------
@pytest.fixture
def limited(app):
    with configured(app, RATELIMIT_ENABLED=True, WIDGET_RATE_LIMIT="2 per minute"):
        limiter.enabled = True
        try:
            yield
        finally:
            limiter.enabled = False
            limiter.reset()


def test_sending_is_rate_limited_per_address_and_widget(app, client, shop, limited):
    codes = [_send(client, shop["key"], msg_id=f"m-0000000{i}").status_code for i in range(3)]
    assert codes == [202, 202, 429]
    refused = _send(client, shop["key"], msg_id="m-00000009")
    assert refused.json["error"] == "You are sending messages too fast. Please wait a minute."
    with app.app_context():
        other_key = _widget(make_user().id)
    assert _send(client, other_key).status_code == 202  # another shop's budget is its own
    assert len([m for m in _messages(app) if m[0] == "in"]) == 3


def test_the_owners_site_passes_the_preflight_others_do_not(client, shop):
    url = f"/widget/{shop['key']}/messages"
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(url, headers={"Origin": SITE, **preflight})
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "Content-Type" in allowed.headers["Access-Control-Allow-Headers"]
    other = client.options(url, headers={"Origin": "https://evil.uz", **preflight})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("lang,label", [("en", "Visitor"), ("ru", "Посетитель")])
def test_the_inbox_names_a_website_visitor_by_a_short_code(app, client, shop, lang, label):
    _send(client, shop["key"])
    with app.app_context():
        db.session.get(User, shop["user_id"]).language = lang
        db.session.commit()
    owner = _owner_client(app, shop["user_id"])
    page = owner.get("/conversations").get_data(as_text=True)
    assert f"{label} {VISITOR[:6]}" in page
    assert VISITOR not in page
