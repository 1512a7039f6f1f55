"""What the pages show for stored ids (languages, statuses, plans, channels): shared by the
templates, the forms and the admin log, so forms never import routes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"uz": "O‘zbekcha", "ru": "Русский", "en": "English"}
STATUS_LABELS = {
    "trial": _l("Trial"),
    "paid": _l("Paid"),
    "expired": _l("Expired"),
    "banned": _l("Banned"),
}
PLAN_LABELS = {"monthly": _l("Monthly"), "quarterly": _l("Quarterly"), "annual": _l("Annual")}
PLATFORM_LABELS = {
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "instagram": "Instagram",
    "web-widget": _l("Website chat"),
    "web": _l("Test chat"),
}
# Bootstrap Icons names, for the lists that show a channel as an icon.
PLATFORM_ICONS = {
    "telegram": "bi-telegram",
    "whatsapp": "bi-whatsapp",
    "instagram": "bi-instagram",
    "web-widget": "bi-chat-square-dots",
    "web": "bi-chat-dots",
}
# AI providers as their makers write them; the offline engine in words.
AI_PROVIDER_LABELS = {"gemini": "Gemini", "openai": "OpenAI", "offline": _l("Offline engine")}
