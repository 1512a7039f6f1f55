"""The reply language: decided here for every channel, and remembered on the conversation."""

from __future__ import annotations

from models.conversation import Conversation
from text.detect import choose_language, detect


def reply_language(conv: Conversation, text: str | None, default: str) -> tuple[str, str]:
    """(language, script) for the reply: a language picked on Telegram wins; otherwise it is
    detected from the message. When the detector cannot decide, Meta and the test chat keep the
    conversation's language, Telegram (where nothing was picked) uses the owner's default."""
    if conv.platform == "telegram" and conv.language_chosen and conv.language:
        lang = conv.language
        return lang, {"ru": "cyrl", "en": "latn"}.get(lang, conv.script or "latn")
    current = None if conv.platform == "telegram" else conv.language
    lang = choose_language(text or "", current, default)
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
