"""CSV uploads: sniff the delimiter, read with pandas, one 'Header: value | …' line per row."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from kb.extract import limits
from kb.extract.clean import clean_text

_CSV_CHUNK_ROWS = 50_000

_BAD_LINE_RE = re.compile(r"expected \d+ fields, saw (\d+)")
_DELIMITERS = ("\t", ";", ",", "|")


def _sniff_delimiter(sample: str) -> tuple[str, int]:
    """Pick the delimiter that splits the first rows most consistently; return it and width."""
    best: tuple[Any, ...] = ()
    choice = (",", 1)
    for preference, delimiter in enumerate(_DELIMITERS):
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        counts: list[int] = []
        try:
            for row in reader:
                if row:
                    counts.append(len(row))
                if len(counts) >= 50:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        key = (round(hits / len(counts), 1), mode, -preference)
        if key > best:
            best, choice = key, (delimiter, max(counts))
    return choice


class _WiderRows(Exception):
    """Some row had more fields than the columns pandas was reading."""

    def __init__(self, width: int) -> None:
        super().__init__(width)
        self.width = width


def _widest_bad_line(caught: list[Any]) -> int:
    """Return the widest field count pandas reported in 'Skipping line' warnings."""
    widest = 0
    for item in caught:
        for match in _BAD_LINE_RE.finditer(str(item.message)):
            widest = max(widest, int(match.group(1)))
    caught.clear()
    return widest


def _csv_value(value: Any) -> str:
    """Return a cell as one trimmed line of text ('' for missing)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if "\n" in value or "\r" in value or "\t" in value or "  " in value:
        value = " ".join(value.split())
    return value


def _render_csv(text: str, delimiter: str, columns: int | None) -> tuple[list[str], int, list[str]]:
    """Parse with pandas' C engine in chunks and render rows; raise _WiderRows to widen."""
    import warnings

    import pandas as pd

    header: list[str] = []
    blocks: list[str] = []
    rows = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Chunks keep memory flat: a 10 MB file of tiny rows is millions of Python strings.
        reader = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=list(range(columns)) if columns else None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
            on_bad_lines="warn",
            chunksize=_CSV_CHUNK_ROWS,
        )
        with reader:
            for chunk in reader:
                widest = _widest_bad_line(caught)
                if widest:
                    raise _WiderRows(widest)
                lines = []
                for record in zip(*(chunk[c].tolist() for c in chunk.columns), strict=True):
                    values = [_csv_value(v) for v in record]
                    if not any(values):
                        continue
                    if not header:
                        header = values
                        continue
                    pairs = []
                    for index, value in enumerate(values):
                        if value:
                            label = header[index] if index < len(header) else ""
                            pairs.append(f"{label}: {value}" if label else value)
                    lines.append(" | ".join(pairs))
                rows += len(lines)
                if lines:
                    blocks.append("\n".join(lines))
        widest = _widest_bad_line(caught)
        if widest:
            raise _WiderRows(widest)
    return blocks, rows, header


def extract_csv(path: str, arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Turn each CSV row into one 'Header: value | Header: value' line."""
    import pandas as pd

    codec, _sep, errors = arg.partition(":")
    with open(path, "rb") as fh:
        text = fh.read(limits.MAX_FILE_BYTES + 1).decode(codec or "utf-8", errors or "replace")
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    delimiter, width = _sniff_delimiter(sample)
    columns: int | None = None
    try:
        if width > limits.MAX_CSV_COLUMNS:
            raise ValueError("too many columns")
        # Rows wider than the header are re-read with room for them rather than dropped.
        for _attempt in range(3):
            try:
                blocks, rows, header = _render_csv(text, delimiter, columns)
                break
            except _WiderRows as wider:
                if wider.width > limits.MAX_CSV_COLUMNS:
                    raise ValueError("too many columns") from None
                columns = max(wider.width, columns or width)
        else:
            raise ValueError("rows keep getting wider")
    except (ValueError, LookupError, OverflowError, csv.Error, pd.errors.ParserError):
        return {"text": clean_text(text), "warnings": [("warn_csv_as_text", {})]}
    del text
    if not rows:
        blocks = [" | ".join(v for v in header if v)]
    return {"text": clean_text("\n".join(blocks)), "rows": rows}
