"""Uzbek Latin → Uzbek Cyrillic, for the bot's fixed texts (the catalog holds only Latin).

kb/index.py has the opposite, lossy direction for search; this one aims at text a person
reads: o‘/g‘ in any apostrophe form, sh/ch, yo/yu/ya/ye, word-initial e → э, the tutuq belgisi
(ma’lumot → маълумот), and the letter case of each word.
"""

from __future__ import annotations

import re

# Every way people and fonts write the o‘/g‘ sign and the tutuq belgisi.
_MARKS = "‘ʻ'`’ʼ´"
_VOWELS = "aeiouаеёиоуэюяў"

# fmt: off
_SINGLE = {
    "a": "а", "b": "б", "c": "с", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "ҳ", "i": "и",
    "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "х", "y": "й", "z": "з",
}
# fmt: on
_PAIRS = {"sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю", "ya": "я", "ye": "е"}
_WORD = re.compile(rf"[A-Za-z{re.escape(_MARKS)}]+")


def _word(word: str) -> str:
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        ch, nxt = low[i], low[i + 1 : i + 2]
        after = low[i + 2 : i + 3]
        if ch in "og" and nxt and nxt in _MARKS:
            out.append("ў" if ch == "o" else "ғ")
            i += 2
        elif ch in _MARKS:
            # A tutuq belgisi inside a word (ma’lumot, sun’iy); a stray quote at an edge is kept.
            out.append("ъ" if 0 < i < len(low) - 1 else word[i])
            i += 1
        elif ch + nxt in _PAIRS and not (ch == "y" and after and after in _MARKS):
            # "yo‘q" is й + ў, not ё + ‘
            out.append(_PAIRS[ch + nxt])
            i += 2
        elif ch == "e" and (i == 0 or low[i - 1] in _VOWELS):
            out.append("э")
            i += 1
        else:
            out.append(_SINGLE.get(ch, word[i]))
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
