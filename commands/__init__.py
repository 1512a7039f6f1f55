"""Every `flask` CLI group, registered on the app here.

Modules: admin (ensure-admin), crypto (rotate: secrets re-encrypted with the newest key),
demo (seed-demo; its names and texts in demo_data), jobs (the scheduler's jobs as the
marketing, messages, stats and alerts groups, for cron), db (rebuild_database, used by tests
and benchmarks).
"""

from __future__ import annotations

from flask import Flask

from commands.admin import ensure_admin
from commands.crypto import crypto_cli
from commands.demo import seed_demo
from commands.jobs import alerts_cli, marketing_cli, messages_cli, stats_cli


def register(app: Flask) -> None:
    app.cli.add_command(ensure_admin)
    app.cli.add_command(crypto_cli)
    app.cli.add_command(marketing_cli)
    app.cli.add_command(messages_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(seed_demo)
