"""The owner's own answers: question/answer pairs (corrections of the bot, or added by hand) and
the knowledge gaps they close (questions the bot could not answer, grouped when worded alike).

Pairs belong to the owner, not to a knowledge-base file: replacing the file keeps them. A gap is
open until it is closed (resolved_at): by an answer (answer_id) or dismissed by the owner (no
answer). Asked again after that, it opens again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow
from text.alike import scores
from text.detect import detect
from text.match import content_words

QUESTION_MAX = 500
ANSWER_MAX = 2000
GAPS_PER_PAGE = 20
GROUPING_WINDOW = 500  # a new question is grouped with the owner's most recent gaps


class Recorded(NamedTuple):
    """A gap's group as KnowledgeGap.record left it."""

    id: int
    count: int
    question: str
    channels: str


def platforms_of(channels: str) -> list[str]:
    """A gap's platforms from its comma-separated `channels`."""
    return [p for p in channels.split(",") if p]


def gap_key(question: str) -> str:
    """The question's content words as the retriever reads them (stems, sorted, once each):
    "Dostavka bormi?" and "dostavka bormi" and "Доставка борми" group together."""
    stems = sorted({w.stem for w in content_words(question or "")})
    return " ".join(stems)[:255]


class OwnerAnswer(db.Model):
    """A question and the answer the owner wants the bot to give to it (and to alike ones)."""

    __tablename__ = "owner_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))  # of the question, for translation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @classmethod
    def create(cls, user_id: int, question: str, answer: str) -> OwnerAnswer:
        """Store a pair and close the gaps it answers."""
        pair = cls(user_id=user_id)
        pair.change(question, answer)
        db.session.add(pair)
        db.session.flush()
        KnowledgeGap.resolve_by(pair)
        return pair

    def change(self, question: str, answer: str) -> None:
        """Set the texts (trimmed to their limits) and the question's language."""
        self.question = question.strip()[:QUESTION_MAX]
        self.answer = answer.strip()[:ANSWER_MAX]
        found = detect(self.question)
        self.language = found.lang if found is not None else None

    @classmethod
    def for_user(cls, user_id: int) -> list[OwnerAnswer]:
        """The owner's pairs, newest first."""
        return list(
            db.session.scalars(
                select(cls).where(cls.user_id == user_id).order_by(cls.id.desc())
            ).all()
        )

    @classmethod
    def version(cls, user_id: int) -> tuple[int, int, str]:
        """(count, newest id, last change) of the owner's pairs: changes whenever a pair is
        added, edited or deleted."""
        return cls.version_of(db.session.execute(select(*cls.version_columns(user_id))).one())

    @classmethod
    def version_columns(cls, user_id) -> tuple:
        """The version's parts as scalar subqueries, for `user_id` a value or a column (the
        answering worker reads them with the message: pipeline/waiting.py)."""
        mine = cls.user_id == user_id
        return tuple(
            select(part).where(mine).scalar_subquery()
            for part in (func.count(cls.id), func.max(cls.id), func.max(cls.updated_at))
        )

    @staticmethod
    def version_of(parts) -> tuple[int, int, str]:
        count, newest, changed = parts
        return count or 0, newest or 0, str(changed or "")

    @classmethod
    def questions_of(cls, user_id: int) -> list[tuple[int, str, str | None]]:
        """(id, question, its language) of the owner's pairs, newest first."""
        rows = db.session.execute(
            select(cls.id, cls.question, cls.language)
            .where(cls.user_id == user_id)
            .order_by(cls.id.desc())
        )
        return [tuple(row) for row in rows]


class KnowledgeGap(db.Model):
    """Questions the bot could not answer, grouped by their normalised content words."""

    __tablename__ = "knowledge_gaps"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_knowledge_gaps_user_open", "user_id", "resolved_at", "last_asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    question: Mapped[str] = mapped_column(Text)  # the latest wording
    count: Mapped[int] = mapped_column(Integer, default=1)
    channels: Mapped[str] = mapped_column(String(64), default="")  # platforms, comma-separated
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("owner_answers.id", ondelete="SET NULL")
    )

    @property
    def platforms(self) -> list[str]:
        return platforms_of(self.channels)

    @classmethod
    def alike(cls, user_id: int, question: str, open_only: bool = False) -> list[KnowledgeGap]:
        """The owner's recent gaps worded like the question (text.alike), most alike first."""
        ids = [gap_id for gap_id, _key in cls._alike(user_id, question, open_only)]
        found = {g.id: g for g in db.session.scalars(select(cls).where(cls.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    @classmethod
    def _alike(cls, user_id: int, question: str, open_only: bool = False) -> list[tuple]:
        """(id, key) of the recent gaps worded like the question, most alike first: read as
        plain columns (building GROUPING_WINDOW objects to score each was most of a record)."""
        recent = db.session.execute(_recent_gaps(open_only), {"p_user": user_id}).all()
        alike = scores(question, [said for _id, _key, said in recent])
        scored = [(s, gap_id, key) for s, (gap_id, key, _said) in zip(alike, recent, strict=True)]
        return [(gap_id, key) for s, gap_id, key in sorted(scored, key=lambda x: -x[0]) if s > 0]

    @classmethod
    def record(cls, user_id: int, question: str | None, platform: str) -> Recorded | None:
        """Count one unanswered question in the group of gaps worded like it (reopening it if
        it was resolved): the group as the count left it; None when the question has no
        content words. A new group is one upsert on the normalised words, so two workers
        recording it at once both count. Every answer the knowledge base does not cover
        records one: the statements are built once."""
        key = gap_key(question or "")
        if not key:
            return None
        group = cls._alike(user_id, question)
        values = {
            "p_user": user_id,
            "p_key": group[0][1] if group else key,
            "p_question": question.strip()[:QUESTION_MAX],
            "p_channels": platform,
            "p_now": utcnow(),
        }
        gap = Recorded(*db.session.execute(_recording(db.engine.dialect.name), values).one())
        platforms = platforms_of(gap.channels)
        if platform not in platforms:
            channels = ",".join([*platforms, platform])[:64]
            db.session.execute(update(cls).where(cls.id == gap.id).values(channels=channels))
            gap = gap._replace(channels=channels)
        return gap

    @classmethod
    def open_page(cls, user_id: int, page: int = 1, per_page: int = GAPS_PER_PAGE):
        """One page of the owner's open gaps, most recently asked first (a Flask-SQLAlchemy
        Pagination; a page past the end is the last one)."""
        query = (
            select(cls)
            .where(cls.user_id == user_id, cls.resolved_at.is_(None))
            .order_by(cls.last_asked_at.desc(), cls.id.desc())
        )
        found = db.paginate(query, page=page, per_page=per_page, error_out=False)
        if page > 1 and not found.items and found.pages:
            found = db.paginate(query, page=found.pages, per_page=per_page, error_out=False)
        return found

    @classmethod
    def count_this_week(cls, user_id: int, now: datetime | None = None) -> int:
        """Unresolved gaps asked in the last seven days (the dashboard's figure)."""
        since = (now or utcnow()) - timedelta(days=7)
        return db.session.scalar(
            select(func.count(cls.id)).where(
                cls.user_id == user_id, cls.resolved_at.is_(None), cls.last_asked_at >= since
            )
        )

    def resolve(self, pair: OwnerAnswer) -> None:
        self.resolved_at, self.answer_id = utcnow(), pair.id

    def dismiss(self) -> None:
        """Close the gap without an answer (not worth one); a new ask of it reopens it."""
        self.resolved_at, self.answer_id = utcnow(), None

    @classmethod
    def resolve_by(cls, pair: OwnerAnswer) -> None:
        """Close the owner's open gaps worded like the pair's question (it now answers them)."""
        for gap in cls.alike(pair.user_id, pair.question, open_only=True):
            gap.resolve(pair)


@cache
def _recent_gaps(open_only: bool):
    """The owner's GROUPING_WINDOW most recently asked gaps (id, key, question)."""
    t = KnowledgeGap.__table__
    query = select(t.c.id, t.c.key, t.c.question).where(t.c.user_id == bindparam("p_user"))
    if open_only:
        query = query.where(t.c.resolved_at.is_(None))
    return query.order_by(t.c.last_asked_at.desc()).limit(GROUPING_WINDOW)


@cache
def _recording(dialect_name: str):
    """The upsert counting one more ask in a group (KnowledgeGap.record), for the dialect."""
    t = KnowledgeGap.__table__
    now = bindparam("p_now", type_=t.c.last_asked_at.type)
    insert = (sqlite if dialect_name == "sqlite" else postgresql).insert(t)
    insert = insert.values(
        user_id=bindparam("p_user"),
        key=bindparam("p_key"),
        question=bindparam("p_question"),
        count=1,
        channels=bindparam("p_channels"),
        first_asked_at=now,
        last_asked_at=now,
    )
    return insert.on_conflict_do_update(
        index_elements=["user_id", "key"],
        set_={
            "count": t.c.count + 1,
            "question": insert.excluded.question,
            "last_asked_at": now,
            "resolved_at": None,
            "answer_id": None,
        },
    ).returning(t.c.id, t.c.count, t.c.question, t.c.channels)
