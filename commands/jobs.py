"""The scheduler's jobs from the command line (cron, a Render cron job, by hand): `flask marketing
send-due | remind-expiring`, `flask messages requeue-stale`, `flask stats rollup`, `flask alerts
daily-summary | plan-expiry | channel-health`. Each is safe to
run alongside the scheduler: every unit of work is claimed atomically first.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from models.queries.stats import rollup_message_days
from outreach.alert_jobs import run_channel_checks, run_daily_summaries, run_plan_alerts
from outreach.owner_emails import run_marketing, run_plan_reminders
from pipeline.recovery import recover


@click.group("marketing")
def marketing_cli() -> None:
    """Marketing e-mails and plan expiry reminders."""


@marketing_cli.command("send-due")
@with_appcontext
def send_due_command() -> None:
    """Send the trial-ended offer to every owner due now (safe to run alongside the scheduler)."""
    stats = run_marketing()
    click.echo(_summary(stats))


@marketing_cli.command("remind-expiring")
@with_appcontext
def remind_expiring_command() -> None:
    """Remind owners whose plan ends within PLAN_REMINDER_DAYS (once per plan period)."""
    stats = run_plan_reminders()
    click.echo(_summary(stats))


@click.group("messages")
def messages_cli() -> None:
    """Customer messages."""


@messages_cli.command("requeue-stale")
@with_appcontext
def requeue_stale_command() -> None:
    """Answer messages left unanswered by a restart or a crash, fail uploads it interrupted and
    resume customer broadcasts it stopped (safe alongside the scheduler)."""
    stats = recover()
    click.echo(" ".join(f"{key}={value}" for key, value in stats.items()))


@click.group("stats")
def stats_cli() -> None:
    """Platform statistics."""


@stats_cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Recount every day (after importing old messages).")
@with_appcontext
def rollup_command(rebuild: bool) -> None:
    """Store the figures of settled days for the statistics page (safe alongside the scheduler)."""
    stats = rollup_message_days(rebuild=rebuild)
    click.echo(f"days={stats['days']} rows={stats['rows']}")


@click.group("alerts")
def alerts_cli() -> None:
    """The owners' alerts in Telegram."""


@alerts_cli.command("daily-summary")
@with_appcontext
def daily_summary_command() -> None:
    """Send the daily summary to every owner whose chosen time (Tashkent) has come, once a day."""
    click.echo(_figures(run_daily_summaries()))


@alerts_cli.command("plan-expiry")
@with_appcontext
def plan_expiry_command() -> None:
    """Tell owners their plan ends within 3 days, or has ended (once per plan end)."""
    click.echo(_figures(run_plan_alerts()))


@alerts_cli.command("channel-health")
@with_appcontext
def channel_health_command() -> None:
    """Alert owners whose Telegram webhook deliveries fail; send alerts left pending."""
    click.echo(_figures(run_channel_checks()))


def _figures(stats: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in stats.items())


def _summary(stats) -> str:
    parts = [f"{key}={stats.get(key, 0)}" for key in ("sent", "logged", "failed", "skipped")]
    return " ".join(parts)
