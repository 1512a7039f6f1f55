"""The one brain behind every channel: language → retrieval → bounded prompt → AI → reply text.

`answer(conversation, text)` never raises. Deciding whether to answer a stored message, and
sending the reply, is the worker's job (pipeline/worker.py).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from ai import AIError, AIRequest
from extensions import db
from kb.service import Passage, search
from models.ai_config import AIConfig
from models.conversation import Conversation, Message
from models.knowledge_base import KnowledgeBase
from pipeline import providers, replies
from pipeline.language import reply_language
from pipeline.prompt import KB_BUDGET, TOP_K, build_prompt
from text.tokens import tokenize

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
                }
                for p in self.passages
            ],
            ensure_ascii=False,
        )


# --- retrieval -------------------------------------------------------------------------------
# Filler words of questions in the three languages: matching only these is not an answer.
_FILLER = frozenset(
    tokenize(
        "what when where which who how much many have has your you with this that there "
        "about please can could would will does do are is the and for from hello thanks thank "
        "salom assalomu alaykum rahmat qanday qancha nima nimaga qachon qayerda bormi bor yoq "
        "kerak uchun bilan yoki siz sizda sizlar mumkin iltimos ham edi "
        "как какой какая какие сколько где когда можно есть ваш ваши вашей вы мне для что это или "
        "пожалуйста здравствуйте спасибо привет"
    )
)


def _relevant(query: str, passage: Passage) -> bool:
    """Whether a passage shares enough of the question's content words to be its answer."""
    wanted = [t for t in dict.fromkeys(tokenize(query)) if t not in _FILLER and len(t) >= 3]
    if not wanted:
        return False
    have = set(tokenize(passage.text))
    hits = sum(1 for t in wanted if t in have)
    return hits > 0 and hits / len(wanted) >= 0.25


def gather_passages(kb: KnowledgeBase | None, conv: Conversation, text: str) -> list[Passage]:
    """Top chunks for the question; a short follow-up also searches with the previous question."""
    previous = None
    if kb is not None and len(text.split()) <= 4:
        previous = db.session.scalar(
            select(Message.text)
            .where(
                Message.conversation_id == conv.id,
                Message.direction == "in",
                Message.kind == "text",
                Message.text != text,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
    return passages_for(kb, text, previous)


def passages_for(kb: KnowledgeBase | None, text: str, previous: str | None = None) -> list[Passage]:
    """The passages the bot puts in its prompt for a question (also the KB page's test search):
    the TOP_K best, then for a short follow-up those found with the previous question too,
    within the prompt's KB_BUDGET."""
    found = search(kb, text, k=TOP_K)
    if previous and len(text.split()) <= 4:
        seen = {p.chunk_id for p in found}
        found += [p for p in search(kb, f"{previous} {text}", k=TOP_K) if p.chunk_id not in seen]
    out, used = [], 0
    for passage in found:
        if used + len(passage.text) > KB_BUDGET:
            break
        out.append(passage)
        used += len(passage.text)
    return out


# --- answering -------------------------------------------------------------------------------
def offline_answer(text: str, passages: list[Passage], language: str, script: str = "latn") -> str:
    """No AI key: the best matching passage, trimmed, introduced in the customer's language."""
    best = next((p for p in passages if _relevant(text, p)), None)
    if best is None:
        return replies.dont_know(language, script)
    return f"{replies.found_intro(language, script)}\n\n{_trim(best.text, 700)}"


def _trim(text: str, limit: int) -> str:
    text = re.sub(r"[ \t]+", " ", text.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"), cut.rfind("! "), cut.rfind("? "))
    return (cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0] + " …").strip()


def answer(conversation: Conversation, text: str) -> EngineReply:
    """Answer one customer question; never raises (failures come back as status failed)."""
    language, script = conversation.language or "uz", conversation.script or "latn"
    try:
        cfg = AIConfig.for_user(conversation.user_id)
        language, script = reply_language(conversation, text, cfg.default_language)
        kb = KnowledgeBase.active_for(conversation.user_id)
        passages = gather_passages(kb, conversation, text)
        request = build_prompt(cfg, conversation, text, passages, language, script)
        # End the read transaction: the connection goes back to the pool while the provider
        # answers (seconds), so answering threads need no connection each.
        db.session.commit()
        return _answer_with_providers(cfg, request, text, passages, language, script)
    except Exception as exc:  # the customer still gets an apology; the error is stored
        log.exception("answer engine failed for conversation %s", conversation.id)
        return EngineReply(
            replies.apology(language, script),
            language,
            status="failed",
            error=f"{type(exc).__name__}: {exc}"[:1000],
        )


def _offline(text: str, passages: list[Passage], language: str, script: str) -> EngineReply:
    return EngineReply(
        offline_answer(text, passages, language, script),
        language,
        provider="offline",
        model="bm25",
        passages=passages,
        tokens_in=0,
        tokens_out=0,
        latency_ms=0,
    )


def _answer_with_providers(
    cfg: AIConfig,
    request: AIRequest,
    text: str,
    passages: list[Passage],
    language: str,
    script: str = "latn",
) -> EngineReply:
    owner = providers.owner_settings(cfg)
    attempts = [s for s in (owner, providers.platform_settings()) if s is not None]
    for settings in attempts:
        is_owner = settings is owner
        try:
            result = providers.call(settings, request)
        except AIError as err:
            providers.note_failure(cfg, settings, err, is_owner)
            if is_owner and err.kind in ("auth", "model_not_found"):
                continue  # the owner's key or model is broken: fall back to the platform default
            return EngineReply(
                replies.apology(language, script),
                language,
                status="failed",
                passages=passages,
                provider=settings.provider,
                model=settings.model,
                error=str(err)[:1000],
            )
        providers.note_success(cfg, settings, is_owner)
        return EngineReply(
            result.text.strip(),
            language,
            provider=result.provider,
            model=result.model,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            latency_ms=result.latency_ms,
            passages=passages,
        )
    # No key at all, or the owner's key failed and the platform has none: the platform default
    # is then the offline engine.
    return _offline(text, passages, language, script)
