"""Admin: background work that failed: jobs of the RQ workers (the dead letters), and webhook
deliveries that could not be stored (pipeline/inbox.py), each with a retry."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError

from channels.redact import scrub_tokens
from core.tasks import failed_jobs, retry_failed_job
from extensions import db
from forms.admin import ConfirmForm
from pipeline import inbox
from pipeline.dispatch import notify_delivery
from routes.admin_routes.blueprint import bp, log_action


@bp.get("/jobs")
def jobs():
    """Failed jobs with their task and error (bot tokens scrubbed); nothing without Redis."""
    url = current_app.config.get("REDIS_URL")
    found, unreachable = None, False
    if url:
        try:
            found = [replace(job, error=scrub_tokens(job.error)) for job in failed_jobs(url)]
        except RedisError:
            unreachable = True
    return render_template(
        "admin/jobs.html",
        jobs=found,
        unreachable=unreachable,
        deliveries=[_shown(d) for d in inbox.failed()],
        form=ConfirmForm(),
    )


def _shown(delivery):
    """A failed delivery as the page shows it: its error with any bot token scrubbed."""
    return {
        "id": delivery.id,
        "platform": delivery.platform,
        "received_at": delivery.received_at,
        "attempts": delivery.attempts,
        "error": scrub_tokens(delivery.error or ""),
    }


@bp.post("/jobs/deliveries/<bigint:delivery_id>/retry")
def retry_delivery(delivery_id: int):
    """Store a failed webhook delivery again (its tries given back); written to the admin log."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.jobs"))
    if inbox.retry(delivery_id):
        log_action("retry_delivery", delivery=delivery_id)
        db.session.commit()
        notify_delivery()
        flash(_("The delivery will be stored again."), "success")
    else:
        db.session.rollback()
        flash(_("That delivery is no longer among the failed ones."), "warning")
    return redirect(url_for("admin.jobs"))


@bp.post("/jobs/<job_id>/retry")
def retry_job(job_id: str):
    """Queue a failed job again; written to the admin log."""
    url = current_app.config.get("REDIS_URL")
    if not (url and ConfirmForm().validate_on_submit()):
        return redirect(url_for("admin.jobs"))
    try:
        retried = retry_failed_job(url, job_id[:100])
    except RedisError:
        retried = False
    if retried:
        log_action("retry_job", job=job_id[:100])
        db.session.commit()
        flash(_("The job is queued again."), "success")
    else:
        flash(_("That job is no longer among the failed ones."), "warning")
    return redirect(url_for("admin.jobs"))
