"""The owner's inbox: search with a count and the matching snippet, filters by channel, status
and language, unread marks and the navbar's unread count, and saved (canned) replies."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from models.base import utcnow
from models.canned_reply import CannedReply
from models.conversation import Conversation
from routes.messaging_routes.snippets import snippet
from tests.routes.admin.helpers import add_conversation

OWNER_LANGUAGE = "en"


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="list-group-item[^"]*conversation-row[^"]*" href="[^"]*" data-id="(\d+)"', html)]  # fmt: skip


def test_search_counts_results_and_shows_the_matching_message(app, client, owner, user_factory):
    other = user_factory()
    with app.app_context():
        hit = add_conversation(
            owner.id,
            texts=("Salom", "Yetkazib berish <b>Chilonzorga</b> bormi?", "Rahmat"),
            reply="Ha, bor.",
            customer_ref="a",
        )
        add_conversation(owner.id, texts=("Narxi qancha?",), customer_ref="b")
        add_conversation(other.id, texts=("Chilonzorga ham?",), customer_ref="c")
    html = client.get("/conversations?q=chilonzor").get_data(as_text=True)
    assert _ids(html) == [hit]
    assert "1 conversation found" in html
    snippet_html = re.search(r'search-snippet">(.*?)</div>', html).group(1)
    assert "<mark>Chilonzor</mark>" in snippet_html  # the match, as the customer wrote it
    assert "&lt;b&gt;" in snippet_html and "<b>" not in snippet_html  # escaped
    assert "Ha, bor" not in snippet_html  # not the bot's last message
    none = client.get("/conversations?q=vertolyot").get_data(as_text=True)
    assert "0 conversations found" in none and 'id="no-results"' in none


def test_filters_by_channel_status_and_language(app, client, owner):
    with app.app_context():
        tg = add_conversation(owner.id, "telegram", customer_ref="t", language="uz")
        wa = add_conversation(
            owner.id, "whatsapp", account_ref="wa", customer_ref="w", language="ru"
        )
        ig = add_conversation(
            owner.id, "instagram", account_ref="ig", customer_ref="i", language="en"
        )
        db.session.get(Conversation, wa).pause(60)
        db.session.get(Conversation, ig).request_human()
        db.session.commit()
    assert _ids(client.get("/conversations?platform=whatsapp").get_data(as_text=True)) == [wa]
    assert _ids(client.get("/conversations?language=en").get_data(as_text=True)) == [ig]
    assert _ids(client.get("/conversations?status=paused").get_data(as_text=True)) == [wa]
    assert set(_ids(client.get("/conversations?status=answering").get_data(as_text=True))) == {
        tg,
        ig,
    }
    assert _ids(client.get("/conversations?status=needs_human").get_data(as_text=True)) == [ig]
    html = client.get("/conversations?status=needs_human&language=uz").get_data(as_text=True)
    assert _ids(html) == [] and "0 conversations found" in html
    # Values that are not choices are ignored, never a 500.
    odd = client.get("/conversations?status=x&platform=y&language=zz&from=bad")
    assert odd.status_code == 200 and len(_ids(odd.get_data(as_text=True))) == 3


def test_unread_marks_and_the_navbar_count(app, client, owner, user_factory):
    with app.app_context():
        first = add_conversation(owner.id, customer_ref="1")
        second = add_conversation(owner.id, customer_ref="2", platform="whatsapp", account_ref="w")
        add_conversation(owner.id, customer_ref="3", platform="web", account_ref="web")  # test chat
    polled = client.get("/conversations/unread")
    assert polled.get_json() == {"unread": 2} and polled.headers["Cache-Control"] == "no-store"
    html = client.get("/conversations").get_data(as_text=True)
    assert html.count("conversation-row unread") == 2 and 'id="unread-badge"' in html
    unread = client.get("/conversations?status=unread").get_data(as_text=True)
    assert set(_ids(unread)) == {first, second}
    client.get(f"/conversations/{first}")  # opening it reads it
    assert client.get("/conversations/unread").get_json() == {"unread": 1}
    with app.app_context():  # the customer writes again: unread again
        conv = db.session.get(Conversation, first)
        conv.last_inbound_at = utcnow() + timedelta(seconds=5)
        db.session.commit()
    assert client.get("/conversations/unread").get_json() == {"unread": 2}


def test_an_admin_looking_in_leaves_it_unread(app, client, auth, user_factory):
    owner = user_factory()
    admin = user_factory(is_admin=True)
    with app.app_context():
        conv_id = add_conversation(owner.id)
    auth.login(admin.email)
    assert client.get(f"/conversations/{conv_id}").status_code == 200
    with app.app_context():
        assert db.session.get(Conversation, conv_id).owner_read_at is None


def test_unread_count_needs_a_login(client):
    assert client.get("/conversations/unread").status_code == 302


# --- saved replies ---------------------------------------------------------------------------
def test_save_edit_insert_and_delete_a_canned_reply(app, client, owner):
    with app.app_context():
        conv_id = add_conversation(owner.id)
    page = client.get(f"/conversations/{conv_id}").get_data(as_text=True)
    assert "canned-select" not in page and "Save replies you send often" in page
    r = client.post("/canned-replies", data={"title": "Delivery", "text": "Ertaga <yetkazamiz>."})
    assert r.status_code == 302
    page = client.get(f"/conversations/{conv_id}").get_data(as_text=True)
    assert 'id="canned-select"' in page and 'data-text="Ertaga &lt;yetkazamiz&gt;."' in page
    assert "js/inbox.js" in page
    with app.app_context():
        reply_id = db.session.scalar(select(CannedReply.id))
    r = client.post(
        f"/canned-replies/{reply_id}/edit", data={"title": "Yetkazish", "text": "Bugun yetkazamiz."}
    )
    assert r.status_code == 302
    listing = client.get("/canned-replies").get_data(as_text=True)
    assert "Yetkazish" in listing and "Bugun yetkazamiz." in listing and "Delivery" not in listing
    assert client.post(f"/canned-replies/{reply_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CannedReply)) == 0


def test_a_canned_reply_needs_a_title_and_a_text(app, client, owner):
    r = client.post("/canned-replies", data={"title": "", "text": "x" * 5000})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "This field is required." in html
    assert "This value is too long." in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CannedReply)) == 0


def test_another_owners_canned_reply_is_404(app, client, owner, user_factory):
    other = user_factory()
    with app.app_context():
        theirs = CannedReply.create(other.id, "Theirs", "Secret text")
        db.session.commit()
        theirs_id = theirs.id
    assert client.get(f"/canned-replies/{theirs_id}/edit").status_code == 404
    assert (
        client.post(
            f"/canned-replies/{theirs_id}/edit", data={"title": "a", "text": "b"}
        ).status_code
        == 404
    )
    assert client.post(f"/canned-replies/{theirs_id}/delete").status_code == 404
    assert "Secret text" not in client.get("/canned-replies").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CannedReply, theirs_id).text == "Secret text"


# --- snippets --------------------------------------------------------------------------------
def test_snippet_escapes_highlights_and_cuts():
    text = "a" * 100 + " Dostavka <script>x</script> bormi " + "b" * 100
    out = str(snippet(text, "<script>"))
    assert "<mark>&lt;script&gt;</mark>" in out and "<script>" not in out
    assert out.startswith("…") and out.endswith("…") and len(out) < 200
    assert str(snippet("Ёлка", "ёлка")) == "<mark>Ёлка</mark>"
    assert str(snippet("no match <i>", "zzz")) == "no match &lt;i&gt;"


def _statements(app, client, url: str) -> int:
    from sqlalchemy import event

    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_inbox_and_statistics_cost_the_same_few_queries_for_many_conversations(
    app, client, owner
):
    """No query per conversation (N+1): 3 or 20 conversations on a page, the same statements."""

    def add(n: int, start: int) -> None:
        with app.app_context():
            for i in range(start, start + n):
                add_conversation(owner.id, texts=(f"Yetkazib berish {i}?",), customer_ref=str(i))

    add(3, 0)
    urls = ("/conversations?q=yetkazib", "/conversations?status=unread", "/statistics")
    few = [_statements(app, client, url) for url in urls]
    add(17, 3)
    many = [_statements(app, client, url) for url in urls]
    assert many == few
