"""The owner's inbox: conversations across channels (searched, filtered, unread marked), one
conversation (opening it marks it read), pause the bot and reply by hand."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from extensions import db
from forms.messaging import InboxFilterForm, ReplyForm
from models.canned_reply import CannedReply
from models.conversation import Conversation
from models.queries.conversations import conversations_query, matching_messages, unread_count
from pipeline.send import OutsideWindow, send_to_conversation
from routes.helpers import get_owned_or_404
from routes.messaging_routes.blueprint import bp
from routes.messaging_routes.snippets import snippet

INBOX_PER_PAGE = 25


@bp.get("/conversations")
@login_required
def conversations():
    """The owner's conversations: searched (with the matching message), filtered, paginated."""
    form = InboxFilterForm(formdata=request.args)
    filters = form.filters(current_user.id)
    page = db.paginate(
        conversations_query(filters), per_page=INBOX_PER_PAGE, max_per_page=INBOX_PER_PAGE
    )
    matches = matching_messages(filters, [c.id for c in page.items])
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "conversations.html",
        page=page,
        form=form,
        args=args,
        query=filters.q,
        snippets={cid: snippet(m.text or m.transcript, filters.q) for cid, m in matches.items()},
        filtered=bool(set(args) - {"page"}),
    )


@bp.get("/conversations/unread")
@login_required
def unread():
    """The navbar's unread count, polled by static/js/unread.js."""
    response = jsonify(unread=unread_count(current_user.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/conversations/<int:conv_id>")
@login_required
def conversation(conv_id: int):
    """One conversation with every message, its status and errors."""
    conv = get_owned_or_404(Conversation, conv_id)
    if conv.user_id == current_user.id:  # an admin looking in leaves it unread for the owner
        conv.mark_read()
        db.session.commit()
    return render_template(
        "conversation.html",
        conv=conv,
        form=ReplyForm(),
        canned=CannedReply.for_user(current_user.id),
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
