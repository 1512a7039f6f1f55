"""The one brain behind every channel: language → retrieval → bounded prompt → AI → reply text.

`answer(conversation, text)` never raises. Deciding whether to answer a stored message, and
sending the reply, is the worker's job (pipeline/worker.py).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ai import AIError, AIRequest, ProviderSettings
from extensions import db
from kb.index import FALLBACK, Readings
from kb.service import Passage, search_fused
from models.ai_config import AIConfig
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase
from pipeline import owner_answers, providers, replies
from pipeline.language import reply_language
from pipeline.offline import Found, offline_text
from pipeline.prompt import TOP_K, build_prompt, said_no_answer, within_budget
from pipeline.translate import targets_for, translate
from pipeline.waiting import Known
from text.detect import detect
from text.glossary import expand
from text.match import content_words, script_variants
from text.smalltalk import intent

log = logging.getLogger(__name__)


@dataclass
class EngineReply:
    """What the engine produced for one question."""

    text: str
    language: str
    status: str = "answered"  # answered, failed
    provider: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_ms: int | None = None
    passages: list[Passage] = field(default_factory=list)
    error: str | None = None
    # A question the bot could not answer (a knowledge gap for the owner), when there is one.
    gap: str | None = None

    @property
    def dont_know(self) -> bool:
        """Nothing the owner gave answers the question (small talk passes a gap on, not this)."""
        return self.gap is not None and self.provider != "smalltalk"

    def chunks_json(self) -> str | None:
        if not self.passages:
            return None
        return json.dumps(
            [
                {
                    "id": p.chunk_id,
                    "position": p.position,
                    "score": round(p.score, 3),
                    "text": p.text[:300],
                    "source": p.source,
                }
                for p in self.passages
            ],
            ensure_ascii=False,
        )


# --- retrieval -------------------------------------------------------------------------------
# Translated, the question's own wording is a full reading only where the knowledge base is
# written in its language (a mixed one); elsewhere it matches little more than the names and
# numbers the translation keeps, mostly in the right passage's neighbours, so it is a fallback
# (kb.index.FALLBACK): even at weight 0.02 it cost 4-5 points of recall@1 on parallel data with
# perfect translations, none as a fallback (bench/retrieval_eval.py --cross).
FOLLOW_UP_WEIGHT = 0.7
TRANSLATED_FOLLOW_UP_WEIGHT = 0.2  # the previous turns are not translated
GLOSSARY_WEIGHT = 0.5  # offline: the question with its glossary terms in the other languages
_REFERS_BACK = re.compile(
    r"^(?:а|и|ну|а\s+если|a|and|what about|how about|yana|tagin|ещё|еще)\b|-?chi\W*$|-?чи\W*$",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """A short message, or one that refers back ("а доставка?", "yetkazib berish-chi?")."""
    return len(text.split()) <= 4 or bool(_REFERS_BACK.search(text.strip()))


def previous_questions(conv: Conversation, text: str, turns: int = 2) -> str | None:
    """The customer's previous text turns (oldest first), for a follow-up question."""
    said = func.coalesce(Message.text, Message.transcript)  # a voice note's words count too
    rows = db.session.scalars(
        select(said)
        .where(
            Message.conversation_id == conv.id,
            Message.direction == "in",
            Message.kind.in_(("text", "media")),
            said.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(turns + 1)
    ).all()
    if rows and rows[0] == text:
        rows = rows[1:]  # the question being answered is stored already
    earlier = [r[:300] for r in rows[:turns] if r]
    return " ".join(reversed(earlier)) or None


def queries_for(
    text: str,
    previous: str | None = None,
    translations: dict[str, str] | None = None,
    kb_languages: list[str] | None = None,
) -> list[Readings]:
    """The readings of a question that retrieval fuses, one group per language (kb.index): each
    translation; the question in both scripts (a fallback when translated and not in a language
    of the knowledge base), with its glossary terms in the other languages, and with the
    previous turns (follow-up)."""
    own = 1.0
    if translations:
        found = detect(text)
        own = 1.0 if found is not None and found.lang in (kb_languages or []) else FALLBACK
    variants = script_variants(text)
    readings = [(v, own) for v in variants]
    if not translations:
        readings += [(e, GLOSSARY_WEIGHT) for e in map(expand, variants) if e]
    if previous and is_follow_up(text):
        weight = TRANSLATED_FOLLOW_UP_WEIGHT if translations else FOLLOW_UP_WEIGHT
        readings.append((f"{previous} {text}", weight))
    return [[(t, 1.0)] for t in (translations or {}).values()] + [readings]


def gather_passages(
    kb: KnowledgeBase | None,
    conv: Conversation,
    text: str,
    translations: dict[str, str] | None = None,
) -> list[Passage]:
    """Top chunks for the question; a follow-up also searches with the previous turns."""
    previous = previous_questions(conv, text) if kb is not None and is_follow_up(text) else None
    return passages_for(kb, text, previous, translations)


def passages_for(
    kb: KnowledgeBase | None,
    text: str,
    previous: str | None = None,
    translations: dict[str, str] | None = None,
) -> list[Passage]:
    """The passages the bot puts in its prompt for a question (also the KB page's test search):
    the TOP_K best of the fused readings, within the prompt's KB_BUDGET. None without a
    knowledge base (the readings, glossary expansion included, would search nothing)."""
    if kb is None or not kb.chunk_count:
        return []
    languages = kb.main_languages()
    queries = queries_for(text, previous, translations, languages)
    return within_budget(search_fused(kb, queries, k=TOP_K))


# --- answering -------------------------------------------------------------------------------
def _readings(
    kb: KnowledgeBase | None, conv: Conversation, text: str, translations: dict[str, str]
) -> list[str]:
    """What relevance is judged against: the question in both scripts and its translations; a
    follow-up with no content of its own ("narxi qancha?") with the previous turns."""
    readings = [*script_variants(text), *translations.values()]
    if kb is not None and is_follow_up(text) and not any(map(content_words, readings)):
        previous = previous_questions(conv, text)
        readings += [f"{previous} {text}"] if previous else []
    return readings


def answer(
    conversation: Conversation,
    text: str,
    cfg: AIConfig | None = None,
    known: Known | None = None,
) -> EngineReply:
    """Answer one customer question; never raises (failures come back as status failed)."""
    language, script = conversation.language or "uz", conversation.script or "latn"
    try:
        cfg = cfg or AIConfig.for_user(conversation.user_id)
        language, script = reply_language(conversation, text, cfg.default_language)
        said = intent(text)
        if said is not None:
            gap = None
            if said == "human":
                conversation.request_human()
                # The question before "can I talk to a person?" is what the bot did not answer.
                gap = previous_questions(conversation, text, turns=1)
            return EngineReply(
                replies.small_talk(said, language, script),
                language,
                provider="smalltalk",
                model=said,
                tokens_in=0,
                tokens_out=0,
                latency_ms=0,
                gap=gap,
            )
        known = known or Known(KnowledgeBase.active_for(conversation.user_id), None)
        kb = known.kb
        owner = providers.owner_settings(cfg)
        attempts = providers.attempts(cfg, owner)
        pairs = owner_answers.pairs_of(conversation.user_id, known.pairs_version)
        translations: dict[str, str] = {}
        if attempts and (languages := owner_answers.languages(kb, pairs)):
            translations = translate(attempts[0], text, targets_for(text, languages))
        readings = _readings(kb, conversation, text, translations)
        pair = pairs.best_match(readings) if pairs is not None else None
        passages = gather_passages(kb, conversation, text, translations)
        if pair is not None:
            found = Found(pair.answer, owner=True)
        else:
            found = Found(offline_text(kb, readings, passages))
        passages = owner_answers.first(pair, passages)
        request = build_prompt(cfg, conversation, text, passages, language, script)
        # End the read transaction: the connection goes back to the pool while the provider
        # answers (seconds), so answering threads need no connection each.
        db.session.commit()
        return _answer_with_providers(
            cfg, (owner, attempts), request, found, passages, language, script, text
        )
    except Exception as exc:  # the customer still gets an apology; the error is stored
        log.exception("answer engine failed for conversation %s", conversation.id)
        return EngineReply(
            replies.apology(language, script),
            language,
            status="failed",
            error=f"{type(exc).__name__}: {exc}"[:1000],
        )


def _offline(
    found: Found, passages: list[Passage], language: str, script: str, question: str, error=None
) -> EngineReply:
    return EngineReply(
        found.reply(language, script),
        language,
        provider="offline",
        model="owner" if found.owner else "bm25",
        passages=passages,
        tokens_in=0,
        tokens_out=0,
        latency_ms=0,
        error=error,
        gap=question if found.text is None else None,
    )


def _answer_with_providers(
    cfg: AIConfig,
    chosen: tuple[ProviderSettings | None, list[ProviderSettings]],
    request: AIRequest,
    found: Found,
    passages: list[Passage],
    language: str,
    script: str = "latn",
    question: str = "",
) -> EngineReply:
    owner, attempts = chosen  # the owner's own key (or None), and what to try in order
    for settings in attempts:
        is_owner = settings is owner
        try:
            result = providers.call(settings, request)
        except AIError as err:
            providers.note_failure(cfg, settings, err, is_owner)
            if is_owner and err.kind in ("auth", "model_not_found"):
                continue  # the owner's key or model is broken: fall back to the platform default
            if found.text is not None:  # the provider is down: the offline answer is still right
                return _offline(found, passages, language, script, question, str(err)[:1000])
            return EngineReply(
                replies.apology(language, script),
                language,
                status="failed",
                passages=passages,
                provider=settings.provider,
                model=settings.model,
                error=str(err)[:1000],
                gap=question,  # nothing in the knowledge base answers it either
            )
        providers.note_success(cfg, settings, is_owner)
        text, unanswered = said_no_answer(result.text)
        return EngineReply(
            text or replies.dont_know(language, script),
            language,
            provider=result.provider,
            model=result.model,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            latency_ms=result.latency_ms,
            passages=passages,
            # The AI said it does not know, or nothing in the knowledge base or the owner's
            # answers covers the question (it can only have answered from the conversation).
            gap=question if unanswered or found.text is None else None,
        )
    # No key at all, or the owner's key failed and the platform has none: the platform default
    # is then the offline engine.
    return _offline(found, passages, language, script, question)
