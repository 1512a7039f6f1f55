"""Splitting a long reply into the parts each platform accepts in one message."""

from __future__ import annotations

import re

TELEGRAM_MAX_CHARS = 4096
WHATSAPP_MAX_CHARS = 4096
INSTAGRAM_MAX_BYTES = 1000

_SENTENCE_END = re.compile(r"[.!?…。;][\"»”')\]]*\s+")
_SPACE = re.compile(r"\s+")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str, max_chars: int | None, max_bytes: int | None, max_utf16: int | None) -> bool:
    if max_chars is not None and len(text) > max_chars:
        return False
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:
        return False
    return max_utf16 is None or _utf16_len(text) <= max_utf16


def _longest_prefix(
    text: str, max_chars: int | None, max_bytes: int | None, max_utf16: int | None
) -> int:
    """Number of characters of the longest prefix that fits every limit (at least 1)."""
    n = len(text) if max_chars is None else min(len(text), max_chars)
    if max_bytes is not None:
        # Cut the bytes, then drop a partly cut character at the end.
        n = min(n, len(text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")))
    if max_utf16 is not None:
        n = min(n, len(text.encode("utf-16-le")[: max_utf16 * 2].decode("utf-16-le", "ignore")))
    return max(n, 1)


def _best_cut(text: str, n: int) -> int:
    """Cut position for text whose first n characters fit: paragraph, line, sentence, word."""
    # We look one character past the window: a cut at n + 1 only happens when text[n] is
    # whitespace, which split_text strips, so the part still fits.
    ext = text[: n + 1]
    half = n // 2
    for sep in ("\n\n", "\n"):
        pos = ext.rfind(sep)
        if pos >= half:
            return pos
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(ext)]
    if sentence_ends and sentence_ends[-1] >= half:
        return sentence_ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(ext) if m.start() > 0]
    if spaces:
        return spaces[-1]
    return n  # one word longer than the limit: a hard cut is the only way


# Each platform's limit on one message, as split_text takes it.
PART_LIMITS: dict[str, dict[str, int]] = {
    "telegram": {"max_utf16": TELEGRAM_MAX_CHARS},
    "whatsapp": {"max_chars": WHATSAPP_MAX_CHARS},
    "instagram": {"max_bytes": INSTAGRAM_MAX_BYTES},
}


def split_for_platform(platform: str, text: str) -> list[str]:
    """The parts the adapter sends a text in on this platform (one part where there is no limit)."""
    limits = PART_LIMITS.get(platform)
    return split_text(text, **limits) if limits else [text]


def split_text(
    text: str,
    max_chars: int | None = None,
    max_bytes: int | None = None,
    *,
    max_utf16: int | None = None,
) -> list[str]:
    """Split text into parts within the limits, at paragraph/sentence/word boundaries."""
    if not isinstance(text, str):
        return []
    for limit in (max_chars, max_bytes, max_utf16):
        if limit is not None and limit < 4:
            raise ValueError("limits below 4 cannot hold a UTF-8 character")
    rest = text.strip()
    parts: list[str] = []
    while rest:
        if _fits(rest, max_chars, max_bytes, max_utf16):
            parts.append(rest)
            break
        n = _longest_prefix(rest, max_chars, max_bytes, max_utf16)
        cut = _best_cut(rest, n)
        head = rest[:cut].rstrip()
        if not head or not _fits(head, max_chars, max_bytes, max_utf16):
            head, cut = rest[:n], n  # defensive: a hard cut always fits
        parts.append(head)
        rest = rest[cut:].lstrip()
    return parts
