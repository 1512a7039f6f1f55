"""What answering one stored question costs in statements (issue 12: the answering CPU is mostly
the ORM's round trips): each read the answer needs is made once, and the rows the worker starts
from come in one query."""

from __future__ import annotations

from pipeline.worker import answer_conversation
from tests.pipeline.test_ack_path import CUSTOMER, _conversation, _say, ack_only, statements

__all__ = ["ack_only"]  # the fixture, used by name


def _answer(app, conv_id: int) -> list[str]:
    with statements(app) as seen, app.app_context():
        answer_conversation(conv_id)
    return seen


def _reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s.split(" WHERE")[0]]


def test_the_question_its_conversation_owner_and_settings_are_read_in_one_statement(
    app, client, fakes, shop, ack_only, gemini
):
    _say(client, shop, "Yetkazib berish qancha turadi?")
    conv = _conversation(app, CUSTOMER)
    _answer(app, conv.id)  # the first answer: caches warm, the AI settings row exists
    _say(client, shop, "Qaytarish qanday ishlaydi, kafolat bormi?")
    seen = _answer(app, conv.id)

    joined = [s for s in seen if s.startswith("SELECT messages.id") and "JOIN users" in s]
    assert joined and "JOIN ai_configs" in joined[0] and "JOIN conversations" in joined[0]
    (kb,) = _reading(seen, "knowledge_bases")
    assert "knowledge_bases.text" not in kb  # megabytes of extracted text, not read to answer
    for table in ("users", "ai_configs", "conversations"):
        assert not _reading(seen, table), table
    assert len(_reading(seen, "owner_answers")) == 1  # the pairs' version, for the languages too
    assert len(_reading(seen, "ai_usage_daily")) <= 1  # the daily quota, once
    limits = [s for s in seen if "count(*)" in s and "FROM messages" in s]
    assert len(limits) == 1  # the customer's minute and the owner's hour together
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
