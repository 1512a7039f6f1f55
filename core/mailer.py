"""E-mail through Flask-Mail, rendered from .txt + .html template pairs in the recipient's language.

With no MAIL_SERVER configured the message is written to the log and reported as not sent, so the
app runs on a laptop with no set-up (in production only the recipient and subject are logged).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message

from extensions import mail

log = logging.getLogger("bilimbot.mail")


@dataclass
class MailResult:
    """What happened to one e-mail: sent, logged only (no SMTP configured), or failed."""

    sent: bool
    status: str  # "sent", "logged", "failed"
    error: str | None = None


def _clean_header(value: str) -> str:
    # Header injection guard: user input never carries CR/LF into a header.
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


class _AsciiHeader(str):
    """An ASCII header value that folds only between its <…> items, never into RFC 2047 words.

    Python's SMTP policy turns an over-long ASCII token (a long URL) into =?utf-8?q?…?= words,
    which breaks List-Unsubscribe (RFC 2369 wants the bare <URL>). RFC 5322 allows such lines
    up to 998 characters.
    """

    def __new__(cls, name: str, value: str):
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def fold(self, *, policy) -> str:
        parts = re.split(r"(?<=>),\s*(?=<)", str(self))
        return f"{self.name}: " + ("," + policy.linesep + " ").join(parts) + policy.linesep


def _header(name: str, value: str) -> str:
    value = _clean_header(value)
    return _AsciiHeader(name, value) if value.isascii() else value


def render_email(template: str, language: str, **context) -> tuple[str, str, str]:
    """Render (subject, text, html) of templates/email/<template>.{txt,html} in a language."""
    with force_locale(language):
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
    return _clean_header(subject), text, html


def send_email(
    to: str,
    template: str,
    language: str,
    headers: dict[str, str] | None = None,
    **context,
) -> MailResult:
    """Render and send one e-mail; never raises for SMTP trouble (the result says what happened)."""
    subject, text, html = render_email(template, language, **context)
    msg = Message(
        subject=subject,
        recipients=[_clean_header(to)],
        body=text,
        html=html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={k: _header(k, v) for k, v in (headers or {}).items()},
    )
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("MAIL_LOG_BODY"):
            log.info("mail not configured; would send %r to %s:\n%s", subject, to, text)
        else:  # production: the body may hold a reset link, which must not reach the logs
            log.info("mail not configured; not sent: %r to %s", subject, to)
        return MailResult(sent=False, status="logged", error="MAIL_SERVER is not configured")
    try:
        mail.send(msg)
    except Exception as exc:  # SMTP, DNS, TLS, auth: all are recorded, none crash the caller
        log.warning("mail to %s failed: %s", to, type(exc).__name__)
        return MailResult(sent=False, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
    return MailResult(sent=True, status="sent")
