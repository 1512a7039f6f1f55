"""Word matching for answer relevance, with exactly the retriever's normalisation.

The retrieval index (kb.index) reads text through text.tokens: case folding, apostrophes
dropped, Uzbek Cyrillic read in Latin, Russian stemmed in Cyrillic then transliterated, Latin
words stemmed (English, then Uzbek suffixes), stopwords marked. `content_words` is that same
reading of a text, per word, so "is this sentence an answer?" is judged the way retrieval ranked
it: a question word matches a sentence word with the same stem, or with most of the same
character 4-grams (the index's second view: inflection, spelling variants, transliteration).

`script_variants` is the conversion applied to a question before retrieval: Russian typed in
Latin letters ("skolko stoit dostavka") is also read in Cyrillic.
"""

from __future__ import annotations

from dataclasses import dataclass

from text.alphabet import wordset
from text.detect import detect
from text.script import translit_to_cyrillic
from text.tokens import analyse, words_of

# Question words and politeness that are not stopwords of the index but carry no content.
# Folded as the index folds them (Uzbek Cyrillic in Latin, apostrophes dropped).
_FILLER = wordset(
    "hello hi thanks thank salom assalomu alaykum rahmat bormi bor yoq yuq qanaqa necha pul "
    "narxi turadi sotiladi bilsam bilmoqchi edim aytib bering ayting bering kerak edi "
    "здравствуйте привет спасибо скажите подскажите пожалуйста хочу хотел хотела узнать "
    "сколько сколко скока стоит стоят почем есть у вас какие какая какой какой-то тоже "
    "tell know want would like much many there your "
    # verbs and postpositions any question carries ("can one pay through Payme?")
    "boladi boladimi bolsa mumkinmi qilsa qiladi qilasiz qilasizlar qilish orqali "
    "bersa beradi berasiz berasizmi berasizlarmi give offer provide get have "
    "можно нужно надо ли "
    # Russian function words typed in Latin letters ("parkovka est?")
    "est yest li u vas kak gde kakoy kakaya kakie skolko stoit mozhno nuzhno eto"
)
_GRAM = 4


@dataclass(frozen=True)
class Word:
    """One word as the retriever reads it: stem, folded surface and its character 4-grams."""

    stem: str
    surface: str
    grams: frozenset[str]
    stop: bool

    def same(self, other: Word) -> bool:
        """Same surface, or same stem (of 4 letters or more, or a short stem with at most a noun
        ending: the Uzbek suffix stripper takes "somsa" to "som", the currency)."""
        if self.surface == other.surface:
            return True
        return self.stem == other.stem and (len(self.stem) >= 4 or _inflected(self, other))

    def matches(self, other: Word) -> bool:
        """The same word, or the same beginning and most of the shorter word's 4-grams in
        common. The beginning is the root: Uzbek words share suffixes ("-iladi")."""
        if self.same(other):
            return True
        if self.surface.isdigit() or other.surface.isdigit():
            return False
        small = min(len(self.grams), len(other.grams))
        if small < 3 or self.surface[:3] != other.surface[:3]:
            return False  # short words: a 4-gram overlap would be chance
        return len(self.grams & other.grams) / small >= 0.6


# Uzbek noun endings: "joyi", "kunda", "nonni" are the short words "joy", "kun", "non". Other
# endings on a 3-letter stem are a guess of the suffix stripper ("somsa" is not "so'm" + "-sa").
_NOUN_ENDINGS = wordset(
    "i si ni ga ka qa da ta dan ning lar lari larni larda im ing imiz ingiz miz niz gi"
)


def _inflected(a: Word, b: Word) -> bool:
    """Whether two words sharing a short stem are that stem with (at most) a noun ending."""
    return all(w.surface == w.stem or w.surface[len(w.stem) :] in _NOUN_ENDINGS for w in (a, b))


def _grams(surface: str) -> frozenset[str]:
    marked = f"#{surface}#"
    return frozenset(marked[i : i + _GRAM] for i in range(max(1, len(marked) - _GRAM + 1)))


def words(text: str) -> list[Word]:
    """Every distinct word of a text as the retriever reads it."""
    uniq = list(dict.fromkeys(words_of(text)))
    if not uniq:
        return []
    stems, surfaces, stop = analyse(uniq)
    return [
        Word(st, su, _grams(su), x or su in _FILLER or w in _FILLER)
        for w, st, su, x in zip(uniq, stems, surfaces, stop, strict=True)
    ]


def content_words(text: str) -> list[Word]:
    """The words of a question that an answer has to contain (no stopwords, no filler)."""
    return [w for w in words(text) if not w.stop and (len(w.surface) >= 3 or w.surface.isdigit())]


def script_variants(text: str) -> list[str]:
    """The question and its other script reading: Latin-typed Russian read in Cyrillic."""
    found = detect(text)
    if found is not None and found.lang == "ru" and found.script == "latn":
        converted = " ".join(translit_to_cyrillic(w) for w in text.casefold().split())
        if converted != text:
            return [text, converted]
    return [text]
