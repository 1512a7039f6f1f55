"""The owner's own answers in the engine: does a question match one of the owner's pairs?

A pair matches when its question is worded like the customer's (text.alike: the retriever's
normalisation, most content words in common both ways), in any reading of the customer's
question (both scripts, its translations).
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.service import Passage
from models.knowledge_base import KnowledgeBase
from models.owner_answer import OwnerAnswer
from pipeline.prompt import within_budget
from text.alike import score

PASSAGE_BUDGET = 2500


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


def best_match(user_id: int, readings: list[str]) -> Match | None:
    """The owner's pair that best matches any reading of the question, or None."""
    best: Match | None = None
    readings = [r for r in readings if (r or "").strip()]
    if not readings:
        return None
    for pair in OwnerAnswer.for_user(user_id):
        found = max(score(r, pair.question) for r in readings)
        # Newest first: an equal score keeps the most recent correction.
        if found > 0 and (best is None or found > best.score):
            best = Match(pair.id, pair.question, pair.answer, found)
    return best


def languages(kb: KnowledgeBase | None, user_id: int) -> list[str]:
    """The languages to translate a question into: the knowledge base's and the owner's pairs'."""
    langs = kb.main_languages() if kb is not None else []
    return langs + [lang for lang in OwnerAnswer.languages_for(user_id) if lang not in langs]


def first(pair: Match | None, passages: list[Passage]) -> list[Passage]:
    """The owner's matching answer goes first; the knowledge-base passages follow, in budget."""
    return within_budget([pair.passage(), *passages]) if pair is not None else passages
