"""The owner's conversations across channels: list, view, pause the bot and reply by hand."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, select

from extensions import db
from forms.fields import parse_date_input
from forms.messaging import ReplyForm
from models.conversation import PLATFORMS, Conversation, Message
from pipeline.send import OutsideWindow, send_to_conversation
from routes.helpers import get_owned_or_404
from routes.messaging_routes.blueprint import bp

TASHKENT = timedelta(hours=5)  # Asia/Tashkent has no daylight saving time


def _day_start(value: str | None, days: int = 0) -> datetime | None:
    """A date typed in Tashkent time (the locale's format or ISO), as the UTC instant its day
    starts."""
    day = parse_date_input(value)
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time(), UTC) - TASHKENT


def owner_conversation_query(user_id: int, args) -> select:
    """The owner's conversations filtered by platform, date range and text, newest first."""
    query = select(Conversation).where(Conversation.user_id == user_id)
    if args.get("platform") in PLATFORMS:
        query = query.where(Conversation.platform == args["platform"])
    if start := _day_start(args.get("from")):
        query = query.where(Conversation.last_message_at >= start)
    if end := _day_start(args.get("to"), days=1):
        query = query.where(Conversation.last_message_at < end)
    if q := (args.get("q") or "").strip()[:200]:
        query = query.where(
            exists().where(
                Message.conversation_id == Conversation.id,
                Message.user_id == user_id,
                Message.text.ilike(f"%{q}%"),
            )
        )
    return query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


@bp.get("/conversations")
@login_required
def conversations():
    """Every customer conversation of this owner, paginated."""
    page = db.paginate(owner_conversation_query(current_user.id, request.args), per_page=25)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("conversations.html", page=page, args=args, platforms=PLATFORMS)


@bp.get("/conversations/<int:conv_id>")
@login_required
def conversation(conv_id: int):
    """One conversation with every message, its status and errors."""
    conv = get_owned_or_404(Conversation, conv_id)
    return render_template(
        "conversation.html",
        conv=conv,
        form=ReplyForm(),
        takeover_minutes=current_app.config["HUMAN_TAKEOVER_MINUTES"],
    )


@bp.post("/conversations/<int:conv_id>/pause")
@login_required
def pause(conv_id: int):
    """Take over: the bot stops answering this customer for a while."""
    conv = get_owned_or_404(Conversation, conv_id)
    conv.pause(current_app.config["HUMAN_TAKEOVER_MINUTES"])
    db.session.commit()
    flash(_("The bot is paused in this conversation. You can reply yourself."), "info")
    return redirect(url_for("messaging.conversation", conv_id=conv.id))


@bp.post("/conversations/<int:conv_id>/resume")
@login_required
def resume(conv_id: int):
    """Give the conversation back to the bot."""
    conv = get_owned_or_404(Conversation, conv_id)
    conv.resume()
    db.session.commit()
    flash(_("The bot answers this customer again."), "success")
    return redirect(url_for("messaging.conversation", conv_id=conv.id))


@bp.post("/conversations/<int:conv_id>/reply")
@login_required
def reply(conv_id: int):
    """Send a message written by the owner through the customer's channel (pauses the bot)."""
    conv = get_owned_or_404(Conversation, conv_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            msg = send_to_conversation(conv, form.text.data.strip(), sender="owner")
        except OutsideWindow as exc:
            flash(str(exc), "warning")
        else:
            conv.pause(current_app.config["HUMAN_TAKEOVER_MINUTES"])
            db.session.commit()
            flash(
                _("Message sent.")
                if msg.status == "sent"
                else _("The message could not be sent: %(error)s", error=msg.error),
                "success" if msg.status == "sent" else "danger",
            )
    return redirect(url_for("messaging.conversation", conv_id=conv.id))
