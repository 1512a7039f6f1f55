"""The owner's test chat: the same engine as the channels, on platform "web"."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import delete, select

from extensions import db, limiter
from models.conversation import Conversation, Message
from pipeline.worker import answer_web
from routes.helpers import json_text, require_login

bp = Blueprint("chat", __name__, url_prefix="/test-chat")


require_login(bp)


def _rate_limit() -> str:
    return current_app.config["TEST_CHAT_RATE_LIMIT"]


def _per_user() -> str:
    # The limiter runs before the login check: anonymous requests are counted by address.
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _conversation(create: bool) -> Conversation | None:
    key = f"owner-{current_user.id}"
    if not create:
        return db.session.scalar(
            select(Conversation).where(
                Conversation.platform == "web", Conversation.customer_ref == key
            )
        )
    return Conversation.get_or_create(current_user.id, "web", "web", key, current_user.full_name)


@bp.get("/history")
def history():
    """The test conversation so far (for the chat box on the dashboard)."""
    conv = _conversation(create=False)
    messages = conv.messages if conv else []
    return jsonify([_as_json(m) for m in messages])


@bp.post("/send")
@limiter.limit(_rate_limit, key_func=_per_user)
def send():
    """Ask the assistant one question and get its answer with the passages it used."""
    text = json_text("text", 2001)
    if not text or len(text) > 2000:
        return {"error": _("Write a question of up to 2000 characters.")}, 400
    if not current_user.can_be_served:
        # The same rule as the channels: no AI call for an owner whose plan is not active.
        return {
            "error": _(
                "Your plan is not active, so your assistant does not answer, here or on your "
                "channels. Request access to continue."
            )
        }, 403
    conv = _conversation(create=True)
    reply = answer_web(conv, text)
    db.session.commit()
    return jsonify(_as_json(reply))


@bp.post("/reset")
def reset():
    """Start the test conversation over."""
    conv = _conversation(create=False)
    if conv is not None:
        db.session.execute(delete(Message).where(Message.conversation_id == conv.id))
        db.session.delete(conv)
        db.session.commit()
    return {"ok": True}


def _as_json(msg: Message) -> dict:
    bot_answer = msg.direction == "out" and msg.sender == "bot" and bool(msg.text)
    return {
        "id": msg.id,
        "direction": msg.direction,
        "text": msg.text,
        "status": msg.status,
        "provider": msg.provider,
        "sources": [
            {"position": c["position"] + 1, "text": c["text"], "owner": c.get("source") == "owner"}
            for c in msg.chunks_used
        ],
        "correct_url": url_for("answers.new", message=msg.id) if bot_answer else None,
    }
