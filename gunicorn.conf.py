"""gunicorn settings (read automatically from the working directory by `gunicorn main:app`)."""

import os
import re

from gunicorn.glogging import Logger

# Two workers with four threads each fit Render's 512 MB starter instance; webhook views are
# short (they store and return 200) and the AI calls run in the background executor.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Uploads of 10 MB over a slow mobile connection need time; extraction itself runs in the
# background, so no request holds a worker for long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
# Never log query strings: webhook verify tokens travel in them.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'

# Links whose last path segment is a secret: password-reset and unsubscribe tokens.
_SECRET_SEGMENT = re.compile(r"(/auth/reset-password/|/billing/unsubscribe/)[^/?#\s\"]+")
_SECRET_MARKS = ("/reset-password/", "/unsubscribe/")


def redact(value):
    """Replace the token of a secret link in one log atom (path, request line, referrer...).
    Every atom of every request passes here: the substring test spares the regex for the rest."""
    if isinstance(value, str) and any(mark in value for mark in _SECRET_MARKS):
        return _SECRET_SEGMENT.sub(r"\1[redacted]", value)
    return value


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens in URL paths redacted from every access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        return {
            key: redact(value)
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }


logger_class = RedactingLogger


def post_worker_init(worker):
    """Start the in-process scheduler and the answer dispatcher in each worker; both claim
    their work atomically in the database, so every worker and instance may run them."""
    from pipeline.dispatch import start_for_server
    from scheduler import start_scheduler

    app = worker.app.wsgi()
    start_scheduler(app)
    start_for_server(app)
