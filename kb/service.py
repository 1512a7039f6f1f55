"""Knowledge-base ingestion and search for the app: store the upload privately, extract it in the
background, swap it in atomically, and search the active one through a per-process index cache."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.tasks import task
from extensions import db
from kb.chunking import chunk_text
from kb.extract import ALLOWED_EXTENSIONS, FileParseError, parse_file
from kb.index import Readings, RetrievalIndex, fused_search
from models.knowledge_base import KnowledgeBase, KnowledgeChunk, stale_processing
from models.user import User

log = logging.getLogger(__name__)


class UploadRejected(ValueError):
    """The upload is refused before extraction (type or size); str() is user-facing."""

    def __init__(self, message, status: int = 400):
        super().__init__(message)
        self.status = status

    def __str__(self) -> str:
        return str(self.args[0])


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(kb: KnowledgeBase) -> Path | None:
    return upload_dir() / kb.stored_name if kb.stored_name else None


def extension_of(filename: str) -> str:
    """The last suffix, lower-case, without the dot ("Narxlar.PDF" → "pdf")."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def accept_upload(user: User, storage: FileStorage) -> KnowledgeBase:
    """Save the file under a generated name outside static/ and record it as processing."""
    original = os.path.basename((storage.filename or "").replace("\\", "/")).strip()
    ext = extension_of(original)  # before shortening: a long name must keep its type
    if len(original) > 255:
        original = f"{original[: 254 - len(ext)]}.{ext}" if ext else original[:255]
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected(FileParseError("unsupported_type"))
    stored_name = f"{uuid.uuid4().hex}.{ext}"
    path = upload_dir() / stored_name
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as out:
        while chunk := storage.stream.read(1024 * 1024):
            size += len(chunk)
            if size > current_app.config["KB_MAX_FILE_BYTES"]:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadRejected(FileParseError("too_large"), 413)
            digest.update(chunk)
            out.write(chunk)
    kb = KnowledgeBase(
        user_id=user.id,
        original_name=original or f"file.{ext}",
        file_type=ext,
        size_bytes=size,
        sha256=digest.hexdigest(),
        stored_name=stored_name,
        status="processing",
    )
    db.session.add(kb)
    db.session.flush()
    return kb


@task(local=True)  # the file is on this instance's disk: never hand it to an RQ worker elsewhere
def process_upload(kb_id: int) -> None:
    """Extract, chunk and activate an upload; on failure keep the previous knowledge base."""
    kb = db.session.get(KnowledgeBase, kb_id)
    if kb is None or kb.status != "processing":
        return
    language = _owner_language(kb.user_id)
    path = stored_path(kb)
    try:
        parsed = parse_file(str(path), kb.original_name)
        chunks = chunk_text(parsed.text)
    except FileParseError as exc:
        _reject(kb, exc, language)
        return
    except Exception:  # a bug must not leave the page waiting forever
        log.exception("knowledge base %s: extraction crashed", kb.id)
        db.session.rollback()
        _reject(db.session.get(KnowledgeBase, kb_id), FileParseError("unreadable"), language)
        return
    if kb.superseded():
        # A newer upload finished first and is the owner's knowledge base now: this one is moot.
        log.info("knowledge base %s superseded by a newer upload; discarded", kb.id)
        db.session.delete(kb)
        db.session.commit()
        _remove(path)
        return
    with force_locale(language):
        warnings = [str(w) for w in parsed.warnings]
    replaced = kb.activate(parsed.text, chunks, parsed.pages, parsed.rows, warnings)
    old_files = [stored_path(old) for old in replaced]
    db.session.commit()
    for old in old_files:
        _remove(old)
    log.info("knowledge base %s ready: %s chars, %s chunks", kb.id, kb.char_count, kb.chunk_count)


def _reject(kb: KnowledgeBase | None, error: FileParseError, language: str) -> None:
    """Record the failure in the owner's language and drop the file; the old KB stays active."""
    if kb is None:
        return
    path = stored_path(kb)
    with force_locale(language):  # stored in the owner's language, shown on their page
        kb.fail(str(error))
    kb.stored_name = None
    db.session.commit()
    _remove(path)


def _owner_language(user_id: int) -> str:
    """Messages stored on an upload are in its owner's language, shown on their page."""
    return db.session.scalar(select(User.language).where(User.id == user_id)) or "uz"


def _remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def recover_interrupted_uploads() -> int:
    """Fail uploads a restart left in processing, so their page stops waiting (scheduled)."""
    stale = stale_processing()
    for kb in stale:
        _reject(kb, FileParseError("interrupted"), _owner_language(kb.user_id))
    if stale:
        log.warning("marked %s interrupted uploads as failed", len(stale))
    return len(stale)


def delete_active(user_id: int) -> bool:
    """Delete the owner's knowledge base and its file; False when there is none."""
    kb = KnowledgeBase.active_for(user_id)
    if kb is None:
        return False
    path = stored_path(kb)
    db.session.delete(kb)
    db.session.flush()
    if path is not None:
        path.unlink(missing_ok=True)
    return True


# --- search ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Passage:
    """A chunk returned by search, with its score."""

    chunk_id: int
    position: int
    text: str
    score: float
    # Where the passage comes from: "kb" (a knowledge-base chunk). Other sources (an owner's
    # own question/answer pair) can be put first by the engine, as authoritative.
    source: str = "kb"


_CACHE: OrderedDict[tuple, tuple[RetrievalIndex, list[tuple[int, int, str]]]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
# An index takes about 5-6 bytes of memory per character of text (a 10 MB knowledge base ≈ 56 MB),
# so the cache is bounded by the text it holds, not by a count of knowledge bases.
_CACHE_CHARS: dict[tuple, int] = {}


def _index_for(kb: KnowledgeBase) -> tuple[RetrievalIndex, list[tuple[int, int, str]]]:
    # Keyed by the row and its content: a replacement is a new row with a new hash and time, so
    # a stale index is never hit even where the database reuses ids (SQLite), and no worker needs
    # to be told; old entries just age out of the LRU.
    key = (kb.id, kb.sha256, kb.processed_at.isoformat() if kb.processed_at else "", kb.chunk_count)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    rows = db.session.execute(
        select(KnowledgeChunk.id, KnowledgeChunk.position, KnowledgeChunk.text)
        .where(KnowledgeChunk.knowledge_base_id == kb.id)
        .order_by(KnowledgeChunk.position)
    ).all()
    entry = (RetrievalIndex.build([r.text for r in rows]), [tuple(r) for r in rows])
    budget = current_app.config["KB_INDEX_CACHE_MB"] * 1024 * 1024
    with _CACHE_LOCK:
        _CACHE[key] = entry
        _CACHE_CHARS[key] = sum(len(r.text) for r in rows)
        # Evict the least recently used, but always keep the entry just built.
        while len(_CACHE) > 1 and sum(_CACHE_CHARS.values()) > budget:
            old, _ = _CACHE.popitem(last=False)
            _CACHE_CHARS.pop(old, None)
    return entry


def index_for(knowledge_base: KnowledgeBase) -> RetrievalIndex | None:
    """The (cached) retrieval index of a knowledge base, or None when it has no chunks."""
    return _index_for(knowledge_base)[0] if knowledge_base.chunk_count else None


def search_fused(
    knowledge_base: KnowledgeBase | None, queries: list[Readings], k: int = 5
) -> list[Passage]:
    """The k best passages for a question read several ways, per language (kb.index)."""
    if knowledge_base is None or not knowledge_base.chunk_count:
        return []
    index, rows = _index_for(knowledge_base)
    return [
        Passage(rows[i][0], rows[i][1], rows[i][2], float(score))
        for i, score in fused_search(index, queries, k)
    ]


def search(knowledge_base: KnowledgeBase | None, query: str, k: int = 5) -> list[Passage]:
    """The k best passages of a knowledge base for a question (index built once, then cached)."""
    if knowledge_base is None or not knowledge_base.chunk_count or not (query or "").strip():
        return []
    index, rows = _index_for(knowledge_base)
    return [
        Passage(rows[i][0], rows[i][1], rows[i][2], float(score))
        for i, score in index.search(query, k)
    ]
