"""Words and tokens for the search: case folding, apostrophes, numbers, scripts, stopwords.

Text is case-folded; apostrophe variants (o‘ o' oʻ o’ o`) are dropped; diacritics are stripped;
thousands separators inside numbers are removed ("150 000" = "150000"). Uzbek Cyrillic is read
in Latin (text.script.fold_to_latin), so a Latin question finds Cyrillic text and the reverse.
Russian and Uzbek Cyrillic are told apart per text from the letters only one of them uses and a
few function words; when a text gives no evidence (a short question), its Cyrillic words are
analysed both ways. Function words of the three languages count only inside bigrams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from text.alphabet import (
    APOSTROPHES,
    CYRILLIC,
    DROP_APOSTROPHES,
    INNER_APOSTROPHES,
    RU_ONLY_CYRILLIC,
    UZ_ONLY_CYRILLIC,
    wordset,
)
from text.script import fold_to_latin
from text.stem import stemmers, uz_stem

# Thousands separators inside a number ("150 000", "150,000", "1.104") are dropped as well, so
# a price typed as "150000" finds "150 000 so'm".
_THOUSANDS_SEPARATORS = " \u00a0\u202f.,"
_DROP = str.maketrans(dict.fromkeys(APOSTROPHES + _THOUSANDS_SEPARATORS))
# A word is a number with thousands separators, or letters/digits that may carry apostrophes
# inside (o'zbek, don't; ʻ ʼ ʹ ʽ are word characters anyway).
_WORD = re.compile(
    rf"\d{{1,3}}(?:[ \u00a0\u202f.,]\d{{3}})+(?!\d)|\w+(?:[{INNER_APOSTROPHES}]\w+)*"
)
# The same two rules for a whole text, in normalize().
_THOUSANDS = re.compile(r"(\d)[ \u00a0\u202f.,](?=\d{3}(?!\d))")

# Latin letters that Unicode does not decompose into a base letter plus a mark.
_LATIN_EXTRA = str.maketrans({"ı": "i", "ſ": "s", "ø": "o", "đ": "d", "ł": "l", "ß": "ss"})


_UZ_CYR_WORDS = wordset(
    "ва билан учун бу бир эмас ёки эса деб эди сиз биз улар нима керак мумкин бор энг жуда "
    "борми неча нечта йил мен сен сизга бизга менга ким қанча қандай"
)
_RU_WORDS = wordset(
    "и в во на не что как это для по от из к о об но за при или его ее её их мы вы я ты он она "
    "они есть был была были быть так уже только если то же бы ли где когда какой какая какие "
    "сколько можно нужно нет да с со до после также"
)


# Function words of the three languages (folded, apostrophes dropped, ё as е). They match only
# inside bigrams: alone, in a small knowledge base where BM25's idf cannot tell them from
# content words, "Как можно оплатить?" would rank a chunk about "можно" first. Numbers and
# domain words are deliberately not listed.
_STOPWORDS = wordset(
    # English
    "a an the and or but if then else of at by for with about against between into through "
    "during before after above below to from up down in out on off over under again further "
    "once here there when where why how all any both each few more most other some such no nor "
    "not only own same so than too very can will just should now i me my myself we our ours "
    "ourselves you your yours yourself yourselves he him his himself she her hers herself it its "
    "itself they them their theirs themselves what which who whom whose this that these those am "
    "is are was were be been being have has had having do does did doing would could shall may "
    "might must also please "
    # Russian
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее "
    "мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был "
    "него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней "
    "для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того "
    "потому этого какой совсем ним здесь этом мой тем чтобы нее сейчас были куда зачем всех "
    "никогда можно при наконец об хоть над тот через эти нас про всего них какая разве эту моя "
    "впрочем свою этой перед иногда чуть том нельзя такой им всегда всю между это какие каких "
    "каком какую каким сколько чей чья чье чьи также ваш ваша ваше ваши вашего вашей мочь "
    "пожалуйста "
    # Uzbek (Latin; Cyrillic is transliterated before the check)
    "va bilan uchun bu shu ushbu u ular men sen biz siz ham esa lekin ammo biroq yoki agar chunki "
    "deb edi emas ekan mi bir har hamma barcha juda yana endi hali faqat hatto yani kabi haqida "
    "menga sizga bizga unga ularga mening sening bizning sizning uning ularning meni sizni bizni "
    "uni ularni buni shuni bunda shunda bunday shunday nima nimaga nimani nega qanday qanaqa "
    "qaysi qachon qayerda qayerga qayerdan kim kimga kimni necha nechta qancha mumkin kerak "
    "iltimos "
    "siz sizlar bor bormi yoq yoqmi"
)


def _cyrillic_language(text: str, words: Iterable[str]) -> str:
    """Return 'uz', 'ru' or 'both' for a case-folded text that contains Cyrillic."""
    uz = sum(text.count(c) for c in UZ_ONLY_CYRILLIC)
    ru = sum(text.count(c) for c in RU_ONLY_CYRILLIC)
    if uz == ru:
        # No letter evidence (typical of a short question): fall back on function words.
        for w in words:
            if w in _UZ_CYR_WORDS:
                uz += 1
            elif w in _RU_WORDS:
                ru += 1
    if uz > ru:
        return "uz"
    if ru > uz:
        return "ru"
    return "both"


def _strip_marks(word: str) -> str:
    """Drop diacritics from Latin letters (é → e, ş → s) so spelling variants meet."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word.translate(_LATIN_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_words(text: str) -> tuple[list[str], bool]:
    """Case-folded words, and whether they are Uzbek Cyrillic still to be transliterated.

    Otherwise Uzbek Cyrillic is already Latin, Russian stays Cyrillic (ё folded to е, as Russian
    users type it), and a text that cannot be told apart gives both readings of its words.
    """
    t = text.casefold()
    words = _WORD.findall(t)
    if not CYRILLIC.search(t):
        return words, False
    lang = _cyrillic_language(t, words)
    if lang == "uz":
        return words, True
    russian = [w.replace("ё", "е") for w in words] if "ё" in t else words
    if lang == "ru":
        return russian, False
    return russian + [fold_to_latin(w) for w in words if CYRILLIC.search(w)], False


def words_of(text: str) -> list[str]:
    """Case-folded words of a text, Uzbek Cyrillic transliterated (apostrophes still there)."""
    words, uz_cyrillic = split_words(text)
    return [fold_to_latin(w) for w in words] if uz_cyrillic else words


def normalize(text: str) -> str:
    """Case-fold, drop apostrophes, transliterate Cyrillic to Latin and strip diacritics."""
    t = _THOUSANDS.sub(r"\1", text.casefold())
    if CYRILLIC.search(t):
        if _cyrillic_language(t, _WORD.findall(t)) != "uz":
            t = t.replace("ё", "е")
        t = fold_to_latin(t)
    return _strip_marks(t.translate(DROP_APOSTROPHES))


class Words:
    """Distinct words split by script: what stemming and 4-grams need, in two steps."""

    def __init__(self, words: list[str]) -> None:
        """Fold apostrophes and diacritics; transliterate (Russian) Cyrillic surface forms."""
        n = len(words)
        self.latin_pos: list[int] = []
        self.latin: list[str] = []
        self.cyr_pos: list[int] = []
        self.cyr: list[str] = []
        for i, w in enumerate(words):
            if not (w.isascii() and w.isalnum()):
                # A lone apostrophe-like "word" (ʻ) would become empty: keep it as it is instead.
                w = w.translate(_DROP) or w
            if w.isascii():
                self.latin_pos.append(i)
                self.latin.append(w)
            elif CYRILLIC.search(w):
                self.cyr_pos.append(i)
                self.cyr.append(w)
            else:
                self.latin_pos.append(i)
                self.latin.append(_strip_marks(w) or w)
        self.surfaces = [""] * n
        self.stop = [False] * n
        for i, w in zip(self.latin_pos, self.latin, strict=True):
            self.surfaces[i] = w
            self.stop[i] = w in _STOPWORDS
        for i, w in zip(self.cyr_pos, self.cyr, strict=True):
            self.surfaces[i] = _strip_marks(fold_to_latin(w)) or w
            self.stop[i] = w in _STOPWORDS

    def stems(self) -> list[str]:
        """Snowball (English, then Uzbek suffixes; or Russian, then transliterated) stems."""
        en, ru = stemmers()
        stems = [""] * len(self.surfaces)
        for i, s in zip(self.latin_pos, en.stemWords(self.latin), strict=True):
            stems[i] = uz_stem(s)
        for i, s in zip(self.cyr_pos, ru.stemWords(self.cyr), strict=True):
            stems[i] = _strip_marks(fold_to_latin(s)) or s
        return stems


def analyse(words: list[str]) -> tuple[list[str], list[str], list[bool]]:
    """Return stems, transliterated surface forms and stopword flags of distinct words."""
    analysed = Words(words)
    return analysed.stems(), analysed.surfaces, analysed.stop


def tokenize(text: str) -> list[str]:
    """Stemmed, script-unified tokens of a text without stopwords (the index's word view)."""
    words = words_of(text)
    if not words:
        return []
    uniq = list(dict.fromkeys(words))
    stems, _, stop = analyse(uniq)
    by_word = {w: s for w, s, x in zip(uniq, stems, stop, strict=True) if not x}
    return [by_word[w] for w in words if w in by_word]
