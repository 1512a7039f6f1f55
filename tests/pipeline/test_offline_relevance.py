"""The offline engine's relevance rule: the question's distinctive content must be covered."""

import pytest

from kb.index import RetrievalIndex
from kb.service import Passage
from pipeline.offline import best_units, required

BAKERY = [
    "Иш вақти: ҳар куни соат 7:00 дан 22:00 гача.\n\n"
    "Етказиб бериш Чилонзор туманида бепул, бошқа туманларга 20 000 сўм.\n\n"
    "Манзил: Чилонзор, Бунёдкор шоҳ кўчаси, 5. Телефон: +998 97 555 11 22.",
    "Маҳсулот: Сомса | Нарх: 8 000 сўм | Оғирлиги: 1 дона\n"
    "Маҳсулот: Медовик | Нарх: 150 000 сўм | Оғирлиги: 1,2 кг\n\n"
    "Тўйлар учун тўпламлар:\n"
    "Тўплам: Катта | Таркиби: 100 та сомса, 50 та нон | Нархи: 1 200 000 сўм",
]


def _answer(question: str, chunks=BAKERY) -> str:
    index = RetrievalIndex.build(chunks)
    passages = [Passage(i, i, text, 1.0) for i, text in enumerate(chunks)]
    return "\n".join(best_units([question], passages, index))


def test_a_short_question_must_be_covered_nearly_whole():
    assert required(1) == 1.0
    assert required(2) > 0.5  # one of two words is not enough
    assert all(required(n) >= required(n + 1) for n in range(1, 8))


@pytest.mark.parametrize(
    "question",
    [
        "телефон таъмирлайсизларми",  # shares "телефон" with the knowledge base, asks repair
        "avtomobil ijarasi bormi",
        "Do you have vegan sushi?",
    ],
)
def test_an_off_topic_question_sharing_one_word_is_not_answered(question):
    assert _answer(question) == ""


@pytest.mark.parametrize(
    "question,fact",
    [
        ("telefon raqamingiz", "+998 97 555 11 22"),  # the phone concept covers both words
        ("доставка есть?", "20 000 сўм"),  # Russian against Uzbek Cyrillic, by the glossary
        ("somsa qancha", "8 000 сўм"),  # not every row with "so'm" in it
        ("toy uchun toplam narxi", "1 200 000 сўм"),  # a row read with its table's intro
    ],
)
def test_an_on_topic_question_is_answered_with_its_unit(question, fact):
    assert fact in _answer(question)


def test_a_label_names_what_its_line_is_about():
    chunks = [
        "Посылки до 30 кг принимаем в любом филиале.\n\n"
        "Kuzatish: buyurtma raqamini saytimizga kiriting — example.uz/track."
    ]
    assert "example.uz/track" in _answer("posilka qanday kuzatiladi", chunks)
