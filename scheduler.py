"""In-process APScheduler for the periodic jobs (commands/jobs.py runs the same jobs from the CLI).

The server process starts the scheduler (main.py's __main__ block, gunicorn's post_worker_init);
tests and CLI commands never do. Every worker and instance may run the jobs at the same time:
each e-mail is claimed with an atomic conditional UPDATE before it is sent.
"""

from __future__ import annotations

import atexit
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)

JOB_INTERVAL_MINUTES = 10
_LOCK = threading.Lock()
_SCHEDULERS: dict[int, BackgroundScheduler] = {}


def _marketing_job() -> dict:
    from outreach.owner_emails import run_marketing

    return dict(run_marketing())


def _reminder_job() -> dict:
    from outreach.owner_emails import run_plan_reminders

    return dict(run_plan_reminders())


def _recover() -> dict:
    from pipeline.recovery import recover

    return recover()


def _rollup_job() -> dict:
    from models.queries.stats import rollup_message_days

    return rollup_message_days()


def _summary_job() -> dict:
    from outreach.alert_jobs import run_daily_summaries

    return run_daily_summaries()


def _plan_alert_job() -> dict:
    from outreach.alert_jobs import run_plan_alerts

    return run_plan_alerts()


def _channel_alert_job() -> dict:
    from outreach.alert_jobs import run_channel_checks

    return run_channel_checks()


JOBS: dict[str, Callable[[], dict]] = {
    "marketing-send-due": _marketing_job,
    "plan-remind-expiring": _reminder_job,
    "messages-requeue-stale": _recover,
    "stats-rollup": _rollup_job,
    "alerts-daily-summary": _summary_job,
    "alerts-plan-expiry": _plan_alert_job,
    "alerts-channel-health": _channel_alert_job,
}
# Unanswered customers cannot wait ten minutes; e-mails can; a day settles once a day.
# A summary is due at the owner's minute; a webhook's health is asked of Telegram every 30.
JOB_MINUTES = {
    "messages-requeue-stale": 2,
    "stats-rollup": 30,
    "alerts-daily-summary": 5,
    "alerts-channel-health": 30,
}


def run_job(app: Flask, name: str) -> dict | None:
    """Run one job in its own application context; errors are logged, never raised."""
    from extensions import db

    with app.app_context():
        try:
            stats = JOBS[name]()
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", name)
            return None
        if any(stats.values()):
            log.info("job %s: %s", name, stats)
        return stats


def start_scheduler(app: Flask) -> BackgroundScheduler | None:
    """Start the background scheduler once per process; a no-op when SCHEDULER_ENABLED is off."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return None
    with _LOCK:
        scheduler = _SCHEDULERS.get(id(app))
        if scheduler is not None:
            return scheduler
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        for name in JOBS:
            # A random first run spreads the workers' runs; the claims make overlaps harmless.
            first = datetime.now(UTC) + timedelta(seconds=random.uniform(30, 120))  # noqa: S311
            scheduler.add_job(
                run_job,
                "interval",
                minutes=JOB_MINUTES.get(name, JOB_INTERVAL_MINUTES),
                args=[app, name],
                id=name,
                next_run_time=first,
                replace_existing=True,
            )
        scheduler.start()
        _SCHEDULERS[id(app)] = scheduler
        atexit.register(_shutdown, id(app))
        log.info("scheduler started: %s", ", ".join(JOBS))
        return scheduler


def _shutdown(key: int) -> None:
    with _LOCK:
        scheduler = _SCHEDULERS.pop(key, None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)


def stop_scheduler(app: Flask) -> None:
    """Stop this app's scheduler (tests and clean shutdowns)."""
    _shutdown(id(app))
