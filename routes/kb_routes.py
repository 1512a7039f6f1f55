"""The owner's knowledge base: upload (with progress and background extraction), preview,
test search, download of the original, delete."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from core.tasks import enqueue
from extensions import db
from forms.kb import SearchForm, UploadForm
from kb import service as kb_service
from models.knowledge_base import KnowledgeBase
from models.owner_answer import KnowledgeGap, OwnerAnswer
from pipeline.engine import passages_for
from routes.helpers import get_owned_or_404, is_xhr, require_login

bp = Blueprint("kb", __name__, url_prefix="/knowledge-base")


require_login(bp)


@bp.get("/")
def index():
    """The knowledge base page: what is active, the last upload's state, preview, test search,
    the owner's own answers and the knowledge gaps."""
    kb = KnowledgeBase.active_for(current_user.id)
    latest = KnowledgeBase.latest_upload_for(current_user.id)
    form = SearchForm(request.args)
    # Exactly what the bot would put in its prompt for this question.
    results = passages_for(kb, form.q.data) if kb and form.q.data else []
    return render_template(
        "upload_kb.html",
        kb=kb,
        latest=latest,
        upload_form=UploadForm(),
        search_form=form,
        results=results,
        pairs=OwnerAnswer.for_user(current_user.id),
        gaps=KnowledgeGap.open_page(current_user.id, request.args.get("page", 1, type=int)),
    )


@bp.post("/upload")
def upload():
    """Store the file and start extraction in the background; the page polls the status."""
    form = UploadForm()
    if not form.validate_on_submit():
        message = (
            next(iter(form.errors.values()))[0] if form.errors else _("Choose a file to upload.")
        )
        return _upload_error(str(message), 400)
    try:
        kb = kb_service.accept_upload(current_user, form.file.data)
    except kb_service.UploadRejected as exc:
        return _upload_error(str(exc), exc.status)
    db.session.commit()
    enqueue(kb_service.process_upload, kb.id)
    if is_xhr():
        return {"id": kb.id, "status_url": url_for("kb.status", kb_id=kb.id)}, 202
    flash(_("The file has been uploaded and is being processed."), "info")
    return redirect(url_for("kb.index"))


def _upload_error(message: str, code: int):
    if is_xhr():
        return {"error": message}, code
    flash(message, "danger")
    return redirect(url_for("kb.index"))


@bp.get("/uploads/<int:kb_id>/status")
def status(kb_id: int):
    """Processing state of one upload, polled by the page."""
    kb = get_owned_or_404(KnowledgeBase, kb_id)
    return {
        "status": kb.status,
        "error": kb.error,
        "chars": kb.char_count,
        "chunks": kb.chunk_count,
    }


@bp.get("/<int:kb_id>/download")
def download(kb_id: int):
    """The original file, for its owner and admins only (never served from static/)."""
    kb = get_owned_or_404(KnowledgeBase, kb_id)
    path = kb_service.stored_path(kb)
    if path is None or not path.exists():
        abort(404)
    return send_file(path, as_attachment=True, download_name=kb.original_name)


@bp.post("/delete")
def delete():
    """Delete the active knowledge base (the bot then answers that it does not know)."""
    if kb_service.delete_active(current_user.id):
        db.session.commit()
        flash(_("The knowledge base has been deleted."), "success")
    return redirect(url_for("kb.index"))
