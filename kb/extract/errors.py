"""FileParseError and the warnings of a parse: every user-facing string of extraction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kb.extract import limits


def _untranslated(msgid: str, **params: Any) -> str:
    return msgid % params if params else msgid


# How a message becomes text: the app installs its translator (Flask-Babel's gettext, see
# kb/service.py); without one (scripts, the extraction child) the English text is used.
_translate: Callable[..., str] = _untranslated


def set_translator(translate: Callable[..., str]) -> None:
    """Render parse messages with this gettext(msgid, **params) from now on."""
    global _translate
    _translate = translate


class _LazyMessage:
    """A message translated by str() in the locale active then, as Flask-Babel's lazy_gettext.

    The translator is installed by the app, so this library (and the extraction child, which
    reports codes and never messages) imports no Flask.
    """

    __slots__ = ("_msgid", "_params")

    def __init__(self, msgid: str, **params: Any) -> None:
        self._msgid = msgid
        self._params = params

    def __str__(self) -> str:
        return _translate(self._msgid, **self._params)

    def __repr__(self) -> str:
        return f"l'{self}'"


_l = _LazyMessage  # the name pybabel extracts (Makefile: -k _l)

_ALLOWED_LABEL = "PDF, DOCX, CSV, TXT"

# Every user-facing string lives here, so the set stays small and easy to translate.
_MESSAGES: dict[str, Callable[..., Any]] = {
    "unsupported_type": lambda **p: _l(
        "This file type is not supported. Allowed file types: %(types)s.", **p
    ),
    "content_mismatch": lambda **p: _l(
        "The file content does not match its .%(ext)s extension. "
        "Check that you chose the right file. Allowed file types: %(types)s.",
        **p,
    ),
    "empty": lambda **p: _l("The file is empty or contains no text.", **p),
    "too_large": lambda **p: _l("The file is too large: the limit is %(size)s MB.", **p),
    "timeout": lambda **p: _l(
        "Reading the file took too long or needed too much memory. "
        "Split it into smaller files and try again.",
        **p,
    ),
    "unreadable": lambda **p: _l(
        "The file could not be read. Check that it opens on your computer and try again.", **p
    ),
    "encoding": lambda **p: _l(
        "The text encoding of the file was not recognised. Save it as UTF-8 and try again.", **p
    ),
    "pdf_password": lambda **p: _l(
        "The PDF is protected with a password. Remove the password and upload it again.", **p
    ),
    "pdf_damaged": lambda **p: _l(
        "The PDF file is damaged and cannot be read. Try saving or exporting it again.", **p
    ),
    "pdf_scanned": lambda **p: _l(
        "No text found in the PDF: the file seems to be scanned images; text is needed. "
        "Upload a PDF with selectable text, or a DOCX or TXT file.",
        **p,
    ),
    "docx_invalid": lambda **p: _l(
        "The file is not a valid DOCX document. Open it in Word and save it as .docx again. "
        "Allowed file types: %(types)s.",
        **p,
    ),
    "interrupted": lambda **p: _l(
        "Processing of the file was interrupted. Please upload it again.", **p
    ),
    "zip_bomb": lambda **p: _l(
        "The document unpacks to too much data and was refused for safety.", **p
    ),
    # Warnings: the upload is accepted, but the owner should know what was left out.
    "warn_pdf_pages_no_text": lambda **p: _l(
        "Pages without text (probably scanned images) were skipped: %(num)d of %(total)d.", **p
    ),
    "warn_pdf_damaged": lambda **p: _l(
        "The PDF seems damaged or incomplete, so some text may be missing.", **p
    ),
    "warn_chars_replaced": lambda **p: _l(
        "Some characters could not be read and were replaced.", **p
    ),
    "warn_csv_as_text": lambda **p: _l(
        "The table structure could not be read, so the file was imported as plain text.", **p
    ),
}
# Placeholders every code needs, so a lazy string can never fail when it is rendered.
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "unsupported_type": {"types": _ALLOWED_LABEL},
    "too_large": {"size": limits.MAX_FILE_BYTES // (1024 * 1024)},
    "content_mismatch": {"ext": "?", "types": _ALLOWED_LABEL},
    "docx_invalid": {"types": _ALLOWED_LABEL},
    "warn_pdf_pages_no_text": {"num": 0, "total": 0},
}


class FileParseError(Exception):
    """A file was rejected; ``str()`` is the user-facing (translated) message."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in _MESSAGES:
            code, params = "unreadable", {}
        self.code = code
        self.params = {**_DEFAULT_PARAMS.get(code, {}), **params}
        self.message = _MESSAGES[code](**self.params)
        super().__init__(code)

    def __str__(self) -> str:
        return str(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.code, self.params))


def _rebuild_error(code: str, params: dict[str, Any]) -> FileParseError:
    """Unpickle a FileParseError (background job queues pickle exceptions)."""
    return FileParseError(code, **params)


class TranslatableText(str):
    """A str holding the text in the locale active when it was made; ``str()`` re-translates.

    Warnings are often rendered later than the parse (a background job wraps ``str(w)`` in
    ``force_locale``), yet the contract is ``list[str]``: this keeps both true.
    """

    def __new__(cls, lazy: Any) -> TranslatableText:
        text = super().__new__(cls, str(lazy))
        text._lazy = lazy
        return text

    def __str__(self) -> str:
        return str(self._lazy)

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str.__str__(self),))


def warning_text(code: str, params: dict[str, Any] | None = None) -> TranslatableText:
    """Build a warning for ``code`` that translates when rendered with ``str()``."""
    if code not in _MESSAGES:
        code = "warn_pdf_damaged"
    return TranslatableText(_MESSAGES[code](**{**_DEFAULT_PARAMS.get(code, {}), **(params or {})}))
