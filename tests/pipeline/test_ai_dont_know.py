"""The AI's own "I don't know": the prompt asks for a fixed marker when the quoted data does not
answer; the engine strips it and records a knowledge gap (fake Gemini and OpenAI servers)."""

import pytest
from sqlalchemy import select

from extensions import db
from models.conversation import Message
from models.owner_answer import KnowledgeGap
from pipeline import replies
from pipeline.prompt import NO_ANSWER, said_no_answer
from tests.engine_helpers import KB_TEXT, add_kb, configured
from tests.fakes.openai_fake import DEFAULT_KEY as OPENAI_KEY
from tests.fakes.openai_fake import FakeOpenAI

OWNER_LANGUAGE = "en"
OWNER_KEY = "sk-owner-key-abcdefghijklmnop1234"


@pytest.fixture
def shop(app, owner):
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
    return owner


def _ask(client, text):
    response = client.post("/test-chat/send", json={"text": text})
    assert response.status_code == 200
    return response.json["text"]


def _gaps(app, user_id):
    with app.app_context():
        return [
            (g.question, g.count, g.platforms)
            for g in db.session.scalars(
                select(KnowledgeGap).where(KnowledgeGap.user_id == user_id)
            ).all()
        ]


@pytest.mark.parametrize(
    "question,said",
    [
        (
            "Ish vaqti qanday?",
            "Kechirasiz, bu haqda ma'lumotim yo'q. Savolingizni xodimga beraymi?",
        ),
        ("Сколько стоит доставка по Ташкенту?", "Извините, у меня нет этой информации."),
        ("Do you have a warranty?", "Sorry, I don't have that information."),
    ],
)
def test_the_ais_dont_know_is_stripped_of_its_marker_and_recorded_as_a_gap(
    client, app, gemini, shop, question, said
):
    # The file seems to answer each question (the offline engine would), the AI says it doesn't.
    gemini.reply_text = f"{NO_ANSWER} {said}"
    assert _ask(client, question) == said
    assert NO_ANSWER in gemini.last_prompt()
    assert _gaps(app, shop.id) == [(question, 1, ["web"])]
    with app.app_context():
        stored = db.session.scalar(
            select(Message.text).where(Message.direction == "out").order_by(Message.id.desc())
        )
    assert stored == said  # the marker is never shown nor kept in the conversation


def test_an_answer_without_the_marker_is_no_gap(client, app, gemini, shop):
    gemini.reply_text = "Har kuni 9:00 dan 21:00 gacha ishlaymiz."
    assert _ask(client, "Ish vaqti qanday?") == gemini.reply_text
    assert _gaps(app, shop.id) == []


def test_a_bare_marker_gets_the_fixed_dont_know_in_the_customers_language(
    client, app, gemini, shop
):
    gemini.reply_text = NO_ANSWER
    with app.test_request_context():
        expected = replies.dont_know("ru", "cyrl")
    assert _ask(client, "Сколько стоит доставка по Ташкенту?") == expected
    assert len(_gaps(app, shop.id)) == 1


@pytest.fixture(scope="module")
def openai_server():
    with FakeOpenAI(keys=(OPENAI_KEY, OWNER_KEY)) as server:
        yield server


def test_the_owners_openai_key_dont_know_is_a_gap_too(client, app, gemini, openai_server, shop):
    openai_server.reset()
    with configured(app, OPENAI_BASE_URL=f"{openai_server.url}/v1"):
        client.post("/assistant/openai-key", data={"api_key": OWNER_KEY})
        openai_server.reply_text = f"{NO_ANSWER}: Извините, этого я не знаю."
        assert _ask(client, "Есть ли гарантия на телефоны?") == "Извините, этого я не знаю."
    assert NO_ANSWER in openai_server.last_request().body.decode()
    assert _gaps(app, shop.id) == [("Есть ли гарантия на телефоны?", 1, ["web"])]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("[[NO_ANSWER]] Не знаю.", ("Не знаю.", True)),
        ("[NO_ANSWER] Bilmayman.", ("Bilmayman.", True)),
        ("NO_ANSWER: I don't know.", ("I don't know.", True)),
        ("Sorry, I don't know. [[no_answer]]", ("Sorry, I don't know.", True)),
        ("Delivery costs 15 000 so'm.", ("Delivery costs 15 000 so'm.", False)),
        ("  ", ("", False)),
    ],
)
def test_said_no_answer(text, expected):
    assert said_no_answer(text) == expected
