"""Admin: every conversation on the platform, one conversation in full, and a message from the
admin to that customer through the owner's channel."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from extensions import db
from forms.admin import ConversationFilterForm, MessageCustomerForm
from models.conversation import Conversation
from models.queries.conversations import (
    SEARCH_DEFAULT_DAYS,
    conversation_messages,
    conversations_page,
)
from models.user import User
from outreach import broadcast
from routes.admin_routes.blueprint import bp, log_action


@bp.get("/conversations")
def conversations():
    """Conversations filtered by channel, owner, dates, language, status and message text."""
    form = ConversationFilterForm(formdata=request.args)
    filters = form.filters()
    page, extras = conversations_page(filters, request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/conversations.html",
        form=form,
        page=page,
        extras=extras,
        args=args,
        window=filters.search_window(),
        default_days=SEARCH_DEFAULT_DAYS,
        searching=bool(filters.q),
        dated=bool(filters.date_from or filters.date_to),
    )


@bp.get("/conversations/<int:conv_id>")
def conversation_detail(conv_id: int):
    """Every message with direction, sender, language, status, model, tokens, latency, error."""
    conv = db.get_or_404(Conversation, conv_id)
    page = conversation_messages(
        conv, request.args.get("before", type=int), request.args.get("after", type=int)
    )
    return render_template(
        "admin/conversation_detail.html",
        conv=conv,
        owner=db.session.get(User, conv.user_id),
        page=page,
        messages=page.messages,
        form=MessageCustomerForm(),
        can_message=conv.platform != "web",
    )


@bp.post("/conversations/<int:conv_id>/message")
def message_customer(conv_id: int):
    """Send the admin's message to this customer (refused outside Meta's 24-hour window)."""
    conv = db.get_or_404(Conversation, conv_id)
    form = MessageCustomerForm()
    back = redirect(url_for("admin.conversation_detail", conv_id=conv.id) + "#message-form")
    if conv.platform == "web":
        flash(_("Messaging customers is not available."), "danger")
        return back
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.text.errors), "danger")
        return back
    try:
        msg = broadcast.outbound.send_to_conversation(conv, form.text.data.strip(), sender="admin")
    except broadcast.outbound.OutsideWindow as exc:
        flash(str(exc), "warning")
        return back
    log_action(
        "message_customer",
        conv.user_id,
        conversation_id=conv.id,
        platform=conv.platform,
        status=msg.status,
        error=msg.error,
    )
    db.session.commit()
    if msg.status == "failed":
        flash(_("The message could not be sent: %(error)s", error=msg.error), "danger")
    else:
        flash(_("Message sent."), "success")
    return back
