"""Uzbek Cyrillic ↔ Latin: the readable conversions and the lossy one retrieval searches with.

All of them are derived from the base tables in text.alphabet. They differ on purpose:

* latin_to_cyrillic: the bot's fixed texts (the catalog holds only Latin) for a person to read:
  o‘/g‘ in any apostrophe form, sh/ch, yo/yu/ya/ye, word-initial e → э, the tutuq belgisi
  (ma’lumot → маълумот) and the letter case of each word.
* cyrillic_to_latin: Uzbek Latin as people type it (o' g' with a plain apostrophe), which is
  how the language detector reads a Cyrillic message in Latin.
* fold_to_latin: the search reading: the same letters with every apostrophe dropped, because
  people type "ozbek" as often as "o‘zbek" and a search must find both.
* translit_to_cyrillic: a chat-typed Latin word read in Cyrillic for the detector, which must
  also understand Russian translit (h and kh are х, c and ts are ц, zh is ж, j after a vowel is й).
"""

from __future__ import annotations

import re

from text.alphabet import (
    APOSTROPHES,
    CYRILLIC_TO_LATIN,
    CYRILLIC_VOWELS,
    DROP_APOSTROPHES,
    LATIN_DIGRAPHS,
    LATIN_TO_CYRILLIC,
    LATIN_VOWELS,
)

_TO_ASCII = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
_TYPED = str.maketrans({c: v.translate(_TO_ASCII) for c, v in CYRILLIC_TO_LATIN.items()})
_FOLDED = str.maketrans({c: v.translate(DROP_APOSTROPHES) for c, v in CYRILLIC_TO_LATIN.items()})
# Uzbek Cyrillic "е" is "ye" at the start of a word and after a vowel or a sign (ер → yer).
_YE = re.compile(rf"(?:(?<=[{CYRILLIC_VOWELS}ъь])|(?<![^\W\d_]))е")


def cyrillic_to_latin(text: str) -> str:
    """Lower-case Cyrillic to Uzbek Latin as typed (o' g' with "'"; Russian as plain translit)."""
    return _YE.sub("ye", text).translate(_TYPED)


def fold_to_latin(text: str) -> str:
    """Case-folded Cyrillic to Uzbek Latin without apostrophes (the search reading)."""
    return _YE.sub("ye", text).translate(_FOLDED)


# ----------------------------------------------------------------------------- Latin → Cyrillic

_WORD = re.compile(rf"[A-Za-z{re.escape(APOSTROPHES)}]+")
_VOWELS = LATIN_VOWELS + CYRILLIC_VOWELS


def _word(word: str) -> str:
    """One Uzbek Latin word in Uzbek Cyrillic, keeping its letter case."""
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        ch, nxt = low[i], low[i + 1 : i + 2]
        after = low[i + 2 : i + 3]
        if ch in "og" and nxt and nxt in APOSTROPHES:
            out.append("ў" if ch == "o" else "ғ")
            i += 2
        elif ch in APOSTROPHES:
            # A tutuq belgisi inside a word (ma’lumot, sun’iy); a stray quote at an edge is kept.
            out.append("ъ" if 0 < i < len(low) - 1 else word[i])
            i += 1
        elif ch + nxt in LATIN_DIGRAPHS and not (ch == "y" and after and after in APOSTROPHES):
            # "yo‘q" is й + ў, not ё + ‘
            out.append(LATIN_DIGRAPHS[ch + nxt])
            i += 2
        elif ch == "e" and (i == 0 or low[i - 1] in _VOWELS):
            out.append("э")
            i += 1
        else:
            out.append(LATIN_TO_CYRILLIC.get(ch, word[i]))
            i += 1
    text = "".join(out)
    if word.isupper() and len(word) > 1:
        return text.upper()
    if word[:1].isupper():
        return text[:1].upper() + text[1:]
    return text


def latin_to_cyrillic(text: str) -> str:
    """Transliterate Uzbek Latin text to Uzbek Cyrillic; digits, punctuation and spacing stay."""
    return _WORD.sub(lambda m: _word(m.group()), text)


# Russian translit on top of the Uzbek tables: h is х there (horosho), not ҳ; c is ц; a
# letter-final apostrophe is ь; and the Russian digraphs.
_READ_ONE = {**LATIN_TO_CYRILLIC, "h": "х", "c": "ц", "'": "ь"}
_READ_MULTI = {
    **LATIN_DIGRAPHS,
    "shch": "щ", "sch": "щ", "yo'": "йў", "o'": "ў", "g'": "ғ", "zh": "ж", "kh": "х",
    "ts": "ц", "iy": "ий", "yy": "ый",
}  # fmt: skip
_READ_RE = re.compile(r"shch|sch|yo'|[og]'|zh|kh|ts|ch|sh|y[uaoe]|iy|yy|.", re.DOTALL)
_READ_VOWELS = frozenset(LATIN_VOWELS + "y")


def translit_to_cyrillic(word: str) -> str:
    """Read a Latin word the way Russian translit and Uzbek Latin both map to Cyrillic."""

    def sub(m: re.Match[str]) -> str:
        s = m.group()
        pos = m.start()
        prev = word[pos - 1] if pos else ""
        if s == "ye":
            # "novye" is ые, "yest"/"moye" is е.
            return "ые" if prev and prev not in _READ_VOWELS and prev != "'" else "е"
        if s in _READ_MULTI:
            return _READ_MULTI[s]
        if s == "y":
            return "ы" if prev and prev not in _READ_VOWELS and prev != "'" else "й"
        if s == "e":
            # Both Russian ("eto") and Uzbek ("emas") write a word-initial e as э.
            return "э" if not prev else "е"
        if s == "j":
            nxt = word[pos + 1 : pos + 2]
            # Russian translit writes й as j after a vowel ("dobryj", "moj").
            return "й" if prev in _READ_VOWELS and prev and nxt not in _READ_VOWELS else "ж"
        return _READ_ONE.get(s, s)

    return _READ_RE.sub(sub, word)
