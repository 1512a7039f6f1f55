"""Word matching for answer relevance (text.match)."""

from text.match import content_words, words


def _word(text: str):
    return words(text)[0]


def test_a_short_stem_matches_with_a_noun_ending_only():
    assert _word("joyi").matches(_word("joy"))
    assert _word("kunda").matches(_word("kun"))
    # The suffix stripper takes "somsa" to "som": it is not the currency so'm.
    assert not _word("somsa").matches(_word("сўм"))


def test_a_shared_suffix_is_not_a_match():
    assert not _word("qiladi").matches(_word("yuboriladi"))
    assert _word("посылка").matches(_word("посылки"))


def test_question_verbs_and_latin_russian_function_words_carry_no_content():
    assert [w.surface for w in content_words("payme orqali tolasa boladimi")] == [
        "payme",
        "tolasa",
    ]
    assert [w.surface for w in content_words("parkovka est?")] == ["parkovka"]
