"""Short fixed texts the bot sends customers, in the customer's language (not the site's)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from text.script import latin_to_cyrillic

LANGUAGE_NAMES = {"uz": "O‘zbekcha", "ru": "Русский", "en": "English"}


def _in(language: str, make, script: str = "latn") -> str:
    """The text in the customer's language; Uzbek Cyrillic is transliterated from the uz catalog
    (which is Latin), so a customer who writes in Cyrillic is answered in Cyrillic."""
    language = language if language in LANGUAGE_NAMES else "uz"
    with force_locale(language):
        text = make()
    return latin_to_cyrillic(text) if language == "uz" and script == "cyrl" else text


def greeting(language: str, bot_name: str | None) -> str:
    if bot_name:
        return _in(
            language,
            lambda: _(
                "Hello! I am %(name)s, the assistant of this business. Ask me anything. "
                "You can also choose the language:",
                name=bot_name,
            ),
        )
    return _in(
        language,
        lambda: _(
            "Hello! I am the assistant of this business. Ask me anything. "
            "You can also choose the language:"
        ),
    )


def language_set(language: str) -> str:
    return _in(
        language,
        lambda: _(
            "Language set: %(language)s. How can I help you?",
            language=LANGUAGE_NAMES.get(language, language),
        ),
    )


def text_only(language: str, script: str = "latn") -> str:
    return _in(
        language,
        lambda: _("Sorry, I can only read text messages. Please type your question."),
        script,
    )


def shorter_please(language: str, script: str = "latn", minutes: int = 2) -> str:
    """A voice note over the length the bot transcribes."""
    return _in(
        language,
        lambda: _(
            "Sorry, your voice message is too long for me. Please send a shorter one (up to "
            "%(minutes)s min) or type your question.",
            minutes=minutes,
        ),
        script,
    )


def file_too_large(language: str, script: str = "latn") -> str:
    return _in(
        language,
        lambda: _("Sorry, this file is too large for me. Please send a smaller picture or type "
                  "your question."),
        script,
    )  # fmt: skip


def unreadable(language: str, script: str = "latn") -> str:
    """A voice note or photo that could not be fetched or made out."""
    return _in(
        language,
        lambda: _("Sorry, I could not make out your message. Please type your question."),
        script,
    )


def apology(language: str, script: str = "latn") -> str:
    return _in(
        language,
        lambda: _("Sorry, I cannot answer right now. Please try again a little later."),
        script,
    )


def found_intro(language: str, script: str = "latn") -> str:
    return _in(language, lambda: _("Here is what I found:"), script)


def dont_know(language: str, script: str = "latn") -> str:
    return _in(
        language,
        lambda: _(
            "Sorry, I don't have an answer to that. "
            "Please contact us directly and we will help you."
        ),
        script,
    )


def small_talk(intent: str, language: str, script: str = "latn") -> str:
    """The fixed answer to a greeting, thanks, goodbye, "are you a bot?" or a request for a
    person (text.smalltalk.intent)."""
    texts = {
        "greeting": lambda: _("Hello! How can I help you?"),
        "thanks": lambda: _("You are welcome! Is there anything else I can help with?"),
        "goodbye": lambda: _("Goodbye! Write to us any time."),
        "bot": lambda: _(
            "I am the virtual assistant of this business. I answer from its information, and I "
            "can pass your question to a person."
        ),
        "human": lambda: _(
            "I have passed your request to a person from the business. They will answer you "
            "here as soon as they can."
        ),
    }
    return _in(language, texts[intent], script)
