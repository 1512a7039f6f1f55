"""Platform settings (models/ai_config.Setting): read once per transaction, written by upsert."""

from __future__ import annotations

from sqlalchemy import text

from extensions import db
from models.ai_config import PlatformAI, Setting


def test_a_key_written_meanwhile_by_another_thread_is_updated_not_inserted_twice(app):
    """Two answering threads note the same platform error: the second, which read the key as
    absent, must not fail on the primary key (it did, and its customer's answer failed)."""
    with app.app_context():
        assert Setting.get("ai.last_error") is None  # read (as absent) in this transaction
        with db.engine.begin() as other:  # another thread's transaction, committed meanwhile
            other.execute(
                text("INSERT INTO settings (key, value, updated_at) VALUES (:k, :v, :t)"),
                {"k": "ai.last_error", "v": "first", "t": "2026-12-02 00:00:00"},
            )
        PlatformAI.record_error("gemini", "m", "quota reached", "quota")
        db.session.commit()
        assert Setting.get("ai.last_error").endswith(" quota reached")
    with app.app_context():  # a new transaction reads what was stored
        assert Setting.get("ai.last_error").endswith(" quota reached")
        assert Setting.get("ai.last_error_kind") == "quota"
        Setting.put("ai.last_error_kind", "")
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM settings")) == 3
        assert Setting.get("ai.last_error_kind") == ""
