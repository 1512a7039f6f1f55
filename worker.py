"""The RQ worker: `rq worker -w worker.AnsweringWorker bilimbot` (see Procfile, render.yaml).

A long-lived process: the application is built once, jobs run in it without forking (the
default `rq worker` forks a child and built the app again for every job), and a dispatcher
answers customers on its I/O threads from the database queue (pipeline/dispatch.py).
`run_task` is what every job names. This lives here, not in core.tasks, so the job runner
imports no application module (main imports the blueprints, which import the services, which
import core.tasks).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq.worker import SimpleWorker

from core.tasks import run_registered

_APP: Flask | None = None


def application() -> Flask:
    """This process's application, built on first use."""
    global _APP
    if _APP is None:
        from main import create_app

        _APP = create_app()
    return _APP


def run_task(name: str, args: tuple, kwargs: dict) -> Any:
    """Run one queued task inside this worker's application."""
    return run_registered(application(), name, args, kwargs)


class AnsweringWorker(SimpleWorker):
    """An RQ worker that keeps the app loaded and answers customers on its own threads."""

    def work(self, *args: Any, **kwargs: Any) -> bool:
        from pipeline.dispatch import answering_process_dispatcher

        # Claims from the database, whatever the jobs say: a wake-up job reaches one worker,
        # the others find new messages at their next poll.
        answering_process_dispatcher(application())
        return super().work(*args, **kwargs)
