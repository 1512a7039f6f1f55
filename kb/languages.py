"""The main languages of a knowledge base, detected once per upload from a sample of chunks."""

from __future__ import annotations

from text.detect import detect

SAMPLE = 120  # chunks read, evenly spread over the knowledge base
SHARE = 0.2  # a language counts when it holds this share of the sampled text


def main_languages(chunks: list[str]) -> list[str]:
    """Languages (uz, ru, en) holding at least SHARE of the text, most used first."""
    if not chunks:
        return []
    step = max(1, len(chunks) // SAMPLE)
    chars: dict[str, int] = {}
    for chunk in chunks[::step][:SAMPLE]:
        found = detect(chunk[:600])
        if found is not None:
            chars[found.lang] = chars.get(found.lang, 0) + len(chunk)
    total = sum(chars.values())
    ranked = sorted(chars, key=lambda lang: -chars[lang])
    return [lang for lang in ranked if total and chars[lang] / total >= SHARE]
