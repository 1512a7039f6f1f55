"""gunicorn settings (read automatically from the working directory by `gunicorn main:app`)."""

import os

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
# Never log query strings: password-reset tokens and verify tokens travel in them.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def post_worker_init(worker):
    """Start the in-process scheduler in each worker; its jobs claim work atomically."""
    from utils.scheduler import start_scheduler

    start_scheduler(worker.app.wsgi())
