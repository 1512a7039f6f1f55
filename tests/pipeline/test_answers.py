"""Issue 11: offline answers that answer, small talk, cross-language questions, follow-ups and the
Telegram reply language (fake Gemini for the translation call)."""

import pytest
from sqlalchemy import select

from extensions import db
from models.conversation import Conversation
from models.knowledge_base import KnowledgeBase
from pipeline.language import reply_language
from pipeline.offline import units
from tests.engine_helpers import add_kb

OWNER_LANGUAGE = "en"

RU_KB = (
    "Доставка по Ташкенту стоит 25 000 сум, при заказе от 2 000 000 сум доставка\n"
    "бесплатная. В регионы доставляем за 2–3 дня.\n\n"
    "Рассрочка: оформляем рассрочку на 6 и 12 месяцев через Uzum Nasiya, нужен паспорт.\n\n"
    "Адрес: ул. Амира Темура, 15. Парковка есть во дворе.\n\n"
    "Модель: iPhone 15 | Цена: 11 900 000 сум | Память: 128 ГБ\n"
    "Модель: Samsung Galaxy A55 | Цена: 4 350 000 сум | Память: 128 ГБ\n" + "Прочее. " * 150
)


@pytest.fixture
def ru_owner(app, owner):
    with app.app_context():
        add_kb(owner.id, RU_KB)
    return owner


def _ask(client, text):
    response = client.post("/test-chat/send", json={"text": text})
    assert response.status_code == 200
    return response.json["text"]


@pytest.mark.parametrize(
    "question,fact",
    [
        ("skolko stoit dostavka po tashkentu", "25 000 сум"),
        ("dostavka toshkentga qancha", "25 000 сум"),
        ("rassrochka bormi", "Uzum Nasiya"),
        ("adres kakoy", "Амира Темура, 15"),
        ("samsung a55 narxi", "4 350 000 сум"),
    ],
)
def test_offline_answer_is_the_answering_sentence_or_row(client, ru_owner, question, fact):
    text = _ask(client, question)
    assert fact in text
    assert len(text) < 300 and "Прочее" not in text  # the unit, not the chunk
    assert "\n" not in text.split("\n", 1)[1] or "|" in text  # PDF line breaks rejoined


def test_a_row_is_shown_as_header_value_pairs_and_not_mixed_with_others(client, ru_owner):
    text = _ask(client, "Цена iPhone 15?")
    assert "Модель: iPhone 15 | Цена: 11 900 000 сум" in text
    assert "Samsung" not in text


def test_hard_line_breaks_are_rejoined_and_sentences_kept_whole():
    parts = units(
        "Доставка по Ташкенту стоит 25 000 сум, при заказе\nот 2 000 000 сум.\n\nАдрес: ул. Ленина, 5."
    )
    assert (
        "sentence",
        "Доставка по Ташкенту стоит 25 000 сум, при заказе от 2 000 000 сум.",
    ) in parts
    assert ("sentence", "Адрес: ул. Ленина, 5.") in parts


def test_follow_up_uses_the_previous_question(client, ru_owner):
    assert "4 350 000" in _ask(client, "Сколько стоит Samsung Galaxy A55?")
    assert "25 000 сум" in _ask(client, "а доставка?")


def test_off_topic_gets_dont_know(client, ru_owner):
    assert "нет ответа" in _ask(client, "Вы продаете холодильники?")


@pytest.mark.parametrize(
    "message,expected",
    [
        ("Assalomu alaykum", "Assalomu alaykum! Sizga qanday yordam bera olaman?"),
        ("Ассалому алайкум", "Ассалому алайкум! Сизга қандай ёрдам бера оламан?"),
        ("Здравствуйте", "Здравствуйте! Чем могу помочь?"),
        ("rahmat", "Arzimaydi! Yana biror narsada yordam bera olamanmi?"),
        ("спасибо", "Пожалуйста! Могу ли я ещё чем-нибудь помочь?"),
        ("thanks!", "You are welcome! Is there anything else I can help with?"),
        ("вы бот?", "Я виртуальный помощник этой компании."),
    ],
)
def test_small_talk_gets_a_short_fixed_answer_in_the_customers_script(
    client, ru_owner, message, expected
):
    assert _ask(client, message).startswith(expected)


def test_a_request_for_a_person_flags_the_conversation(client, app, ru_owner):
    assert "передал ваш запрос" in _ask(client, "позовите оператора")
    with app.app_context():
        conv = db.session.scalar(select(Conversation).where(Conversation.user_id == ru_owner.id))
        assert conv.needs_human_at is not None
    assert "Asked for a person" in client.get("/conversations").get_data(as_text=True)


def test_kb_main_languages_are_detected_once_and_stored(app, ru_owner):
    with app.app_context():
        kb = KnowledgeBase.active_for(ru_owner.id)
        assert kb.languages == "ru"
        kb.languages = None  # a row from before the column: detected when first needed
        assert kb.main_languages() == ["ru"] and kb.languages == "ru"


def test_question_is_translated_into_the_kb_language_once_and_cached(client, gemini, ru_owner):
    gemini.push_text("ru: Есть ли у вас парковка?")
    _ask(client, "is there a car park?")
    translation, _answering = gemini.generate_requests()[-2:]
    assert b"Russian" in translation.body and b"car park" in translation.body
    assert "Парковка есть" in gemini.last_prompt()  # found through the translation
    calls = len(gemini.generate_requests())
    _ask(client, "Is there a car park?")  # same normalised question: no second translation
    assert len(gemini.generate_requests()) == calls + 1


def test_failed_translation_goes_on_with_the_original_question(client, gemini, ru_owner):
    gemini.push_error(500, "boom")
    assert _ask(client, "dostavka toshkentga qancha") == gemini.reply_text
    assert "25 000 сум" in gemini.last_prompt()


def test_provider_failure_falls_back_to_the_offline_answer(client, gemini, ru_owner):
    gemini.set_error(500, "boom")
    assert "25 000 сум" in _ask(client, "Сколько стоит доставка по Ташкенту?")


@pytest.mark.parametrize(
    "chosen,text,expected",
    [
        (False, "Здравствуйте, сколько стоит доставка?", "ru"),
        (False, "Yetkazib berish narxi qancha?", "uz"),
        (False, "ok", "en"),  # the detector cannot decide: the owner's default
        (True, "Здравствуйте, сколько стоит доставка?", "uz"),  # picked: the picked language
    ],
)
def test_telegram_reply_follows_the_message_until_a_language_is_picked(chosen, text, expected):
    conv = Conversation(platform="telegram", language="uz" if chosen else None)
    conv.language_chosen = chosen
    assert reply_language(conv, text, "en")[0] == expected


@pytest.mark.parametrize(
    "kb_languages,own",
    [(["ru"], 0.0), (["ru", "en"], 1.0), ([], 0.0)],
)
def test_the_translated_question_keeps_its_own_weight_only_where_the_kb_uses_its_language(
    kb_languages, own
):
    from pipeline.engine import queries_for

    groups = queries_for(
        "Is there a car park?", translations={"ru": "Есть парковка?"}, kb_languages=kb_languages
    )
    assert groups[0] == [("Есть парковка?", 1.0)]
    assert groups[1] == [("Is there a car park?", own)]


def test_untranslated_readings_are_one_group_with_glossary_terms():
    from pipeline.engine import queries_for

    (group,) = queries_for("skolko stoit dostavka")
    assert group[0] == ("skolko stoit dostavka", 1.0)
    assert ("сколко стоит доставка", 1.0) in group  # read in Cyrillic, letter by letter
    assert any(w == 0.5 and "доставка" in t for t, w in group[2:])
