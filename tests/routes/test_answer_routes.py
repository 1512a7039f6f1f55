"""The owner's answers through the pages: correct a bot answer (conversation, test chat), answer a
knowledge gap, add/edit/delete by hand, the KB page and dashboard, and tenant isolation."""

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models.conversation import Message
from models.owner_answer import KnowledgeGap, OwnerAnswer
from tests.engine_helpers import KB_TEXT, add_answered_conversation, add_kb

OWNER_LANGUAGE = "en"


@pytest.fixture
def shop(app, owner):
    """A shop with a Telegram conversation: a question and the bot's wrong answer."""
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
        conv, question, answer = add_answered_conversation(
            owner.id, "Dostavka qancha?", "Bilmayman."
        )
    return {"owner": owner, "conv": conv, "question": question, "answer": answer}


def _pairs(app, user_id):
    with app.app_context():
        return db.session.scalars(select(OwnerAnswer).where(OwnerAnswer.user_id == user_id)).all()


def test_every_bot_answer_in_a_conversation_can_be_corrected(client, shop):
    page = client.get(f"/conversations/{shop['conv']}").get_data(as_text=True)
    links = re.findall(r'href="(/knowledge-base/answers/new\?message=\d+)"', page)
    assert links == [f"/knowledge-base/answers/new?message={shop['answer']}"]
    form = client.get(links[0]).get_data(as_text=True)
    assert "Dostavka qancha?" in form and "Bilmayman." in form  # question prefilled, answer shown


def test_a_correction_is_stored_and_the_owner_goes_back_to_the_conversation(client, app, shop):
    response = client.post(
        "/knowledge-base/answers/new",
        data={
            "question": "Dostavka qancha?",
            "answer": "Toshkent bo‘ylab 20 000 so‘m.",
            "message_id": shop["answer"],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conversations/{shop['conv']}")
    [pair] = _pairs(app, shop["owner"].id)
    assert (pair.question, pair.answer, pair.language) == (
        "Dostavka qancha?",
        "Toshkent bo‘ylab 20 000 so‘m.",
        "uz",
    )


def test_the_test_chat_offers_a_correction_and_returns_to_the_dashboard(client, app, shop):
    reply = client.post("/test-chat/send", json={"text": "Vertolyot sotasizmi?"}).json
    assert reply["correct_url"] == f"/knowledge-base/answers/new?message={reply['id']}"
    assert "Vertolyot sotasizmi?" in client.get(reply["correct_url"]).get_data(as_text=True)
    response = client.post(
        "/knowledge-base/answers/new",
        data={"question": "Vertolyot sotasizmi?", "answer": "Yo‘q.", "message_id": reply["id"]},
    )
    assert response.headers["Location"].endswith("/dashboard#test-chat")
    assert client.post("/test-chat/send", json={"text": "vertolyot sotasizmi"}).json["text"] == (
        "Yo‘q."
    )
    history = client.get("/test-chat/history").json
    assert [m["correct_url"] is not None for m in history] == [False, True, False, True]


@pytest.mark.parametrize(
    "data,error",
    [
        ({"question": "", "answer": "x"}, "This field is required."),
        ({"question": "q", "answer": ""}, "This field is required."),
        ({"question": "q", "answer": "x" * 2001}, "Write at most 2000 characters."),
        ({"question": "q" * 501, "answer": "x"}, "Write at most 500 characters."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(client, app, shop, data, error):
    response = client.post("/knowledge-base/answers/new", data=data)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert _pairs(app, shop["owner"].id) == []


def test_pairs_are_listed_edited_and_deleted_on_the_kb_page(client, app, shop):
    client.post("/knowledge-base/answers/new", data={"question": "Kredit bormi?", "answer": "Ha."})
    [pair] = _pairs(app, shop["owner"].id)
    page = client.get("/knowledge-base/").get_data(as_text=True)
    assert "Kredit bormi?" in page and f"/knowledge-base/answers/{pair.id}/edit" in page
    assert "Kredit bormi?" in client.get(f"/knowledge-base/answers/{pair.id}/edit").get_data(
        as_text=True
    )
    client.post(
        f"/knowledge-base/answers/{pair.id}/edit",
        data={"question": "Kredit bormi?", "answer": "Ha, 12 oyga."},
    )
    assert [p.answer for p in _pairs(app, shop["owner"].id)] == ["Ha, 12 oyga."]
    client.post(f"/knowledge-base/answers/{pair.id}/delete")
    assert _pairs(app, shop["owner"].id) == []


def test_gaps_are_listed_and_add_an_answer_resolves_them(client, app, shop):
    for question in ("Vertolyot sotasizmi?", "vertolyot sotasizmi"):
        client.post("/test-chat/send", json={"text": question})
    with app.app_context():
        gap = db.session.scalar(select(KnowledgeGap))
        gap.channels = "web,telegram"
        db.session.commit()
        gap_id = gap.id
    assert "1 question without an answer this week" in client.get("/dashboard").get_data(
        as_text=True
    )
    page = client.get("/knowledge-base/").get_data(as_text=True)
    assert "vertolyot sotasizmi" in page and "2 times" in page and "Test chat, Telegram" in page
    form = client.get(f"/knowledge-base/answers/new?gap={gap_id}").get_data(as_text=True)
    assert "vertolyot sotasizmi" in form and "Asked 2 times" in form
    client.post(
        "/knowledge-base/answers/new",
        data={"question": "Vertolyot bormi?", "answer": "Yo‘q.", "gap_id": gap_id},
    )
    with app.app_context():
        assert db.session.get(KnowledgeGap, gap_id).resolved_at is not None
    assert "vertolyot sotasizmi" not in client.get("/knowledge-base/").get_data(as_text=True)
    assert "without an answer this week" not in client.get("/dashboard").get_data(as_text=True)


def test_another_owners_pairs_gaps_and_messages_are_404(client, app, shop, user_factory, auth):
    client.post("/knowledge-base/answers/new", data={"question": "Kredit bormi?", "answer": "Ha."})
    [pair] = _pairs(app, shop["owner"].id)
    with app.app_context():
        gap = KnowledgeGap.record(shop["owner"].id, "Vertolyot sotasizmi?", "telegram")
        db.session.commit()
        gap_id = gap.id
    other = user_factory(language="en")
    auth.logout()
    auth.login(other.email)
    for url in (
        f"/knowledge-base/answers/{pair.id}/edit",
        f"/knowledge-base/answers/new?gap={gap_id}",
        f"/knowledge-base/answers/new?message={shop['answer']}",
        f"/knowledge-base/answers/new?message={shop['question']}",  # not a bot answer anyway
        "/knowledge-base/answers/new?message=abc",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/knowledge-base/answers/{pair.id}/delete").status_code == 404
    assert client.post(f"/knowledge-base/answers/{pair.id}/edit", data={}).status_code == 404
    data = {"question": "x", "answer": "y", "gap_id": gap_id}
    assert client.post("/knowledge-base/answers/new", data=data).status_code == 404
    page = client.get("/knowledge-base/").get_data(as_text=True)
    assert "Kredit bormi?" not in page and "Vertolyot" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(OwnerAnswer.id))) == 1


def test_anonymous_visitors_are_sent_to_login(app):
    anonymous = app.test_client()
    response = anonymous.get("/knowledge-base/answers/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_admin_conversation_view_labels_the_owners_answer(app, client, user_factory, auth):
    shop_owner = user_factory(language="en")
    with app.app_context():
        OwnerAnswer.create(shop_owner.id, "Kredit bormi?", "Ha, 12 oyga.")
        db.session.commit()
    auth.login(shop_owner.email)
    reply = client.post("/test-chat/send", json={"text": "kredit bormi"}).json
    assert reply["text"] == "Ha, 12 oyga." and reply["sources"][0]["owner"] is True
    auth.logout()
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    with app.app_context():
        conv_id = db.session.scalar(
            select(Message.conversation_id).where(Message.id == reply["id"])
        )
    page = client.get(f"/admin/conversations/{conv_id}").get_data(as_text=True)
    assert "Owner's answer (1.0): Q: Kredit bormi?" in page


def _open_gaps(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(KnowledgeGap.question).where(
                KnowledgeGap.user_id == user_id, KnowledgeGap.resolved_at.is_(None)
            )
        ).all()


def test_a_dismissed_gap_leaves_the_list_and_comes_back_only_when_asked_again(client, app, shop):
    for question in ("Vertolyot sotasizmi?", "vertolyot sotasizmi"):
        client.post("/test-chat/send", json={"text": question})
    with app.app_context():
        gap_id = db.session.scalar(select(KnowledgeGap.id))
    response = client.post(f"/knowledge-base/answers/gaps/{gap_id}/dismiss", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The question has been dismissed" in page and 'id="no-gaps"' in page
    assert _open_gaps(app, shop["owner"].id) == []
    with app.app_context():
        gap = db.session.get(KnowledgeGap, gap_id)
        assert gap.resolved_at is not None and gap.answer_id is None  # closed, not answered
        assert KnowledgeGap.count_this_week(shop["owner"].id) == 0
    assert "without an answer this week" not in client.get("/dashboard").get_data(as_text=True)
    client.post("/test-chat/send", json={"text": "Vertolyot sotasizmi?"})  # asked again
    assert _open_gaps(app, shop["owner"].id) == ["Vertolyot sotasizmi?"]
    page = client.get("/knowledge-base/").get_data(as_text=True)
    assert "3 times" in page  # the count goes on: it was asked twice before the dismissal


def test_another_owners_gap_cannot_be_dismissed(client, app, shop, user_factory, auth):
    with app.app_context():
        gap = KnowledgeGap.record(shop["owner"].id, "Vertolyot sotasizmi?", "telegram")
        db.session.commit()
        gap_id = gap.id
    auth.logout()
    auth.login(user_factory(language="en").email)
    assert client.post(f"/knowledge-base/answers/gaps/{gap_id}/dismiss").status_code == 404
    assert client.post("/knowledge-base/answers/gaps/999999/dismiss").status_code == 404
    assert _open_gaps(app, shop["owner"].id) == ["Vertolyot sotasizmi?"]


def test_gaps_are_listed_by_pages_newest_first(client, app, shop):
    from datetime import timedelta

    from models.base import utcnow

    now = utcnow()
    with app.app_context():
        for i in range(25):
            db.session.add(
                KnowledgeGap(
                    user_id=shop["owner"].id,
                    key=f"gap {i}",
                    question=f"Savol raqam {i}?",
                    last_asked_at=now - timedelta(minutes=i),
                )
            )
        db.session.commit()
        last_id = db.session.scalar(
            select(KnowledgeGap.id).where(KnowledgeGap.question == "Savol raqam 24?")
        )

    def listed(url):
        page = client.get(url).get_data(as_text=True)
        return re.findall(r"Savol raqam (\d+)\?", page), page

    first, page = listed("/knowledge-base/")
    assert first == [str(i) for i in range(20)] and "25 questions" in page
    assert "Page 1 of 2" in page and "page=2#knowledge-gaps" in page
    second, _ = listed("/knowledge-base/?page=2")
    assert second == ["20", "21", "22", "23", "24"]
    assert listed("/knowledge-base/?page=99")[0] == second  # past the end: the last page
    assert client.get("/knowledge-base/?page=abc").status_code == 400  # routes/security.py
    response = client.post(f"/knowledge-base/answers/gaps/{last_id}/dismiss", data={"page": "2"})
    assert response.headers["Location"].endswith("/knowledge-base/?page=2#knowledge-gaps")
    assert listed("/knowledge-base/?page=2")[0] == ["20", "21", "22", "23"]
