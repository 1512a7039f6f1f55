"""The owner's own answers in the engine: does a question match one of the owner's pairs?

A pair matches when its question is worded like the customer's (text.alike: the retriever's
normalisation, most content words in common both ways), in any reading of the customer's
question (both scripts, its translations).

Scoring every pair of an owner on every message grows with the pairs; instead the pairs'
questions are indexed once per owner and process (kb.index, the same normalisation: a pair alike
to the question shares its stems and 4-grams, so it ranks among the first hits), and only the
first CANDIDATES hits of each reading are scored. The index is keyed by the pairs' version (one
aggregate query a message), so an added, edited or deleted pair is seen by every worker at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from extensions import db
from kb.index import RetrievalIndex
from kb.service import Passage
from models.knowledge_base import KnowledgeBase
from models.owner_answer import OwnerAnswer
from pipeline.prompt import within_budget
from text.alike import score
from text.match import content_words

PASSAGE_BUDGET = 2500
CANDIDATES = 40  # hits of each reading scored exactly
_CACHE_SIZE = 256  # owners' indexes kept per process (a pair's question is at most 500 chars)
_CACHE: OrderedDict[tuple, Pairs] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Match:
    pair_id: int
    question: str
    answer: str
    score: float

    def passage(self) -> Passage:
        """The pair as the prompt's first, authoritative passage (source "owner")."""
        text = f"Q: {self.question}\nA: {self.answer}"[:PASSAGE_BUDGET]
        return Passage(self.pair_id, -1, text, self.score, source="owner")


@dataclass(frozen=True)
class Pairs:
    """An owner's pair questions, indexed once per version: (id, question) by index position,
    and the languages they are written in (what a question is translated into)."""

    index: RetrievalIndex
    rows: list[tuple[int, str]]
    languages: list[str]

    def best_match(self, readings: list[str]) -> Match | None:
        """The pair that best matches any reading of the question, or None; an equal score
        keeps the most recent pair (the latest correction)."""
        readings = [r for r in readings if (r or "").strip()]
        if not readings:
            return None
        # Searched by the words text.alike compares, without the fillers ("bormi", "сколько").
        queries = [" ".join(w.surface for w in content_words(r)) for r in readings]
        candidates = {i for q in queries for i, _ in self.index.search(q, CANDIDATES)}
        rows = self.rows
        scored = [(max(score(r, rows[i][1]) for r in readings), rows[i][0]) for i in candidates]
        found, pair_id = max(scored, default=(0.0, 0))
        pair = db.session.get(OwnerAnswer, pair_id) if found > 0 else None
        return Match(pair.id, pair.question, pair.answer, found) if pair is not None else None


def pairs_of(user_id: int, version: tuple[int, int, str] | None = None) -> Pairs | None:
    """The owner's pairs, indexed (kept per process and version: one aggregate query, or the
    version the worker read with the message), or None when the owner has none."""
    version = OwnerAnswer.version(user_id) if version is None else version
    if not version[0]:
        return None
    key = (user_id, *version)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rows = OwnerAnswer.questions_of(user_id)
    entry = Pairs(
        RetrievalIndex.build([q for _, q, _ in rows]),
        [(pair_id, q) for pair_id, q, _ in rows],
        sorted({lang for _, _, lang in rows if lang}),
    )
    with _LOCK:
        for old in [k for k in _CACHE if k[0] == user_id]:
            del _CACHE[old]  # an older version of this owner's pairs
        _CACHE[key] = entry
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return entry


def best_match(user_id: int, readings: list[str]) -> Match | None:
    """The owner's pair that best matches any reading of the question, or None."""
    readings = [r for r in readings if (r or "").strip()]
    pairs = pairs_of(user_id) if readings else None
    return pairs.best_match(readings) if pairs is not None else None


def clear_cache() -> None:
    """Forget the indexed pairs (tests, benchmarks)."""
    with _LOCK:
        _CACHE.clear()


def languages(kb: KnowledgeBase | None, pairs: Pairs | None) -> list[str]:
    """The languages to translate a question into: the knowledge base's and the owner's pairs'."""
    langs = kb.main_languages() if kb is not None else []
    return langs + [lang for lang in (pairs.languages if pairs else []) if lang not in langs]


def first(pair: Match | None, passages: list[Passage]) -> list[Passage]:
    """The owner's matching answer goes first; the knowledge-base passages follow, in budget."""
    return within_budget([pair.passage(), *passages]) if pair is not None else passages
