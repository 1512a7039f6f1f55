"""Message-text search indexes that live outside the models, one per database engine.

PostgreSQL: a pg_trgm GIN index serves `ILIKE '%word%'` (migration b7e1c2d4a9f0).
SQLite: an FTS5 table with the trigram tokenizer, kept in step with `messages` by triggers
(migration 5d2a9c1e7b34). Its phrase queries are substring matches that fold case in every
script, where SQLite's own LIKE folds only ASCII and has to read every message in the window.

Mind: a future migration that rebuilds `messages` in batch mode on SQLite (copy, drop, rename)
drops these triggers with the old table; it must create them again and run FTS5 'rebuild', as
migration 5d2a9c1e7b34 does.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from extensions import db

SQLITE_FTS_TABLE = "messages_fts"
PG_TRIGRAM_INDEX = "ix_messages_text_trgm"
TRIGRAM = 3  # FTS5 trigram queries need at least three characters
FTS_MAX_IDS = 1000  # more hits than this: a common word, which LIKE finds sooner


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic filter: the search objects are not in the models, so autogenerate leaves them."""
    if type_ == "index":
        return name != PG_TRIGRAM_INDEX
    if type_ == "table" and name:
        return not name.startswith(SQLITE_FTS_TABLE)
    return True


def sqlite_text_match(needle: str) -> list[int] | None:
    """Ids of the messages whose text contains `needle` (any case), from the SQLite FTS5 index.

    None when LIKE is the better tool: under three characters the index cannot answer, and a
    common word (over FTS_MAX_IDS hits) is found quickly by LIKE walking the newest
    conversations, where a long id list would slow every row down.
    """
    if len(needle) < TRIGRAM:
        return None
    phrase = '"' + needle.replace('"', '""') + '"'
    try:
        ids = db.session.scalars(
            text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :phrase LIMIT :limit"),
            {"phrase": phrase, "limit": FTS_MAX_IDS + 1},
        ).all()
    except OperationalError:  # SQLite without FTS5: the migration left the index out
        return None
    return ids if len(ids) <= FTS_MAX_IDS else None
