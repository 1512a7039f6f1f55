"""The uz/ru/en small-business glossary: concepts found in any script, used to expand queries."""

import pytest

from text.glossary import expand, mentioned
from text.match import content_words, words


def _names(text: str) -> set[str]:
    return {concept.name for concept, _ in mentioned(content_words(text))}


@pytest.mark.parametrize(
    "text,concept",
    [
        ("muddatli tolov bormi", "installment"),  # Uzbek Latin, no apostrophe
        ("есть рассрочка?", "installment"),
        ("is there parking?", "parking"),
        ("доставка есть?", "delivery"),
        ("етказиб берасизларми", "delivery"),  # Uzbek Cyrillic, prefix term
        ("yetkazib berish bormi", "delivery"),
        ("сколько стоит доставка в Бухару", "bukhara"),  # Russian case ending
        ("Buxoroga necha kunda", "bukhara"),
    ],
)
def test_a_concept_is_found_in_every_language_and_script(text, concept):
    assert concept in _names(text)


def test_expansion_adds_the_other_languages_terms():
    expanded = expand("muddatli tolov bormi")
    assert expanded.startswith("muddatli tolov bormi ")
    assert "рассрочка" in expanded and "installment" in expanded
    assert "парковка" in expand("is there parking?")


def test_a_question_without_a_concept_is_not_expanded():
    assert expand("kvartira ijaraga berasizlarmi") is None
    assert _names("Do you sell laptops?") == set()


def test_concept_terms_match_exact_words_only():
    # 4-gram likeness would read the payment app "Payme" as "payment".
    assert "payment" not in _names("Payme")
    assert "payment" in _names("tolov qanday")


def test_a_sentence_in_another_script_holds_the_concept():
    (delivery, _), *_ = mentioned(content_words("доставка"))
    assert delivery.in_words(words("Етказиб бериш Чилонзор туманида бепул."))
    assert not delivery.in_words(words("Манзил: Чилонзор, Бунёдкор шоҳ кўчаси, 5."))
