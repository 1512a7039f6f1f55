"""Are two questions worded alike? Read both as the retriever does (text.match: case,
apostrophes, Uzbek Cyrillic read in Latin, Russian stems, character 4-grams) and require most of
each one's content words in the other: "Доставка қанча туради?", "dostavka qancha" and
"Сколько стоит доставка?" meet on "доставка"; a question about delivery *and* returns is not
worded like one about delivery.
"""

from __future__ import annotations

from functools import lru_cache

from text.match import Word, content_words

# Shares of content words that have to match, both ways (asked → known, known → asked).
ASKED_SHARE = 0.5
KNOWN_SHARE = 0.75


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[Word, ...]:
    return tuple(content_words(text))


def _share(these: tuple[Word, ...], those: tuple[Word, ...]) -> float:
    if not these:
        return 0.0
    return sum(any(w.matches(o) for o in those) for w in these) / len(these)


def score(asked: str, known: str) -> float:
    """How alike a question is to a known one, in (0.5, 1]; 0 when they are not alike."""
    a, k = _words(asked or ""), _words(known or "")
    forward, backward = _share(a, k), _share(k, a)
    if forward < ASKED_SHARE or backward < KNOWN_SHARE:
        return 0.0
    return (forward + backward) / 2


def scores(asked: str, known: list[str]) -> list[float]:
    """score(asked, k) for each known question, the same figures, faster over many: a word
    can only match one with the same surface, the same stem or the same first three letters,
    so a known question with too few such words (the KNOWN_SHARE it must reach) is 0 at once."""
    a = _words(asked or "")
    if not a:
        return [0.0] * len(known)
    surfaces = {w.surface for w in a}
    stems = {w.stem for w in a}
    starts = {w.surface[:3] for w in a}
    found = []
    for text in known:
        k = _words(text or "")
        near = sum(w.surface in surfaces or w.stem in stems or w.surface[:3] in starts for w in k)
        found.append(score(asked, text) if k and near / len(k) >= KNOWN_SHARE else 0.0)
    return found
