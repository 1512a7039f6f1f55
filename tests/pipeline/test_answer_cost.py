"""What answering one stored question costs in statements (issue 12: the answering CPU is mostly
the ORM's round trips): each read the answer needs is made once, and the rows the worker starts
from come in one query."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from extensions import db
from models.conversation import Message
from pipeline.worker import answer_conversation
from tests.pipeline.test_ack_path import CUSTOMER, _conversation, _say, ack_only, statements

__all__ = ["ack_only"]  # the fixture, used by name


def _answer(app, conv_id: int) -> list[str]:
    with statements(app) as seen, app.app_context():
        answer_conversation(conv_id)
    return seen


def _reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s.split(" WHERE")[0]]


def test_the_question_and_what_answering_it_reads_come_in_one_statement(
    app, client, fakes, shop, ack_only, gemini
):
    """The question, its conversation, the owner, the AI settings, the active knowledge base,
    the version of the owner's answers and the AI's recent replies (the rate limits): one
    query, not one each."""
    _say(client, shop, "Yetkazib berish qancha turadi?")
    conv = _conversation(app, CUSTOMER)
    _answer(app, conv.id)  # the first answer: caches warm, the AI settings row exists
    _say(client, shop, "Qaytarish qanday ishlaydi, kafolat bormi?")
    seen = _answer(app, conv.id)

    joined = [s for s in seen if s.startswith("SELECT messages.id") and "JOIN users" in s]
    assert len(joined) == 1
    for part in ("JOIN ai_configs", "JOIN conversations", "JOIN knowledge_bases"):
        assert part in joined[0], part
    assert "knowledge_bases.text" not in joined[0]  # megabytes of extracted text, not read
    assert "FROM owner_answers" in joined[0]  # the pairs' version
    assert joined[0].count("count(*)") == 2  # the customer's minute and the owner's hour
    for table in ("users", "ai_configs", "conversations", "knowledge_bases", "owner_answers"):
        assert not _reading(seen, table), table
    assert not _reading(seen, "settings")  # kept for a few seconds on the answering side
    assert not _reading(seen, "ai_usage_daily")  # the daily quota: the count kept, then counted
    limits = [s for s in seen if "count(*)" in s and "FROM messages" in s]
    assert limits == joined
    # What a dead worker left is asked by the claim itself: no query of its own.
    assert not [s for s in seen if s.startswith("SELECT messages.id FROM messages WHERE")]
    claims = [s for s in seen if s.startswith("UPDATE conversations SET lease_owner")]
    assert len(claims) == 1 and "AS stranded" in claims[0]
    # The lease is checked and renewed by the statement noting the reply on the conversation.
    assert not [s for s in seen if s.startswith("UPDATE conversations SET lease_until")]
    noted = [s for s in seen if s.startswith("UPDATE conversations SET last_message_at")]
    assert len(noted) == 1 and "lease_until" in noted[0] and "lease_owner" in noted[0]
    tg, _graph = fakes
    assert len(tg.sent_messages(chat_id=CUSTOMER)) == 2  # both questions answered, once each


def _waiting_reads(seen: list[str]) -> int:
    return len([s for s in seen if s.startswith("SELECT messages.id") and "JOIN users" in s])


def test_the_last_waiting_message_is_not_followed_by_one_more_read(
    app, client, fakes, shop, ack_only, gemini
):
    """Each read of the next waiting message also says whether another waits after it: after
    the last one the worker releases the conversation (which sees a message stored meanwhile)
    without asking once more."""
    _say(client, shop, "Yetkazib berish qancha turadi?")
    conv = _conversation(app, CUSTOMER)
    _answer(app, conv.id)  # caches warm
    _say(client, shop, "Qaytarish qanday ishlaydi?")
    assert _waiting_reads(_answer(app, conv.id)) == 1
    _say(client, shop, "Kafolat bormi?")
    _say(client, shop, "Do'kon qayerda joylashgan?")
    assert _waiting_reads(_answer(app, conv.id)) == 2
    tg, _graph = fakes
    assert len(tg.sent_messages(chat_id=CUSTOMER)) == 4  # every question answered, once


@contextmanager
def _transactions(app):
    """The statements the app runs inside the block, grouped by the transaction they ran in."""
    groups: list[list[str]] = [[]]

    def statement(_conn, _cursor, sql, *_args):
        groups[-1].append(" ".join(sql.split()))

    def ended(_conn):
        if groups[-1]:
            groups.append([])

    with app.app_context():
        engine = db.engine
    listeners = [
        ("before_cursor_execute", statement),
        ("commit", ended),
        ("rollback", ended),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield groups
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def test_the_replys_result_and_the_questions_status_are_written_in_one_transaction(
    app, client, fakes, shop, ack_only, gemini
):
    """Record the reply, send it, then write what the platform said and what that makes of the
    question together: one commit, not one for the reply and another for the question."""
    _say(client, shop, "Yetkazib berish qancha turadi?")
    conv = _conversation(app, CUSTOMER)
    _answer(app, conv.id)  # caches warm
    _say(client, shop, "Qaytarish qanday ishlaydi?")
    with _transactions(app) as groups, app.app_context():
        answer_conversation(conv.id)
    recording = [i for i, g in enumerate(groups) if any("INSERT INTO messages" in s for s in g)]
    assert len(recording) == 1
    after = [g for g in groups[recording[0] + 1 :] if any("messages" in s for s in g)]
    writes = [s for s in after[0] if s.startswith("UPDATE messages")]
    assert len(writes) == 2, writes  # the reply's status and id, the question's status
    assert any("external_id" in s for s in writes)
    assert any("language" in s for s in writes)
    assert not [s for g in after[1:] for s in g if s.startswith("UPDATE messages")]
    with app.app_context():
        question = db.session.scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id.desc())
        ).first()
        assert (question.status, question.language) == ("answered", "uz")
