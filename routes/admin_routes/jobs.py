"""Admin: background jobs that failed on the RQ workers (the dead letters), with a retry."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError

from channels.redact import scrub_tokens
from core.tasks import failed_jobs, retry_failed_job
from extensions import db
from forms.admin import ConfirmForm
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
        "admin/jobs.html", jobs=found, unreachable=unreachable, form=ConfirmForm()
    )


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
