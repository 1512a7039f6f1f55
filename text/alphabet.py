"""Letters and marks of Uzbek (Latin and Cyrillic) and Russian: the one definition of each."""

from __future__ import annotations

import re

# Every way people and fonts type the Uzbek o‘/g‘ sign and the tutuq belgisi (ma’lumot), and
# English apostrophes. Retrieval drops them, detection folds them to "'", the script converter
# reads them as the sign.
APOSTROPHES = "'`´‘’‛′ʻʼʹʽ"
# The ones that are not word characters (ʻ ʼ ʹ ʽ are \w already): a word pattern has to allow
# these inside a word explicitly (o'zbek, don't).
INNER_APOSTROPHES = "".join(c for c in APOSTROPHES if not re.match(r"\w", c))
# str.translate table that drops them all.
DROP_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHES))

# Cyrillic letters only Uzbek uses, and letters only Russian uses (Uzbek Cyrillic has no ы, щ).
UZ_ONLY_CYRILLIC = frozenset("ўқғҳ")
RU_ONLY_CYRILLIC = frozenset("ыщ")
CYRILLIC_VOWELS = "аеёиоуэюяў"
LATIN_VOWELS = "aeiou"
# Any character of the Cyrillic block.
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# The base Cyrillic → Latin table: Uzbek Cyrillic to the official Uzbek Latin (o‘ g‘ with the
# turned comma, ъ as the tutuq belgisi), Russian-only letters as Uzbek writes loanwords, and the
# extra letters of the neighbouring Cyrillic alphabets (Ukrainian, Kazakh, Tajik) to their
# nearest Latin letter. The readable and the search reading are both derived from it
# (text.script), so they cannot disagree on a letter.
# fmt: off
CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "x", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "’", "ы": "i", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ў": "o‘", "қ": "q", "ғ": "g‘", "ҳ": "h", "і": "i", "ї": "yi", "є": "ye",
    "ґ": "g", "ә": "a", "ө": "o", "ү": "u", "ң": "ng", "һ": "h", "ҷ": "j",
}
# The base Uzbek Latin → Cyrillic table: single letters, then the digraphs that are one letter.
LATIN_TO_CYRILLIC = {
    "a": "а", "b": "б", "c": "с", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "ҳ", "i": "и",
    "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "х", "y": "й", "z": "з",
}
LATIN_DIGRAPHS = {"sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю", "ya": "я", "ye": "е"}
# fmt: on


def wordset(text: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words of text (how word lists are written)."""
    return frozenset(text.split())
