"""PDF text with PDFium (pypdfium2), page by page, within the time budget."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from kb.extract import limits
from kb.extract.clean import clean_text
from kb.extract.errors import FileParseError

_CATALOG_RE = re.compile(rb"/Type\s{0,16}/Catalog\b")
_OBJ_RE = re.compile(rb"(\d{1,10})[ \t\r\n]{1,8}(\d{1,5})[ \t\r\n]{1,8}obj\b")


def _repair_pdf(data: bytes) -> bytes | None:
    """Give a truncated PDF a trailer pointing at its catalog, so PDFium can rebuild the xref."""
    match = _CATALOG_RE.search(data)
    if match is None:
        return None
    objs = list(_OBJ_RE.finditer(data, max(0, match.start() - 4096), match.start()))
    if not objs:
        return None
    num, gen = objs[-1].groups()
    return data + b"\nendstream\nendobj\ntrailer\n<< /Root %s %s R >>\n%%%%EOF\n" % (num, gen)


def _open_pdf(path: str) -> tuple[Any, bool]:
    """Open a PDF with PDFium, trying a trailer repair once; return (document, repaired)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    locked = (pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY)
    try:
        return pdfium.PdfDocument(path), False
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in locked:
            raise FileParseError("pdf_password") from None
    with open(path, "rb") as fh:
        repaired = _repair_pdf(fh.read(limits.MAX_FILE_BYTES + 1))
    if repaired is None:
        raise FileParseError("pdf_damaged")
    try:
        return pdfium.PdfDocument(repaired), True
    except pdfium.PdfiumError as exc:
        code = "pdf_password" if getattr(exc, "err_code", None) in locked else "pdf_damaged"
        raise FileParseError(code) from None


def extract_pdf(path: str, _arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Extract every page's text in order with PDFium."""
    import pypdfium2 as pdfium

    doc, repaired = _open_pdf(path)
    try:
        total = len(doc)
        emit({"pages": total})
        deadline = started + limits.time_limit(total)
        texts: list[str] = []
        blank = failed = 0
        for index in range(total):
            if time.monotonic() > deadline:
                raise FileParseError("timeout")
            try:
                page = doc[index]
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                page.close()
            except pdfium.PdfiumError:
                failed += 1
                continue
            # PDFium marks a hyphen it judged to be end-of-line hyphenation with U+FFFE;
            # dropping it re-joins the word.
            text = text.replace("\ufffe", "").replace("\x02", "")
            if text.strip():
                texts.append(text)
            else:
                blank += 1
    finally:
        doc.close()

    if not texts:
        if total == 0:
            raise FileParseError("empty")
        raise FileParseError("pdf_damaged" if (failed or repaired) else "pdf_scanned")
    warnings: list[tuple[str, dict[str, Any]]] = []
    if blank:
        warnings.append(("warn_pdf_pages_no_text", {"num": blank, "total": total}))
    if failed or repaired:
        warnings.append(("warn_pdf_damaged", {}))
    return {"text": clean_text("\n\n".join(texts)), "pages": total, "warnings": warnings}
