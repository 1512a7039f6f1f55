"""Platform settings (models/ai_config.Setting): read once per transaction (by the answering
worker through a short process cache), written by upsert."""

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


def test_the_answering_worker_reads_the_settings_at_most_every_few_seconds(app, monkeypatch):
    """The answering worker asks for several settings with every message: within kept_reads()
    the table is read at most every KEPT_SECONDS. A change made in this process is seen at
    once, one made by another process within KEPT_SECONDS; a page always reads the table (the
    admin sees what they saved whichever process serves the next page)."""
    from cachetools import TTLCache
    from sqlalchemy import event

    from models import ai_config

    now = [0.0]
    monkeypatch.setattr(ai_config, "_kept", TTLCache(8, ai_config.KEPT_SECONDS, lambda: now[0]))
    statements = []
    count = lambda *args: statements.append(args[2])  # noqa: E731

    def elsewhere(model: str) -> None:  # the admin's page served by another process
        with db.engine.begin() as other:
            other.execute(
                text(
                    "INSERT INTO settings (key, value, updated_at) VALUES ('ai.gemini_model', :v,"
                    " '2026-12-03 00:00:00') ON CONFLICT (key) DO UPDATE SET value = :v"
                ),
                {"v": model},
            )

    def answering_reads() -> str:  # a new transaction of an answering thread
        with app.app_context(), ai_config.kept_reads():
            return PlatformAI.gemini_model()

    with app.app_context():  # for the engine; each read below is a transaction of its own
        elsewhere("model-a")
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert answering_reads() == "model-a"
            elsewhere("model-b")
            statements.clear()
            assert answering_reads() == "model-a"  # kept
            assert not [s for s in statements if "settings" in s]
            with app.app_context():  # a page, a command: outside kept_reads()
                assert PlatformAI.gemini_model() == "model-b"  # the table, read
            elsewhere("model-c")
            now[0] += ai_config.KEPT_SECONDS + 1
            assert answering_reads() == "model-c"  # read again
            with app.app_context():  # a change made here is seen here at once
                Setting.put("ai.gemini_model", "model-d")
                db.session.commit()
            assert answering_reads() == "model-d"
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
