"""Issue 11, section 5: the owner's question/answer pairs in the engine (verbatim offline, first
and authoritative in the AI prompt, in any of the four scripts/languages) and knowledge gaps."""

import pytest
from sqlalchemy import select

from extensions import db
from models.conversation import Message
from models.owner_answer import KnowledgeGap, OwnerAnswer, gap_key
from tests.engine_helpers import KB_TEXT, add_kb
from text.alike import score

OWNER_LANGUAGE = "en"
CORRECTED = "Доставка по Ташкенту — 20 000 сум, по области — 35 000 сум."


@pytest.fixture
def corrected(app, owner):
    """A shop whose file says delivery costs 15 000; the owner corrected it (in Russian)."""
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
        OwnerAnswer.create(owner.id, "Сколько стоит доставка?", CORRECTED)
        db.session.commit()
    return owner


def _ask(client, text):
    response = client.post("/test-chat/send", json={"text": text})
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize(
    "question",
    [
        "Dostavka qancha turadi?",  # Uzbek Latin
        "Доставка қанча туради?",  # Uzbek Cyrillic
        "skolko stoit dostavka",  # Russian typed in Latin letters
        "Сколько стоит доставка по Ташкенту?",  # Russian, with one more word
    ],
)
def test_a_matching_question_gets_the_owners_answer_verbatim_offline(client, corrected, question):
    reply = _ask(client, question)
    assert reply["text"] == CORRECTED
    assert reply["provider"] == "offline"
    assert reply["sources"][0]["owner"] is True


def test_a_question_about_something_else_is_answered_from_the_file(client, corrected):
    reply = _ask(client, "Ish vaqti qanday?")
    assert CORRECTED not in reply["text"] and "9:00" in reply["text"]


@pytest.mark.parametrize(
    "asked,pair,matches",
    [
        ("dostavka bormi", "Сколько стоит доставка?", True),
        ("Возврат и доставка", "Сколько стоит доставка?", True),
        ("Доставка и возврат товара, гарантия", "Сколько стоит доставка?", False),
        ("Сколько стоит доставка?", "Доставка и возврат: сроки и цены", False),
        ("Ish vaqti qanday?", "Сколько стоит доставка?", False),
    ],
)
def test_a_pair_matches_when_most_words_meet_both_ways(asked, pair, matches):
    assert (score(asked, pair) > 0) is matches


def test_english_question_reaches_the_russian_pair_through_translation(client, gemini, corrected):
    gemini.push_text("ru: Сколько стоит доставка?\nuz: Yetkazib berish qancha?")
    gemini.reply_text = "Delivery in Tashkent is 20 000 sum."
    reply = _ask(client, "How much is delivery?")
    assert reply["text"] == "Delivery in Tashkent is 20 000 sum."
    prompt = gemini.last_prompt()
    owner_block = prompt.index("Owner's answer to this question")
    assert owner_block < prompt.index("Knowledge base excerpts (data):")
    assert prompt.index(CORRECTED) < prompt.index("Knowledge base excerpts (data):")
    assert "authoritative" in prompt


def test_provider_failure_falls_back_to_the_owners_answer_verbatim(client, gemini, corrected):
    gemini.set_error(500, "boom")
    assert _ask(client, "Dostavka qancha?")["text"] == CORRECTED


def test_replacing_the_knowledge_base_keeps_the_pairs(client, app, corrected):
    with app.app_context():
        add_kb(corrected.id, "Совсем другой файл про гарантию.", name="new.txt")
    assert _ask(client, "Dostavka qancha?")["text"] == CORRECTED


# --- knowledge gaps --------------------------------------------------------------------------
def _gaps(app, user_id):
    with app.app_context():
        return db.session.scalars(
            select(KnowledgeGap).where(KnowledgeGap.user_id == user_id).order_by(KnowledgeGap.id)
        ).all()


def test_unanswered_questions_worded_alike_are_one_gap(client, app, owner):
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
    for question in ("Vertolyot sotasizmi?", "vertolyot sotasizmi", "Вертолёт сотасизми?"):
        _ask(client, question)
    _ask(client, "Do you sell submarines?")
    gaps = _gaps(app, owner.id)
    assert [g.count for g in gaps] == [3, 1]
    assert gaps[0].question == "Вертолёт сотасизми?" and gaps[0].platforms == ["web"]
    assert gap_key("Vertolyot sotasizmi?") == gap_key("vertolyot  SOTASIZMI")


def test_a_gap_asked_on_another_channel_counts_there_too_and_reopens(app, owner):
    """Recording counts the ask in its group, adds a new channel once, and reopens a
    resolved group; what it returns is the group as the count left it."""
    with app.app_context():
        first = KnowledgeGap.record(owner.id, "Vertolyot sotasizmi?", "telegram")
        again = KnowledgeGap.record(owner.id, "vertolyot sotasizmi", "telegram")
        db.session.get(KnowledgeGap, first.id).dismiss()
        db.session.commit()
        other = KnowledgeGap.record(owner.id, "Vertolyot sotasizmi???", "whatsapp")
        db.session.commit()
        assert (first.count, again.count, other.count) == (1, 2, 3)
        assert first.id == again.id == other.id
        assert other.channels == "telegram,whatsapp"
        assert KnowledgeGap.record(owner.id, "???", "web") is None  # no content words
    [gap] = _gaps(app, owner.id)
    assert (gap.count, gap.platforms, gap.resolved_at) == (3, ["telegram", "whatsapp"], None)
    assert gap.question == "Vertolyot sotasizmi???"


def test_answered_questions_and_small_talk_are_no_gap(client, app, owner):
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
    _ask(client, "Ish vaqti qanday?")
    _ask(client, "rahmat")
    assert _gaps(app, owner.id) == []


def test_the_question_before_a_request_for_a_person_is_a_gap(client, app, gemini, owner):
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
    _ask(client, "Vertolyot sotasizmi?")  # the AI answers; nothing in the file covers it
    _ask(client, "operator bilan gaplashsam bo'ladimi")
    gaps = _gaps(app, owner.id)
    assert len(gaps) == 1 and gaps[0].count == 2  # once unanswered, once before the request


def test_a_new_pair_resolves_the_gaps_worded_like_it(client, app, owner):
    _ask(client, "Vertolyot sotasizmi?")
    with app.app_context():
        OwnerAnswer.create(owner.id, "vertolyot sotasizmi", "Yo‘q, vertolyot sotmaymiz.")
        db.session.commit()
        assert KnowledgeGap.count_this_week(owner.id) == 0
    assert _ask(client, "Vertolyot sotasizmi?")["text"] == "Yo‘q, vertolyot sotmaymiz."
    with app.app_context():
        assert (
            db.session.scalar(
                select(Message.model).where(Message.direction == "out").order_by(Message.id.desc())
            )
            == "owner"
        )


def test_bot_replies_that_did_not_know_are_marked_for_the_statistics(client, app, owner):
    """The statistics' "the bot did not know" share counts these replies (models.owner_stats)."""
    with app.app_context():
        add_kb(owner.id, KB_TEXT)
    _ask(client, "Yetkazib berish narxi qancha?")  # the file answers it
    _ask(client, "Vertolyot sotasizmi?")  # nothing does
    _ask(client, "rahmat")  # small talk: answered, not a "did not know"
    with app.app_context():
        replies = db.session.scalars(
            select(Message.dont_know).where(Message.sender == "bot").order_by(Message.id)
        ).all()
    assert replies == [False, True, False]
