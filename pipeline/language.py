"""The reply language: decided here for every channel, and remembered on the conversation."""

from __future__ import annotations

from models.conversation import Conversation
from text.detect import choose_language, detect


def reply_language(conv: Conversation, text: str | None, default: str) -> tuple[str, str]:
    """(language, script) for the reply: Telegram uses the chosen/default language; Meta and the
    test chat detect it from the message, keeping the conversation's language when unclear."""
    if conv.platform == "telegram":
        lang = conv.language if conv.language_chosen and conv.language else default
        return lang, {"ru": "cyrl", "en": "latn"}.get(lang, conv.script or "latn")
    lang = choose_language(text or "", conv.language, default)
    found = detect(text or "")
    script = found.script if found and found.lang == lang else conv.script
    if lang == "ru":
        script = "cyrl"
    elif lang == "en":
        script = "latn"
    return lang, script or "latn"


def remember_language(conv: Conversation, text: str | None, language: str) -> None:
    """After answering on a detecting channel (not Telegram, where the customer picks), the
    conversation keeps the language and script of the reply for messages with no signal."""
    if conv.platform == "telegram":
        return
    found = detect(text or "")
    conv.language = language
    if found and found.lang == language:
        conv.script = found.script
