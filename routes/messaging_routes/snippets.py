"""The inbox's search results: the part of a message around what the owner searched for, with
the match highlighted. Everything else in the text is escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

AROUND = 60  # characters of context either side of the match


def snippet(text: str | None, query: str, around: int = AROUND) -> Markup:
    """`…text before <mark>match</mark> text after…`, escaped; the text's start when the
    match is not found as typed (the search index folds more than Python does)."""
    text = " ".join((text or "").split())
    query = " ".join(query.split())
    found = re.search(re.escape(query), text, re.IGNORECASE) if query else None
    if found is None:
        cut = text[: 2 * around]
        return escape(cut) + ("…" if len(text) > len(cut) else "")
    start, end = max(0, found.start() - around), min(len(text), found.end() + around)
    return Markup("{}{}<mark>{}</mark>{}{}").format(
        "…" if start > 0 else "",
        text[start : found.start()],
        found.group(0),
        text[found.end() : end],
        "…" if end < len(text) else "",
    )
