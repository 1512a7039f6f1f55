"""One active knowledge base per owner: extracted text, its chunks, and the upload's history."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from kb.languages import main_languages
from models.base import UTCDateTime, utcnow

KB_STATUSES = ("processing", "ready", "failed")


class KnowledgeBase(db.Model):
    """An uploaded file and the text extracted from it; `is_active` marks the one the bot uses."""

    __tablename__ = "knowledge_bases"
    __table_args__ = (
        # At most one active knowledge base per owner, enforced by the database.
        Index(
            "uq_knowledge_bases_active_owner",
            "user_id",
            unique=True,
            sqlite_where=db.text("is_active = 1"),
            postgresql_where=db.text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(8))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="processing", index=True)
    error: Mapped[str | None] = mapped_column(String(500))
    warnings_json: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The whole extracted text (up to ~18 M characters): loaded only where it is read (the
    # upload page's preview), not with every answer's look at the active knowledge base.
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int | None] = mapped_column(Integer)
    row_count: Mapped[int | None] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    # Main languages of the text ("ru,uz"), detected once per upload (kb.languages).
    languages: Mapped[str | None] = mapped_column(String(16))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    chunks: Mapped[list[KnowledgeChunk]] = relationship(
        back_populates="knowledge_base",
        cascade="all, delete-orphan",
        order_by="KnowledgeChunk.position",
        passive_deletes=True,
    )

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json) if self.warnings_json else []

    @classmethod
    def active_for(cls, user_id: int) -> KnowledgeBase | None:
        return db.session.scalar(select(cls).where(cls.user_id == user_id, cls.is_active.is_(True)))

    PREVIEW_CHARS = 3000

    def preview(self) -> str:
        """The beginning of the extracted text (the upload page's preview), read alone."""
        return (
            db.session.scalar(
                select(func.substr(KnowledgeBase.text, 1, self.PREVIEW_CHARS)).where(
                    KnowledgeBase.id == self.id
                )
            )
            or ""
        )

    @classmethod
    def latest_upload_for(cls, user_id: int) -> KnowledgeBase | None:
        return db.session.scalar(
            select(cls)
            .where(cls.user_id == user_id)
            .order_by(cls.uploaded_at.desc(), cls.id.desc())
        )

    def superseded(self) -> bool:
        """Whether a newer upload of this owner is already the active knowledge base."""
        return (
            db.session.scalar(
                select(KnowledgeBase.id).where(
                    KnowledgeBase.user_id == self.user_id,
                    KnowledgeBase.id > self.id,
                    KnowledgeBase.is_active.is_(True),
                )
            )
            is not None
        )

    def activate(
        self, text: str, chunks: list[str], pages: int | None, rows: int | None, warnings: list[str]
    ) -> list[KnowledgeBase]:
        """Make this upload the owner's knowledge base; returns the replaced ones for clean-up.

        Only older uploads are replaced: when two uploads are processed at once, the newest wins
        whichever finishes first (the caller checks `superseded()` before activating an older
        one). The caller commits once, so text, chunks and the switch land together or not at all.
        """
        previous = list(
            db.session.scalars(
                select(KnowledgeBase).where(
                    KnowledgeBase.user_id == self.user_id,
                    KnowledgeBase.id < self.id,
                )
            )
        )
        for old in previous:
            db.session.delete(old)
        db.session.flush()
        self.text = text
        self.char_count = len(text)
        self.page_count, self.row_count = pages, rows
        self.warnings_json = json.dumps([str(w) for w in warnings]) if warnings else None
        self.chunks = [KnowledgeChunk(position=i, text=c) for i, c in enumerate(chunks)]
        self.chunk_count = len(chunks)
        self.languages = ",".join(main_languages(chunks))
        self.status, self.error, self.is_active = "ready", None, True
        self.processed_at = utcnow()
        return previous

    def main_languages(self) -> list[str]:
        """The stored main languages; detected now (and stored) for a row from before they were."""
        if self.languages is None and self.chunk_count:
            texts = db.session.scalars(
                select(KnowledgeChunk.text)
                .where(KnowledgeChunk.knowledge_base_id == self.id)
                .order_by(KnowledgeChunk.position)
            ).all()
            self.languages = ",".join(main_languages(list(texts)))
        return [lang for lang in (self.languages or "").split(",") if lang]

    def fail(self, message: str) -> None:
        """Record why the upload was rejected; the active knowledge base stays as it was."""
        self.status, self.error, self.is_active = "failed", message[:500], False
        self.processed_at = utcnow()


class KnowledgeChunk(db.Model):
    """A passage of the knowledge base, the unit retrieval returns."""

    __tablename__ = "knowledge_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    knowledge_base_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    knowledge_base: Mapped[KnowledgeBase] = relationship(back_populates="chunks")


# Extraction is bounded at 60 s; an upload still processing after this was lost by a restart.
STALE_PROCESSING_AFTER = timedelta(minutes=10)


def stale_processing(now: datetime | None = None) -> list[KnowledgeBase]:
    """Uploads stuck in processing: the worker that was extracting them restarted."""
    cutoff = (now or utcnow()) - STALE_PROCESSING_AFTER
    return list(
        db.session.scalars(
            select(KnowledgeBase).where(
                KnowledgeBase.status == "processing", KnowledgeBase.uploaded_at < cutoff
            )
        )
    )
