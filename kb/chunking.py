"""Split a knowledge base's text into chunks of about 700 characters at natural borders."""

from __future__ import annotations

import re

# Boundary strengths: the chunker cuts at the strongest boundary it can find in its window.
_PARAGRAPH, _ROW, _SENTENCE, _LINE = 4, 3, 3, 2
# Possessive quantifiers and the look-behind keep this linear on runs like "......" or blank
# lines: a match can only start at the first character of a run and never backtracks.
_BOUNDARY = re.compile(r"\n(?:[ \t\r\f\v]*+\n)++|\n|(?<![.!?…。])[.!?…。]++[\"'»”’)\]]*+(?=\s)")
_ROW_LINE = re.compile(r"\||^[^:\n]{1,80}:\s*\S")
_SPACE = re.compile(r"\s")
_SPACES = " \n\t\r\f\v"


def _boundaries(text: str) -> tuple[list[int], list[int]]:
    """Positions (cut after) and strengths of paragraph, row, sentence and line boundaries."""
    positions: list[int] = []
    strengths: list[int] = []
    for m in _BOUNDARY.finditer(text):
        s = m.group()
        if s[0] == "\n":
            if len(s) > 1:
                strength = _PARAGRAPH
            else:
                line_start = text.rfind("\n", 0, m.start()) + 1
                line = text[line_start : m.start()]
                strength = _ROW if _ROW_LINE.search(line) else _LINE
            positions.append(m.start())
        else:
            strength = _SENTENCE
            positions.append(m.end())
        strengths.append(strength)
    return positions, strengths


def chunk_text(
    text: str, target: int = 700, max_chars: int = 1000, min_chars: int = 200
) -> list[str]:
    """Split text into chunks of about `target` chars (at most `max_chars`) at natural borders."""
    if not text or not text.strip():
        return []
    max_chars = max(max_chars, 1)
    min_chars = max(0, min(min_chars, max_chars))
    target = min(max(target, min_chars), max_chars)
    positions, strengths = _boundaries(text)
    n = len(text)
    chunks: list[str] = []
    spans: list[tuple[int, int]] = []
    start = 0
    j = 0  # first boundary not yet behind `start`; only moves forward, so this is linear
    while start < n:
        while start < n and text[start].isspace():
            start += 1
        if start >= n:
            break
        if n - start <= max_chars:
            spans.append((start, n))
            break
        lo, hi, goal = start + min_chars, start + max_chars, start + target
        while j < len(positions) and positions[j] <= start:
            j += 1
        best, best_key = -1, None
        k = j
        while k < len(positions) and positions[k] <= hi:
            p = positions[k]
            if p >= lo:
                key = (strengths[k], -abs(p - goal))
                if best_key is None or key > best_key:
                    best, best_key = p, key
            k += 1
        if best < 0:
            best = _space_cut(text, start, lo, goal, hi)
        spans.append((start, best))
        start = best
    # A short tail reads better glued to the chunk before it, when that still fits.
    if len(spans) > 1:
        (a, _), (_, e) = spans[-2], spans[-1]
        tail = text[spans[-1][0] : e].strip()
        if len(tail) < min_chars and len(text[a:e].strip()) <= max_chars:
            spans[-2:] = [(a, e)]
    for a, e in spans:
        piece = text[a:e].strip()
        if piece:
            chunks.append(piece)
    return chunks


def _space_cut(text: str, start: int, lo: int, goal: int, hi: int) -> int:
    """Cut at the whitespace nearest `goal` within [start+1, hi]; hard cut if there is none."""
    after = _SPACE.search(text, goal, hi + 1)
    before = max(text.rfind(c, start + 1, goal) for c in _SPACES)
    if before < 0:  # rarer whitespace (no-break, em space...) is looked for the slow way
        found = [m.start() for m in _SPACE.finditer(text, start + 1, goal)]
        before = found[-1] if found else -1
    candidates = [p for p in (before, after.start() if after else -1) if p > start]
    if not candidates:
        return hi  # one "word" longer than max_chars: a hard split is the only option
    in_range = [p for p in candidates if p >= lo] or candidates
    return min(in_range, key=lambda p: abs(p - goal))
