"""The offline answer: the sentence(s), list item(s) or table row(s) that answer the question,
chosen inside the best passages, never a chunk dump and never cut mid-sentence.

Relevance is judged per unit (sentence, row, item) with text.match, the retriever's own
normalisation, each question word weighted by how rare it is in the knowledge base (the index's
document frequency): "sell" matches many chunks and says little, "helicopter" decides. "I don't
know" only when no unit of the best passages covers enough of the question.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kb.index import RetrievalIndex
from kb.service import Passage
from text.alphabet import wordset
from text.match import Word, content_words, words

# A unit answers when it holds at least this share of the question's (weighted) content.
THRESHOLD = 0.33
ANSWER_CHARS = 300  # several units are joined only while the answer stays this short
MAX_UNITS = 3

_ROW = re.compile(r"\s\|\s|^[^:\n]{1,60}:\s*\S")
_ITEM = re.compile(r"^\s*(?:[-•*–·]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”)]*\s+(?=[\"«(]?[A-ZА-ЯЁЎҚҒҲ0-9])")
_ABBREVIATION = re.compile(r"(?:^|\s)[^\W\d_]{1,3}\.$")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
# Words that ask for an amount: a unit with a number answers them better than one without.
_QUANTITY = wordset(
    "qancha necha narx narxi price cost much many сколько сколко скока стоит стоимость цена почем"
)


@dataclass
class _Unit:
    text: str
    passage: int  # rank of its passage among the retrieved ones
    index: int  # position among the units of its passage
    kind: str  # sentence, row, item, heading, question


def units(text: str) -> list[tuple[str, str]]:
    """(kind, text) of a passage: rows and list items as they are, paragraphs rejoined across
    hard line breaks (PDF) and split into sentences."""
    out: list[tuple[str, str]] = []
    text = _HYPHEN_BREAK.sub(r"\1\2", text.replace("\r", ""))
    for para in re.split(r"\n\s*\n", text):
        plain: list[str] = []
        for line in para.split("\n"):
            line = " ".join(line.split())
            if not line:
                continue
            if " | " in line or _ITEM.match(line):
                out.extend(_sentences(plain))
                plain = []
                out.append(("row" if " | " in line else "item", line))
            elif _ROW.match(line) and plain:
                out.extend(_sentences(plain))
                plain = [line]
            else:
                plain.append(line)
        out.extend(_sentences(plain))
    return out


def _sentences(lines: list[str]) -> list[tuple[str, str]]:
    if not lines:
        return []
    para = " ".join(lines)
    pieces: list[str] = []
    for s in _SENTENCE_END.split(para):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] += " " + s  # "ул. Амира Темура": an abbreviation, not a sentence end
        else:
            pieces.append(s)
    out = []
    for s in pieces:
        s = s.strip()
        if not s:
            continue
        if s.endswith("?") or s.endswith(":"):
            kind = "question"
        elif len(s) < 50 and not re.search(r"[.!:;\d]", s):
            kind = "heading"
        else:
            kind = "sentence"
        out.append((kind, s))
    return out


def _weights(question: list[Word], index: RetrievalIndex | None) -> list[float]:
    """Lucene idf of each question word in the knowledge base (rare words weigh more). A word
    the knowledge base never uses weighs as its rarest word: it may be a synonym, a typo or
    another language, and must not outweigh the words that do match."""
    n = len(index) if index is not None else 1
    out = []
    for w in question:
        df = index.stem_df(w.stem) if index is not None else 0
        out.append(math.log1p((n - max(df, 1) + 0.5) / (max(df, 1) + 0.5)) or 1.0)
    return out


def coverage(question: list[Word], weights: list[float], unit_words: list[Word]) -> float:
    """Weighted share of the question's content words found in a unit."""
    total = sum(weights)
    if not total:
        return 0.0
    got = sum(
        wt for q, wt in zip(question, weights, strict=True) if any(q.matches(u) for u in unit_words)
    )
    return got / total


def best_units(
    questions: list[str], passages: list[Passage], index: RetrievalIndex | None
) -> list[str]:
    """The text units that answer the question (any of its readings), best first; [] if none."""
    readings = [q for q in (content_words(t) for t in questions) if q]
    if not readings or not passages:
        return []
    weighted = [(q, _weights(q, index)) for q in readings]
    wants_amount = any(w.surface in _QUANTITY for t in questions for w in words(t))
    scored: list[tuple[float, _Unit]] = []
    split = [units(p.text) for p in passages]
    for rank, parts in enumerate(split):
        for i, (kind, text) in enumerate(parts):
            found = words(text)
            score = max(coverage(q, w, found) for q, w in weighted)
            if score < THRESHOLD:
                continue
            score -= 0.01 * rank  # the retriever's order breaks ties
            if wants_amount and re.search(r"\d", text):
                score += 0.05
            scored.append((score, _Unit(text, rank, i, kind)))
    if not scored:
        return []
    scored.sort(key=lambda s: -s[0])
    top_score, top = scored[0]
    chosen = [top]
    if top.kind in ("question", "heading"):
        # A FAQ question or a heading matches the question best; its answer is what follows.
        following = split[top.passage][top.index + 1 : top.index + 3]
        chosen = [_Unit(t, top.passage, top.index + 1 + j, k) for j, (k, t) in enumerate(following)]
        chosen = chosen[:1] if chosen and len(chosen[0].text) > 120 else chosen
        chosen = chosen or [top]
    elif top.kind in ("row", "item"):
        # Rows as good as the best (several models, several prices) are shown together.
        for score, unit in scored[1:]:
            if len(chosen) < MAX_UNITS and unit.kind == top.kind and score >= top_score - 0.02:
                chosen.append(unit)
    out, used = [], 0
    for unit in chosen:
        if out and used + len(unit.text) > ANSWER_CHARS:
            break
        out.append(unit.text)
        used += len(unit.text)
    return out
