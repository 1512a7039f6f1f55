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
from typing import TYPE_CHECKING

from kb.index import RetrievalIndex
from kb.service import Passage, index_for
from pipeline import replies
from text.alphabet import wordset
from text.glossary import Concept, mentioned
from text.match import Word, content_words, words

if TYPE_CHECKING:
    from models.knowledge_base import KnowledgeBase

# A unit answers when it holds at least this share of the question's (weighted) slots, by the
# number of slots: 1, 2, 3, 4, 5 or more.
_REQUIRED = (1.0, 0.55, 0.5, 0.45, 0.4)
ANSWER_CHARS = 300  # several units are joined only while the answer stays this short
MAX_UNITS = 3

LABEL_BOOST = 1.5
_LABEL = re.compile(r"^([^:|\d]{2,40}):\s*\S")
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


@dataclass
class _Slot:
    """One thing the question asks about: a content word, or the words a glossary concept
    takes up ("muddatli tolov"), covered by a unit holding the word or any of its terms."""

    words: list[Word]
    concept: Concept | None = None

    def covered_by(self, found: list[Word]) -> bool:
        if self.concept is not None and self.concept.in_words(found):
            return True
        return any(q.matches(u) for q in self.words for u in found)


def slots(question: list[Word]) -> list[_Slot]:
    """The question's content words grouped by the glossary concepts they mention; the two
    readings of an ambiguous Cyrillic word (Russian, Uzbek) are one slot."""
    by_surface: dict[str, list[Word]] = {}
    for w in question:
        by_surface.setdefault(w.surface, []).append(w)
    out, taken = [], set()
    for concept, at in mentioned(question):
        fresh = list(
            dict.fromkeys(question[i].surface for i in at if question[i].surface not in taken)
        )
        if fresh:
            out.append(_Slot([w for s in fresh for w in by_surface[s]], concept))
            taken.update(fresh)
    out += [_Slot(ws) for s, ws in by_surface.items() if s not in taken]
    return out


def required(n_slots: int) -> float:
    """The share of a question's weight a unit must cover: a short question must be covered
    (nearly) whole, so "телефон таъмирлайсизларми" is not answered with the phone number; in a
    long one some words are chatter."""
    return _REQUIRED[min(n_slots, len(_REQUIRED)) - 1]


def _idf(df: int, n: int) -> float:
    return math.log1p((n - df + 0.5) / (df + 0.5))


def _weights(
    question: list[_Slot], unit_words: list[list[Word]], index: RetrievalIndex | None
) -> list[float | None]:
    """How distinctive each slot is: Lucene idf among the units of the retrieved passages (in a
    small knowledge base every word is in every chunk) plus its idf in the knowledge base's
    chunks; None for a slot the knowledge base never uses."""
    n_units, n_chunks = len(unit_words), len(index) if index is not None else 1
    out: list[float | None] = []
    for slot in question:
        local = sum(slot.covered_by(found) for found in unit_words)
        chunk = max((index.stem_df(w.stem) for w in slot.words), default=0) if index else 0
        known = local or chunk
        out.append(_idf(max(local, 1), n_units) + _idf(max(chunk, 1), n_chunks) if known else None)
    return out


def coverage(
    question: list[_Slot], weights: list[float | None], unit_words: list[Word], label=()
) -> float:
    """Weighted share of the question's slots found in a unit. A slot its label names
    ("Kuzatish: ...", "Гарантия: ...") weighs more: the label is what the line is about. A slot
    the knowledge base never uses weighs as the heaviest: it may be the real subject of an
    off-topic question ("телефон таъмирлайсизларми"), so a unit without it does not answer."""
    known = [
        wt * LABEL_BOOST if wt is not None and label and slot.covered_by(label) else wt
        for slot, wt in zip(question, weights, strict=True)
    ]
    heaviest = max((wt for wt in known if wt is not None), default=1.0)
    got = total = 0.0
    for slot, wt in zip(question, known, strict=True):
        wt = heaviest if wt is None else wt
        total += wt
        got += wt if slot.covered_by(unit_words) else 0.0
    return got / total if total else 0.0


def _read(parts: list[tuple[str, str]]) -> list[tuple[list[Word], list[Word]]]:
    """(words, label words) of each unit. A row or list item is also read with the line that
    introduces its table or list ("Условия trade-in:"), as a CSV row is with its header."""
    out, intro = [], []
    for kind, text in parts:
        found = words(text)
        if kind in ("row", "item"):
            out.append((found + intro, []))
            continue
        intro = found if kind in ("heading", "question") else []
        label = _LABEL.match(text)
        out.append((found, words(label.group(1)) if label else []))
    return out


def best_units(
    questions: list[str], passages: list[Passage], index: RetrievalIndex | None
) -> list[str]:
    """The text units that answer the question (any of its readings), best first; [] if none."""
    readings = [slots(q) for q in (content_words(t) for t in questions) if q]
    if not readings or not passages:
        return []
    split = [units(p.text) for p in passages]
    found = [_read(parts) for parts in split]
    flat = [w for parts in found for w, _ in parts]
    weighted = [(q, _weights(q, flat, index), required(len(q))) for q in readings]
    direct = [([_Slot(s.words) for s in q], w) for q, w, _ in weighted]
    wants_amount = any(w.surface in _QUANTITY for t in questions for w in words(t)) or any(
        s.concept is not None and s.concept.wants_number for q in readings for s in q
    )
    scored: list[tuple[float, _Unit]] = []
    for rank, parts in enumerate(split):
        for i, (kind, text) in enumerate(parts):
            covered = [coverage(q, w, *found[rank][i]) for q, w, _ in weighted]
            passing = [c for c, (_, _, need) in zip(covered, weighted, strict=True) if c >= need]
            if not passing:
                continue
            # The question's own words (not glossary synonyms) break ties: an answer in the
            # language it was asked in.
            score = max(passing) + 0.02 * max(
                coverage(plain, w, found[rank][i][0]) for plain, w in direct
            )
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


# --- what the engine says without the AI ----------------------------------------------------
def offline_text(
    kb: KnowledgeBase | None, readings: list[str], passages: list[Passage]
) -> str | None:
    """The answering sentences/rows of the best passages, or None when nothing is relevant."""
    index = index_for(kb) if kb is not None else None
    found = best_units(readings, passages, index)
    return "\n".join(found) if found else None


def offline_answer(text: str | None, language: str, script: str = "latn") -> str:
    """No AI key: the answering units, introduced in the customer's language, or don't know."""
    if text is None:
        return replies.dont_know(language, script)
    return f"{replies.found_intro(language, script)}\n{text}"


@dataclass
class Found:
    """What the engine can say without the AI: the owner's own answer (verbatim), the answering
    units of the knowledge base (introduced), or nothing (don't know)."""

    text: str | None
    owner: bool = False

    def reply(self, language: str, script: str) -> str:
        return self.text if self.owner else offline_answer(self.text, language, script)
