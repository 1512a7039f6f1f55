"""The owner's own answers: correct a bot answer (conversations, test chat), answer or dismiss a
knowledge gap, add, edit and delete question/answer pairs. Listed on the knowledge-base page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from forms.kb import OwnerAnswerForm
from models.conversation import Message
from models.owner_answer import KnowledgeGap, OwnerAnswer
from routes.helpers import get_owned_or_404, require_login

bp = Blueprint("answers", __name__, url_prefix="/knowledge-base/answers")


require_login(bp)


def _source(form: OwnerAnswerForm) -> tuple[Message | None, KnowledgeGap | None]:
    """The bot answer being corrected, or the gap being answered (the owner's own, else 404)."""
    message_id = request.args.get("message") or form.message_id.data
    gap_id = request.args.get("gap") or form.gap_id.data
    message = _owned(Message, message_id) if message_id else None
    if message is not None and message.direction != "out":
        abort(404)
    return message, _owned(KnowledgeGap, gap_id) if gap_id else None


def _owned(model, ident: str):
    if not str(ident).isdigit():
        abort(404)
    return get_owned_or_404(model, int(ident))


def asked_before(message: Message) -> str:
    """The customer's question a bot answer replied to."""
    question = db.session.get(Message, message.reply_to_id) if message.reply_to_id else None
    return (question.text or "") if question is not None else ""


def _back(message: Message | None) -> str:
    """Where the owner came from: the test chat, the conversation, or the knowledge base."""
    if message is None:
        return url_for("kb.index", _anchor="owner-answers")
    if message.platform == "web":
        return url_for("main.dashboard", _anchor="test-chat")
    return url_for("messaging.conversation", conv_id=message.conversation_id)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """The form for a new pair, prefilled from a bot answer or a knowledge gap; saves it."""
    form = OwnerAnswerForm()
    message, gap = _source(form)
    if request.method == "GET":
        form.question.data = asked_before(message) if message else (gap.question if gap else "")
        form.message_id.data, form.gap_id.data = message and message.id, gap and gap.id
    elif form.validate_on_submit():
        owner_id = (message or gap).user_id if (message or gap) else current_user.id
        pair = OwnerAnswer.create(owner_id, form.question.data, form.answer.data)
        if gap is not None:
            gap.resolve(pair)
        db.session.commit()
        flash(_("Saved. The assistant will give this answer to this question."), "success")
        return redirect(_back(message))
    status = 400 if form.errors else 200
    return render_template(
        "owner_answer.html", form=form, message=message, gap=gap, back=_back(message)
    ), status


@bp.route("/<int:pair_id>/edit", methods=["GET", "POST"])
def edit(pair_id: int):
    """Change a pair's question or answer."""
    pair = get_owned_or_404(OwnerAnswer, pair_id)
    form = OwnerAnswerForm(obj=pair)
    if form.validate_on_submit():
        pair.change(form.question.data, form.answer.data)
        db.session.commit()
        flash(_("The answer has been updated."), "success")
        return redirect(url_for("kb.index", _anchor="owner-answers"))
    status = 400 if form.errors else 200
    back = url_for("kb.index", _anchor="owner-answers")
    return render_template("owner_answer.html", form=form, pair=pair, back=back), status


@bp.post("/<int:pair_id>/delete")
def delete(pair_id: int):
    """Delete a pair (the bot answers that question from the knowledge base again)."""
    db.session.delete(get_owned_or_404(OwnerAnswer, pair_id))
    db.session.commit()
    flash(_("The answer has been deleted."), "success")
    return redirect(url_for("kb.index", _anchor="owner-answers"))


@bp.post("/gaps/<int:gap_id>/dismiss")
def dismiss_gap(gap_id: int):
    """Take a question off the list without answering it (it comes back if asked again)."""
    get_owned_or_404(KnowledgeGap, gap_id).dismiss()
    db.session.commit()
    flash(_("The question has been dismissed. It comes back if a customer asks it again."), "info")
    page = request.form.get("page", "")
    args = {"page": int(page)} if page.isdigit() and int(page) > 1 else {}
    return redirect(url_for("kb.index", _anchor="knowledge-gaps", **args))
