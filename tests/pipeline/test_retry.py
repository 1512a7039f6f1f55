"""Replies the platform refuses for now (Telegram flood control) are retried durably: the
conversation waits in the database until retry_at, no thread sleeps, order is kept, and a reply
that finally fails is shown as failed on the question too."""

from datetime import timedelta

from sqlalchemy import select, update

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from pipeline.recovery import requeue_stale
from tests.channel_fixtures import tg_post
from tests.engine_helpers import configured
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"


def _ask(client, shop, chat_id, text="Ish vaqti qanday?"):
    update_ = t.telegram_text_update(text, chat_id=chat_id)
    assert tg_post(client, shop.id, update_, shop.telegram_secret).status_code == 200


def _rows():
    db.session.expire_all()
    questions = db.session.scalars(
        select(Message).where(Message.direction == "in").order_by(Message.id)
    ).all()
    answers = db.session.scalars(
        select(Message).where(Message.direction == "out").order_by(Message.id)
    ).all()
    return questions, answers


def _time_passes():
    """The conversation's retry_at has come (instead of waiting for it)."""
    past = utcnow() - timedelta(seconds=1)
    db.session.execute(update(Conversation).values(lease_until=past))
    db.session.execute(update(Message).where(Message.retry_at.is_not(None)).values(retry_at=past))
    db.session.commit()


def test_a_429_keeps_the_reply_for_later_and_sends_it_once_its_time_has_come(
    client, app, fakes, shop
):
    tg, _ = fakes
    tg.rate_limit(retry_after=30, times=1, chat_id=2020)
    _ask(client, shop, 2020)
    assert tg.sent_messages(chat_id=2020) == []  # refused, and no thread slept through it
    with app.app_context():
        [question], [reply] = _rows()
        assert (question.status, reply.status, reply.attempts) == ("processing", "retrying", 1)
        assert "Too Many Requests" in reply.error
        conv = db.session.get(Conversation, question.conversation_id)
        # Nobody holds it; nobody may take it before Telegram's retry_after.
        assert conv.lease_owner is None and conv.answer_pending
        assert timedelta(seconds=25) < conv.lease_until - utcnow() <= timedelta(seconds=30)
        assert requeue_stale()["requeued"] == 0
        _time_passes()
        assert requeue_stale()["requeued"] == 1
        [question], [reply] = _rows()
        assert (question.status, reply.status) == ("answered", "sent")
        assert reply.external_id == f"out:2020:{tg.sent_messages(chat_id=2020)[0]['message_id']}"
        assert requeue_stale()["requeued"] == 0
    assert len(tg.sent_messages(chat_id=2020)) == 1


def test_a_later_question_waits_behind_the_retried_reply(client, app, fakes, shop):
    tg, _ = fakes
    tg.rate_limit(retry_after=5, times=1, chat_id=2121)
    _ask(client, shop, 2121, "Ish vaqti qanday?")
    _ask(client, shop, 2121, "Qaytarish mumkinmi?")  # arrives while the first reply waits
    assert tg.sent_messages(chat_id=2121) == []
    with app.app_context():
        questions, _ = _rows()
        assert [q.status for q in questions] == ["processing", "received"]
        _time_passes()
        requeue_stale()
        questions, answers = _rows()
        assert [q.status for q in questions] == ["answered", "answered"]
        assert [a.reply_to_id for a in answers] == [q.id for q in questions]
    texts = tg.sent_texts(chat_id=2121)
    assert len(texts) == 2 and "9:00" in texts[0]  # the first question's answer first


def test_a_reply_refused_every_time_ends_failed_and_shown(client, app, fakes, shop):
    tg, _ = fakes
    tg.rate_limit(retry_after=1, times=10, chat_id=2222)
    with configured(app, SEND_RETRY_ATTEMPTS=2):
        _ask(client, shop, 2222)
        with app.app_context():
            _time_passes()
            requeue_stale()
            [question], [reply] = _rows()
            assert (reply.status, reply.attempts) == ("failed", 2)
            assert question.status == "failed" and "Too Many Requests" in question.error
            conv = db.session.get(Conversation, question.conversation_id)
            assert not conv.answer_pending  # settled: nothing left to do
    assert tg.sent_messages(chat_id=2222) == []


def test_an_owner_reply_by_hand_still_retries_a_short_429_at_once(client, app, fakes, shop):
    """Owners wait for their own replies: those keep the client's short, bounded retries."""
    from pipeline.send import send_to_conversation

    tg, _ = fakes
    with app.app_context():
        conv = Conversation.get_or_create(shop.id, "telegram", "987654321", "2323")
        db.session.commit()
        tg.rate_limit(retry_after=0, times=1, chat_id=2323)
        msg = send_to_conversation(conv, "Salom!", sender="owner")
        assert msg.status == "sent"
    assert len(tg.sent_messages(chat_id=2323)) == 1


def test_a_reply_sent_while_the_database_drops_the_connection_is_still_recorded_as_sent(
    client, app, fakes, shop, monkeypatch
):
    """The platform took the reply, then the commit recording it failed (the database went
    away for a moment): the result is written again once it is back, so the reply is not
    settled later as unconfirmed, and the customer gets it once."""
    from sqlalchemy.exc import OperationalError

    tg, _ = fakes
    real_commit, dropped = db.session.commit, []

    def commit():
        if tg.sent_messages(chat_id=3030) and not dropped:
            dropped.append(True)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    _ask(client, shop, 3030)
    monkeypatch.undo()
    assert dropped and len(tg.sent_messages(chat_id=3030)) == 1
    with app.app_context():
        [question], [reply] = _rows()
        sent_id = tg.sent_messages(chat_id=3030)[0]["message_id"]
        assert (reply.status, reply.external_id) == ("sent", f"out:3030:{sent_id}")
        assert question.status == "answered"
        assert requeue_stale()["requeued"] == 0
    assert len(tg.sent_messages(chat_id=3030)) == 1


def test_a_long_reply_refused_after_its_first_part_sends_only_the_rest_later(
    client, app, fakes, shop, gemini
):
    """Telegram takes part 1 of a split reply, then answers 429 for part 2: the retry sends
    part 2 only (part 1 is never sent twice) and the reply keeps part 1's id."""
    tg, _ = fakes
    long_answer = (
        "Yetkazib berish Toshkent boʻylab bepul. " * 80
        + "\n\n"
        + "Toʻlov naqd yoki karta orqali qabul qilinadi. " * 70
    )  # ~6,500 characters: two parts
    gemini.push_text(long_answer.strip())
    tg.fail_send(429, retry_after=5, chat_id=4040, after=1)
    _ask(client, shop, 4040)
    [first] = tg.sent_messages(chat_id=4040)
    with app.app_context():
        [question], [reply] = _rows()
        assert (reply.status, reply.parts_sent) == ("retrying", 1)
        assert reply.external_id == f"out:4040:{first['message_id']}"
        _time_passes()
        assert requeue_stale()["requeued"] == 1
        [question], [reply] = _rows()
        assert (question.status, reply.status, reply.parts_sent) == ("answered", "sent", 1)
        assert reply.external_id == f"out:4040:{first['message_id']}"
    texts = [m["text"] for m in tg.sent_messages(chat_id=4040)]
    assert len(texts) == 2 and texts[0] != texts[1]
    assert texts[0].startswith("Yetkazib") and texts[1].startswith("Toʻlov")
