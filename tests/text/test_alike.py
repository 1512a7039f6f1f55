"""text.alike.scores: the same figures as score, pair by pair, only cheaper over many."""

from text.alike import score, scores

QUESTIONS = [
    "Dostavka qancha turadi?",
    "Доставка қанча туради?",
    "Сколько стоит доставка по Ташкенту?",
    "skolko stoit dostavka",
    "How much is delivery to Samarkand?",
    "Yetkazib berish narxi qancha?",
    "Yetkazib berasizlarmi Samarqandga?",
    "Возврат и доставка",
    "Доставка и возврат товара, гарантия",
    "Kafolat necha oy?",
    "Гарантия сколько месяцев?",
    "Samsung A15 bormi?",
    "Samsung A15 narxi",
    "iPhone 15 Pro Max 256 GB",
    "Ish vaqti qanday?",
    "Иш вақти қандай?",
    "Do you work on Sundays?",
    "Yakshanba kuni ishlaysizmi?",
    "Somsa bormi?",
    "Narxi 100 so'm",
    "Kredit bormi, oyiga qancha foiz?",
    "Payme orqali to'lasa bo'ladimi?",
    "Можно оплатить через Payme?",
    "",
    "?",
    "salom",
]


def test_scores_are_score_pair_by_pair():
    for asked in QUESTIONS:
        assert scores(asked, QUESTIONS) == [score(asked, known) for known in QUESTIONS], asked


def test_the_figures_tell_alike_questions_from_others():
    found = scores("dostavka bormi", ["Сколько стоит доставка?", "Ish vaqti qanday?"])
    assert found[0] > 0 and found[1] == 0
