"""The RQ worker's entry: `rq worker bilimbot` runs `run_task` for every queued job.

The application is built once per worker process. It lives here, not in core.tasks, so the job
runner imports no application module (main imports the blueprints, which import the services,
which import core.tasks).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.tasks import run_registered

_APP: Flask | None = None


def run_task(name: str, args: tuple, kwargs: dict) -> Any:
    """Run one queued task inside this worker's application."""
    global _APP
    if _APP is None:
        from main import create_app

        _APP = create_app()
    return run_registered(_APP, name, args, kwargs)
