"""Tidy extracted text: newlines, control and invisible characters, spaces, NFC."""

from __future__ import annotations

import re
import unicodedata

# \x0b \x0c and Unicode line/paragraph separators become newlines; other C0/C1 controls are
# dropped, as are invisible characters (BOM, ZWSP, soft hyphen, bidi controls, lone surrogates,
# non-characters); unusual spaces (NBSP, thin, ideographic) become plain spaces.  Explicit
# classes, because on 10 MB of text a negated class like [^\S ] costs a Unicode lookup per
# character.
_NEWLINE_CHARS = "\x0b\x0c\x1c-\x1e\x85\u2028\u2029"
_CONTROL_CHARS = "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"
_INVISIBLE_CHARS = (
    "\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff"
)
_ODD_SPACE_CHARS = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_NEWLINE_RE = re.compile(f"[{_NEWLINE_CHARS}]")
CONTROL_RE = re.compile(f"[{_CONTROL_CHARS}]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE_CHARS}]")
_ODD_SPACE_RE = re.compile(f"[{_ODD_SPACE_CHARS}]")
# One scan decides whether the four passes above are needed at all (usually they are not).
_SPECIAL_RE = re.compile(f"[{_NEWLINE_CHARS}{_CONTROL_CHARS}{_INVISIBLE_CHARS}{_ODD_SPACE_CHARS}]")
# A literal prefix plus one greedy class: linear even on a multi-megabyte line.  Each pass
# is skipped when a substring check shows it has nothing to do.
_SPACE_RUN_RE = re.compile(r" {2,}")
_TAB_RUN_RE = re.compile(r" \t[\t ]*|\t[\t ]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Normalise extracted text: NFC, no control characters, tidy whitespace."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SPECIAL_RE.search(text):
        text = _NEWLINE_RE.sub("\n", text)
        text = CONTROL_RE.sub("", text)
        text = _INVISIBLE_RE.sub("", text)
        text = _ODD_SPACE_RE.sub(" ", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _SPACE_RUN_RE.sub(" ", text)
    if "\t" in text:
        text = _TAB_RUN_RE.sub("\t", text)
    # Horizontal runs are now one space or one tab, so plain replaces trim line edges.
    for edge in (" \n", "\t\n", "\n ", "\n\t"):
        text = text.replace(edge, "\n")
    if "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()
