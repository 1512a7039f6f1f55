"""What the channel views share: our public webhook URLs, form errors as flashes."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for


def webhook_url(path: str) -> str:
    """The public URL of one of our webhooks: WEBHOOK_BASE_URL + path, or this request's own
    host when the setting is empty, so the owner always gets an address they can paste."""
    base = current_app.config["WEBHOOK_BASE_URL"] or request.host_url.rstrip("/")
    return base + path


def form_errors(form):
    """Flash the first error of every field and go back to the channels page."""
    for field, errors in form.errors.items():
        flash(f"{form[field].label.text}: {errors[0]}", "danger")
    return redirect(url_for("messaging.bots"))
