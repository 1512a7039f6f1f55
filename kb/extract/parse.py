"""Parse an upload: check name, size and magic bytes, then run the extractor for its kind."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from kb.extract import limits
from kb.extract.clean import clean_text
from kb.extract.docx import check_docx_zip
from kb.extract.encodings import detect_encoding
from kb.extract.errors import FileParseError, warning_text
from kb.extract.runner import run_extractor

logger = logging.getLogger(__name__)


@dataclass
class ParsedDocument:
    """Text extracted from an upload, with what the owner should know about it."""

    text: str
    kind: str
    pages: int | None = None
    rows: int | None = None
    warnings: list[str] = field(default_factory=list)


def extract_text(path: str, original_filename: str) -> str:
    """Return the cleaned text of an uploaded file or raise FileParseError."""
    return parse_file(path, original_filename).text


def parse_file(path: str, original_filename: str) -> ParsedDocument:
    """Parse an uploaded file into text; only FileParseError ever escapes."""
    try:
        return _parse(path, original_filename)
    except FileParseError:
        raise
    except (MemoryError, RecursionError):
        raise FileParseError("timeout") from None
    except Exception:
        logger.exception(
            "file_parser: unexpected failure on a %s upload", _kind_of(original_filename)
        )
        raise FileParseError("unreadable") from None


# ---------------------------------------------------------------------------------------------
# Dispatch and cheap checks (always in the calling process)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x7fELF", "binary"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"Rar!", "binary"),
    (b"7z\xbc\xaf", "binary"),
    (b"\x1f\x8b", "binary"),
    (b"{\\rtf", "binary"),
)


def _kind_of(original_filename: object) -> str:
    """Return the lower-cased last suffix of a browser-supplied file name, or ''."""
    name = str(original_filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(".")
    if "." not in name:
        return ""
    return name.rsplit(".", 1)[1].strip().casefold()


def _sniff(head: bytes) -> str:
    """Name the container a file's first bytes announce, or '' when none is recognised."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return ""


def _parse(path: str, original_filename: str) -> ParsedDocument:
    """Check name, size and magic bytes, then run the extractor for the file's kind."""
    kind = _kind_of(original_filename)
    if kind not in limits.ALLOWED_EXTENSIONS:
        raise FileParseError("unsupported_type")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, TypeError, ValueError):
        raise FileParseError("unreadable") from None
    if size > limits.MAX_FILE_BYTES:
        raise FileParseError("too_large")
    if size == 0:
        raise FileParseError("empty")
    sniffed = _sniff(head)

    if kind == "pdf":
        # The PDF spec tolerates junk before the header within the first 1024 bytes.
        if b"%PDF-" not in head[:1024]:
            raise FileParseError("content_mismatch", ext=kind)
        result = run_extractor(kind, path, "")
    elif kind == "docx":
        if sniffed == "ole":
            # An old .doc, or a password-protected DOCX (Office wraps those in OLE).
            raise FileParseError("docx_invalid")
        if sniffed not in ("zip", ""):
            raise FileParseError("content_mismatch", ext=kind)
        check_docx_zip(path)
        result = run_extractor(kind, path, "")
    else:
        if sniffed:
            raise FileParseError("content_mismatch", ext=kind)
        with open(path, "rb") as fh:
            data = fh.read(limits.MAX_FILE_BYTES + 1)
        codec, errors, text, warns = detect_encoding(data)
        del data
        if kind == "txt":
            result = {"text": clean_text(text), "warnings": warns}
        else:
            del text
            result = run_extractor(kind, path, f"{codec}:{errors}")
            result["warnings"] = warns + result.get("warnings", [])

    text = result.get("text") or ""
    if not text.strip():
        raise FileParseError("empty")
    return ParsedDocument(
        text=text,
        kind=kind,
        pages=result.get("pages"),
        rows=result.get("rows"),
        warnings=[warning_text(code, params) for code, params in result.get("warnings", [])],
    )
