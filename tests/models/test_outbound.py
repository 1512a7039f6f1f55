"""Message.new_outbound: one INSERT, the object attached as stored."""

from sqlalchemy import func, select

from extensions import db
from models.conversation import Conversation, Message


def test_an_outbound_message_is_stored_at_once_and_reads_nothing_back(app, user_factory):
    user = user_factory()
    with app.app_context():
        conv = Conversation(user_id=user.id, platform="web", account_ref="", customer_ref="c1")
        db.session.add(conv)  # not flushed yet: new_outbound flushes it to name it by id
        question = Message(
            conversation=conv,
            user_id=user.id,
            platform="web",
            account_ref="",
            direction="in",
            sender="customer",
            text="Salom",
            status="received",
        )
        db.session.add(question)
        msg = Message.new_outbound(conv, "Assalomu alaykum", reply_to=question, model="m1")
        assert msg.id is not None and msg in db.session and msg not in db.session.new
        assert (msg.status, msg.direction, msg.model, msg.attempts) == ("pending", "out", "m1", 0)
        assert msg.reply_to_id == question.id and msg.conversation is conv
        db.session.commit()
        stored = db.session.scalar(select(func.count()).where(Message.direction == "out"))
        assert stored == 1
        db.session.expire_all()
        again = db.session.get(Message, msg.id)
        assert (again.text, again.sender, again.status, again.model) == (
            "Assalomu alaykum",
            "bot",
            "pending",
            "m1",
        )
        assert db.session.get(Conversation, conv.id).message_count == 1


def test_an_outbound_message_with_a_stored_external_id_is_none(app, user_factory):
    """An owner's echo delivered twice at once: the second INSERT finds the first's id."""
    user = user_factory()
    with app.app_context():
        conv = Conversation(user_id=user.id, platform="web", account_ref="", customer_ref="c2")
        db.session.add(conv)
        first = Message.new_outbound(conv, "Ha", sender="owner", status="sent", external_id="e1")
        second = Message.new_outbound(conv, "Ha", sender="owner", status="sent", external_id="e1")
        assert first is not None and second is None
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(Message.external_id == "e1")) == 1


def test_the_conversation_is_noted_at_once_and_left_with_nothing_to_flush(app, user_factory):
    """The conversation's count and time are written with the reply, by one statement, and
    the loaded object knows them: the commit that follows has nothing of it to flush."""
    from sqlalchemy import event

    user = user_factory()
    with app.app_context():
        conv = Conversation(user_id=user.id, platform="web", account_ref="", customer_ref="c3")
        db.session.add(conv)
        db.session.commit()
        msg = Message.new_outbound(conv, "Salom")
        assert conv not in db.session.dirty and conv.last_message_at is not None
        flushed: list = []
        event.listen(db.session(), "before_flush", lambda s, *_: flushed.extend(s.dirty))
        db.session.commit()
        assert conv not in flushed
        Message.new_outbound(conv, "Yana salom")
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Conversation, conv.id)
        assert stored.message_count == 2
        assert stored.last_message_at is not None and msg.created_at <= stored.last_message_at
