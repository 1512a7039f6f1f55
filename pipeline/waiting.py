"""What the answering worker reads to answer a conversation's next message, in one statement:
the message with its conversation, the owner, the owner's AI settings, what the engine would
otherwise ask about the owner (the active knowledge base, the version of the owner's answers),
the AI's recent replies (the rate limits of pipeline/throttle.py) and whether another message
waits after it. One round trip instead of one for each; the statement is built once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, select
from sqlalchemy.orm import aliased, joinedload

from extensions import db
from models.ai_config import AIConfig
from models.base import utcnow
from models.conversation import Message
from models.knowledge_base import KnowledgeBase
from models.owner_answer import OwnerAnswer
from models.user import User
from pipeline import throttle


@dataclass(frozen=True)
class Known:
    """What the answering worker read about the owner with the message (next_waiting), so
    that the engine need not ask again: the active knowledge base (or None) and the version
    of the owner's answers."""

    kb: KnowledgeBase | None
    pairs_version: tuple[int, int, str] | None  # None: read it


def waiting(message, conv_id) -> tuple:
    """The conversation's inbound messages still waiting (of `message`, an alias or Message;
    `conv_id` a value or a bound parameter)."""
    return (
        message.conversation_id == conv_id,
        message.direction == "in",
        message.status == "received",
    )


class Waiting(NamedTuple):
    """A conversation's next message to answer, with what answering it reads: its owner, the
    owner's AI settings, what the engine would ask about the owner (Known), the AI's
    recent replies (throttle.ai_replies), and whether another message waits after it."""

    message: Message
    owner: User | None
    cfg: AIConfig | None
    known: Known
    ai_replies: tuple[int, int]
    more: bool


def next_waiting(conv_id: int) -> Waiting | None:
    """The conversation's oldest unanswered message and what answering it reads (Waiting),
    read afresh in one query (what the owner or another request changed meanwhile is seen).
    When no other message waits after it, the worker goes straight to releasing the
    conversation (which sees a message stored meanwhile) instead of asking again."""
    db.session.expire_all()
    params = {"conv_id": conv_id, **throttle.windows(utcnow())}
    row = db.session.execute(_query(), params).first()
    if row is None:
        return None
    msg, owner, cfg, kb, more, to_customer, for_owner, *version = row
    known = Known(kb, OwnerAnswer.version_of(version))
    return Waiting(msg, owner, cfg, known, (to_customer, for_owner), bool(more))


@cache
def _query():
    """next_waiting's statement, built once: building it (an alias, joins, subqueries) cost
    more CPU than running it. One round trip instead of one for each thing it reads."""
    conv_id = bindparam("conv_id", type_=Integer)
    later = aliased(Message)
    another = (
        select(later.id)
        .where(*waiting(later, conv_id), later.id > Message.id)
        .correlate(Message)
        .exists()
    )
    active_kb = and_(KnowledgeBase.user_id == Message.user_id, KnowledgeBase.is_active.is_(True))
    return (
        select(
            Message,
            User,
            AIConfig,
            KnowledgeBase,
            another.label("more"),
            *throttle.ai_replies(conv_id, Message.user_id),
            *OwnerAnswer.version_columns(Message.user_id),
        )
        .options(joinedload(Message.conversation))
        .outerjoin(User, User.id == Message.user_id)
        .outerjoin(AIConfig, AIConfig.user_id == Message.user_id)
        .outerjoin(KnowledgeBase, active_kb)
        .where(*waiting(Message, conv_id))
        .order_by(Message.id)
        .limit(1)
    )
