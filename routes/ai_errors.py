"""Provider failures (ai.AIError, whose detail is English for logs) in the reader's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ai import AIError
from ai.types import LABELS

_BY_KIND = {
    "auth": _l("%(provider)s did not accept the API key"),
    "model_not_found": _l("%(provider)s does not offer the model %(model)s"),
    "rate_limit": _l("%(provider)s is receiving too many requests or the quota is used up"),
    "timeout": _l("%(provider)s did not answer in time"),
    "connection": _l("could not connect to %(provider)s"),
    "server": _l("%(provider)s had a server error"),
    "bad_request": _l("%(provider)s refused the request"),
    "empty": _l("%(provider)s returned an empty answer"),
    "unknown": _l("unexpected error from %(provider)s"),
}


def provider_label(provider: str | None) -> str:
    """A provider's name as its maker writes it ("OpenAI", "Gemini")."""
    return LABELS.get(provider or "", provider or "AI")


def describe(err: AIError, model: str | None = None) -> str:
    """What went wrong, translated; the HTTP status (if any) kept for support."""
    name = provider_label(err.provider)
    if err.status is None and err.kind == "auth":  # refused before any call: no key at all
        return _("no %(provider)s API key is configured", provider=name)
    if err.status is None and err.kind == "bad_request" and not model:
        return _("no %(provider)s model is configured", provider=name)
    text = str(_BY_KIND.get(err.kind, _BY_KIND["unknown"]) % {"provider": name, "model": model})
    return f"{text} ({err.status})" if err.status and err.status != 200 else text


def notice_text(notice: dict) -> str:
    """The admin's stored platform AI notice (PlatformAI.last_error_notice) in words."""
    if notice["kind"] == "quota":
        return _(
            "The platform AI key's daily quota (%(n)s answers) is used up: the bot answers "
            "offline until tomorrow.",
            n=current_app.config["PLATFORM_AI_DAILY_QUOTA"],
        )
    if notice["kind"] in _BY_KIND:
        text = _BY_KIND[notice["kind"]] % {
            "provider": provider_label(notice["provider"]),
            "model": notice["model"],
        }
        return str(text)
    return notice["detail"]
