"""Knowledge-base file parsing: PDF, DOCX, CSV and TXT uploads to plain text.

Public API: ``parse_file``, ``extract_text``, ``ParsedDocument``, ``FileParseError``,
``ALLOWED_EXTENSIONS`` and ``MAX_FILE_BYTES``.  Nothing but ``FileParseError`` escapes.

Design notes (the reasons behind the less obvious choices):

* PDF text comes from pypdfium2 (PDFium), chosen by measurement: on the benchmark's
  2,000-page, 9 MB PDF with kerned TJ text it took 4.5 s against pypdf's 63 s (about 14x);
  on plain Tj text the gap is about 2x.  PDFium also opens empty-password PDFs and rebuilds
  broken xref tables by itself.
* PDFium is C code: a hostile PDF can hang it or make it allocate gigabytes, and Python cannot
  interrupt a C call; PDFium is not thread-safe either.  So PDF, DOCX and CSV extraction runs
  in a short-lived child interpreter with an address-space and CPU limit, which the parent
  kills at its deadline or when its RSS passes ``CHILD_MAX_RSS_BYTES``.  A page-level budget
  inside the loop could not stop one pathological page.  The child skips Flask's import and
  starts in about 0.1 s, little next to a multi-second parse, and it keeps pandas and big lxml
  trees out of the web workers' memory.  TXT stays in-process: it is pure Python, linear
  time, and bounded by ``MAX_FILE_BYTES``.
* If a child cannot be started (no usable ``sys.executable``, process limit), extraction falls
  back to in-process with a page-level time budget, so uploads still work.
* DOCX is read with ``zipfile`` and lxml's pull parser, one top-level block of
  ``word/document.xml`` at a time, not with ``python-docx``: ``docx.Document()`` builds the whole
  tree, ~9x the XML in RAM, so a dense text-only 10 MB DOCX (52 MB of XML) needed 503 MB and
  9.5 s; streamed it takes 220 MB and 3.1 s.  Headers and footers are found the way python-docx
  does (each section's first, default and even references).
* Zip bombs are refused from the central directory's declared sizes before the XML is parsed;
  ``zipfile`` never inflates a member past its declared size, so the check holds.
* Messages are ``lazy_gettext`` objects keyed by a short code: ``str(error)`` is translated
  into the locale active when it is called (a request, or ``force_locale`` in a job) and is the
  English msgid without an app.  Warnings are ``TranslatableText``: plain ``str`` values that
  also re-translate on ``str()``, so a job can render them in the owner's language.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import logging
import math
import os
import posixpath
import re
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_CHILD_MODULE = "_bilimbot_file_parser_child"

if __name__ == _CHILD_MODULE:
    # The extraction child reports codes, never messages; skipping Flask's import saves about
    # 0.2 s per upload.
    def _l(string: str, **variables: Any) -> str:
        """Stand-in for lazy_gettext inside the extraction child."""
        return string % variables if variables else string

else:
    from flask_babel import lazy_gettext as _l

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = ("pdf", "docx", "csv", "txt")
MAX_FILE_BYTES = 10 * 1024 * 1024

# Time budget: 15 s for everything; long PDFs earn extra time per page, never past 60 s.
TIME_LIMIT_SECONDS = 15.0
PDF_SECONDS_PER_PAGE = 0.015
MAX_TIME_LIMIT_SECONDS = 60.0

# Extraction children: kill past this RSS; the address-space cap is a backstop for spikes
# that happen between two RSS polls.
CHILD_MAX_RSS_BYTES = 512 * 1024 * 1024
CHILD_MAX_ADDRESS_SPACE_BYTES = 1024 * 1024 * 1024
RUN_IN_SUBPROCESS = True

# Zip-bomb limits, checked on declared sizes.  Real DOCX XML deflates 5-20x; bombs do 1000x.
MAX_ZIP_ENTRIES = 5000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# A dense text-only 10 MB DOCX (python-docx paragraphs and a table) holds 52 MB of XML: Word XML
# deflates ~5.5x, more with heavy formatting, so allow 10x.  The body is streamed, so memory does
# not grow with the XML (52 MB: 3.1 s, 220 MB peak); the cap bounds time, and XML made of millions
# of empty elements that is still too slow meets the extraction deadline.
MAX_DOCX_XML_BYTES = 100 * 1024 * 1024
# Text kept from a DOCX: 1.8x the 18 M characters of that dense file; 32 M peaks near 300 MB.
MAX_DOCX_TEXT_CHARS = 32_000_000
MAX_ZIP_RATIO = 100
ZIP_RATIO_MIN_BYTES = 1024 * 1024

MAX_CSV_COLUMNS = 500
_CSV_CHUNK_ROWS = 50_000
_ALLOWED_LABEL = "PDF, DOCX, CSV, TXT"
_ENCODING_SAMPLE_BYTES = 256 * 1024

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
    "too_large": {"size": MAX_FILE_BYTES // (1024 * 1024)},
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


def _warning_text(code: str, params: dict[str, Any] | None = None) -> TranslatableText:
    """Build a warning for ``code`` that translates when rendered with ``str()``."""
    if code not in _MESSAGES:
        code = "warn_pdf_damaged"
    return TranslatableText(_MESSAGES[code](**{**_DEFAULT_PARAMS.get(code, {}), **(params or {})}))


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
    if kind not in ALLOWED_EXTENSIONS:
        raise FileParseError("unsupported_type")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, TypeError, ValueError):
        raise FileParseError("unreadable") from None
    if size > MAX_FILE_BYTES:
        raise FileParseError("too_large")
    if size == 0:
        raise FileParseError("empty")
    sniffed = _sniff(head)

    if kind == "pdf":
        # The PDF spec tolerates junk before the header within the first 1024 bytes.
        if b"%PDF-" not in head[:1024]:
            raise FileParseError("content_mismatch", ext=kind)
        result = _extract(kind, path, "")
    elif kind == "docx":
        if sniffed == "ole":
            # An old .doc, or a password-protected DOCX (Office wraps those in OLE).
            raise FileParseError("docx_invalid")
        if sniffed not in ("zip", ""):
            raise FileParseError("content_mismatch", ext=kind)
        _check_docx_zip(path)
        result = _extract(kind, path, "")
    else:
        if sniffed:
            raise FileParseError("content_mismatch", ext=kind)
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        codec, errors, text, warns = _detect_encoding(data)
        del data
        if kind == "txt":
            result = {"text": _clean_text(text), "warnings": warns}
        else:
            del text
            result = _extract(kind, path, f"{codec}:{errors}")
            result["warnings"] = warns + result.get("warnings", [])

    text = result.get("text") or ""
    if not text.strip():
        raise FileParseError("empty")
    return ParsedDocument(
        text=text,
        kind=kind,
        pages=result.get("pages"),
        rows=result.get("rows"),
        warnings=[_warning_text(code, params) for code, params in result.get("warnings", [])],
    )


def _check_docx_zip(path: str) -> None:
    """Refuse non-DOCX zips and zip bombs using only the central directory."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except Exception:  # BadZipFile, unsupported zip versions, OSError and the like
        raise FileParseError("docx_invalid") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise FileParseError("zip_bomb")
    if not any(info.filename == "word/document.xml" for info in infos):
        raise FileParseError("docx_invalid")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    xml_total = sum(
        info.file_size for info in infos if info.filename.lower().endswith((".xml", ".rels"))
    )
    if total > MAX_UNZIPPED_BYTES or xml_total > MAX_DOCX_XML_BYTES:
        raise FileParseError("zip_bomb")
    if total > ZIP_RATIO_MIN_BYTES and total > MAX_ZIP_RATIO * max(packed, 1):
        raise FileParseError("zip_bomb")
    for info in infos:
        if info.file_size > ZIP_RATIO_MIN_BYTES and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise FileParseError("zip_bomb")
        if info.flag_bits & 0x1:
            raise FileParseError("docx_invalid")


# ---------------------------------------------------------------------------------------------
# Running an extractor, isolated in a child interpreter when possible

# Loads this file by path rather than as ``kb.extract`` so the child does not run
# whatever ``kb/__init__.py`` grows to import.
_CHILD_BOOT = (
    "import importlib.util,sys;"
    f"s=importlib.util.spec_from_file_location('{_CHILD_MODULE}',sys.argv[1]);"
    "m=importlib.util.module_from_spec(s);sys.modules[s.name]=m;s.loader.exec_module(m);"
    "m._child_main(sys.argv[2:])"
)
_IN_PROCESS_LOCK = threading.Lock()  # PDFium is not thread-safe
_CRASH_CODES = {"pdf": "pdf_damaged", "docx": "docx_invalid", "csv": "unreadable"}


def _time_limit(pages: int | None) -> float:
    """Return the wall-clock budget for a file, extended for long PDFs."""
    if not pages:
        return TIME_LIMIT_SECONDS
    return min(MAX_TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS + PDF_SECONDS_PER_PAGE * pages)


def _extract(kind: str, path: str, arg: str) -> dict[str, Any]:
    """Run the extractor for ``kind`` in a child process, or in-process as a fallback."""
    if RUN_IN_SUBPROCESS and sys.executable:
        result = _run_child(kind, path, arg)
        if result is not None:
            return result
    return _run_in_process(kind, path, arg)


def _run_in_process(kind: str, path: str, arg: str) -> dict[str, Any]:
    """Run an extractor here; the PDF extractor still honours its page-level time budget."""
    started = time.monotonic()
    with _IN_PROCESS_LOCK:
        try:
            return _EXTRACTORS[kind](path, arg, lambda _msg: None, started)
        except FileParseError:
            raise
        except (MemoryError, RecursionError):
            raise FileParseError("timeout") from None
        except Exception as exc:
            logger.warning("file_parser: %s extraction failed: %s", kind, type(exc).__name__)
            raise FileParseError(_CRASH_CODES.get(kind, "unreadable")) from None


def _child_env() -> dict[str, str]:
    """Environment for extraction children: one BLAS thread keeps numpy's footprint small."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _rss_bytes(pid: int) -> int:
    """Return a process's resident set size from /proc, or 0 where that is unavailable."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _read_messages(stream: Any, sink: list[dict[str, Any]]) -> None:
    """Collect the child's JSON-lines messages until it closes stdout."""
    try:
        for line in stream:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                sink.append(message)
    except (OSError, ValueError, MemoryError):
        pass


def _run_child(kind: str, path: str, arg: str) -> dict[str, Any] | None:
    """Run one extraction in a child interpreter; None means the child could not start."""
    cmd = [sys.executable, "-c", _CHILD_BOOT, os.path.abspath(__file__), kind, path, arg]
    try:
        # An argv list (no shell) running our own interpreter on our own file.
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_child_env(),
        )
    except (OSError, ValueError):
        logger.warning("file_parser: cannot start an extraction child; parsing in-process")
        return None
    messages: list[dict[str, Any]] = []
    reader = threading.Thread(target=_read_messages, args=(proc.stdout, messages), daemon=True)
    reader.start()
    started = time.monotonic()
    killed = False
    try:
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            pages = next((m["pages"] for m in list(messages) if "pages" in m), None)
            too_slow = time.monotonic() - started > _time_limit(pages) + 0.5
            if too_slow or _rss_bytes(proc.pid) > CHILD_MAX_RSS_BYTES:
                killed = True
                proc.kill()
                proc.wait()
                break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()

    final = next((m for m in reversed(messages) if "ok" in m or "error" in m), None)
    if killed:
        raise FileParseError("timeout")
    if final is None:
        if not any("ready" in m for m in messages):
            logger.warning("file_parser: extraction child exited early (%s)", proc.returncode)
            return None
        # Died by a signal: our CPU limit, the OOM killer, or PDFium aborting on a bad alloc.
        if proc.returncode is not None and proc.returncode < 0:
            raise FileParseError("timeout")
        raise FileParseError(_CRASH_CODES.get(kind, "unreadable"))
    if "error" in final:
        if final.get("detail"):
            logger.warning("file_parser: %s extraction failed: %s", kind, final["detail"])
        raise FileParseError(str(final["error"]), **(final.get("params") or {}))
    ok = final["ok"]
    ok["warnings"] = [(str(c), p if isinstance(p, dict) else {}) for c, p in ok.get("warnings", [])]
    return ok


def _limit_child_resources() -> None:
    """Cap the child's address space and CPU time where the OS supports it."""
    try:
        import resource
    except ImportError:
        return
    limits = (
        (resource.RLIMIT_AS, CHILD_MAX_ADDRESS_SPACE_BYTES),
        (resource.RLIMIT_CPU, int(MAX_TIME_LIMIT_SECONDS) + 5),
    )
    for which, wanted in limits:
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                wanted = min(wanted, hard)
            resource.setrlimit(which, (wanted, hard))
        except (ValueError, OSError):
            pass


def _child_main(argv: list[str]) -> None:
    """Entry point of an extraction child: run one extractor and report as JSON lines."""
    out = sys.stdout.buffer

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()

    kind, path, arg = [*argv, "", "", ""][:3]
    _limit_child_resources()
    emit({"ready": True})
    try:
        emit({"ok": _EXTRACTORS[kind](path, arg, emit, time.monotonic())})
    except FileParseError as exc:
        emit({"error": exc.code, "params": exc.params})
    except (MemoryError, RecursionError):
        emit({"error": "timeout"})
    except BaseException as exc:  # the child must always report, whatever broke
        emit({"error": _CRASH_CODES.get(kind, "unreadable"), "detail": type(exc).__name__})


# ---------------------------------------------------------------------------------------------
# PDF

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
        repaired = _repair_pdf(fh.read(MAX_FILE_BYTES + 1))
    if repaired is None:
        raise FileParseError("pdf_damaged")
    try:
        return pdfium.PdfDocument(repaired), True
    except pdfium.PdfiumError as exc:
        code = "pdf_password" if getattr(exc, "err_code", None) in locked else "pdf_damaged"
        raise FileParseError(code) from None


def _extract_pdf(path: str, _arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Extract every page's text in order with PDFium."""
    import pypdfium2 as pdfium

    doc, repaired = _open_pdf(path)
    try:
        total = len(doc)
        emit({"pages": total})
        deadline = started + _time_limit(total)
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
    return {"text": _clean_text("\n\n".join(texts)), "pages": total, "warnings": warnings}


# ---------------------------------------------------------------------------------------------
# DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_P, _W_TBL, _W_TR, _W_TC, _W_R = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "r"
_W_SDT, _W_SDT_CONTENT, _W_TXBX = _W + "sdt", _W + "sdtContent", _W + "txbxContent"
# Wrappers whose children are ordinary content; deleted and moved-away text is not.
_DOCX_WRAPPERS = {_W + "customXml", _W + "ins", _W + "moveTo", _W + "smartTag", _W_SDT_CONTENT}
_DOCX_SKIP = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _W + "tcPr", _MC_FALLBACK}
_RUN_CHARS = {
    _W + "tab": "\t",
    _W + "ptab": "\t",
    _W + "br": "\n",
    _W + "cr": "\n",
    _W + "noBreakHyphen": "-",
}
_W_T = _W + "t"
_DOCX_TEXT_TAGS = (_W_T, *_RUN_CHARS)
_DOCX_SLOW_TAGS = frozenset((_W + "del", _W + "moveFrom", _W_TXBX, _MC_FALLBACK))
_MAX_GRID = 64  # clamp for gridSpan/gridBefore, which hostile files set to billions


def _docx_run_text(run: Any) -> str:
    """Return a w:r element's visible text (w:t, tabs and breaks)."""
    parts = []
    for child in run:
        tag = child.tag
        if tag == _W_T:
            parts.append(child.text or "")
        elif tag in _RUN_CHARS:
            parts.append(_RUN_CHARS[tag])
    return "".join(parts)


def _docx_inline(element: Any, parts: list[str], boxes: list[Any]) -> None:
    """Collect run text under a paragraph, and text boxes to render after it."""
    for child in element:
        tag = child.tag
        if tag == _W_R:
            parts.append(_docx_run_text(child))
            _docx_inline(child, parts, boxes)  # drawings inside runs hold text boxes
        elif tag == _W_TXBX:
            boxes.append(child)
        elif isinstance(tag, str) and tag not in _DOCX_SKIP:
            _docx_inline(child, parts, boxes)


def _docx_paragraph(p: Any, lines: list[str]) -> None:
    """Append a paragraph's text, then the content of any text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[Any] = []
    # Fast path: lxml filters the text-bearing tags in C.  Paragraphs holding deletions,
    # moves, text boxes or alternate content take the careful walk instead.
    for node in p.iter(*_DOCX_TEXT_TAGS, *_DOCX_SLOW_TAGS):
        tag = node.tag
        if tag in _DOCX_SLOW_TAGS:
            parts.clear()
            _docx_inline(p, parts, boxes)
            break
        parts.append(node.text or "" if tag == _W_T else _RUN_CHARS[tag])
    text = "".join(parts).strip()
    if text:
        lines.append(text)
    for box in boxes:
        _docx_blocks(box, lines, lines)


def _docx_blocks(container: Any, lines: list[str], table_lines: list[str]) -> None:
    """Render block content in document order; tables go to ``table_lines``."""
    for child in container:
        _docx_block(child, lines, table_lines)


def _docx_block(child: Any, lines: list[str], table_lines: list[str]) -> None:
    """Render one block element (paragraph, table, content control or wrapper)."""
    tag = child.tag
    if tag == _W_P:
        _docx_paragraph(child, lines)
    elif tag == _W_TBL:
        _docx_table(child, table_lines)
    elif tag == _W_SDT:
        content = child.find(_W_SDT_CONTENT)
        if content is not None:
            _docx_blocks(content, lines, table_lines)
    elif tag in _DOCX_WRAPPERS:
        _docx_blocks(child, lines, table_lines)


def _docx_children(element: Any, wanted: str) -> Any:
    """Yield ``wanted`` children, looking through content controls and custom XML."""
    for child in element:
        if child.tag == wanted:
            yield child
        elif child.tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _docx_children(content, wanted)
        elif child.tag in _DOCX_WRAPPERS:
            yield from _docx_children(child, wanted)


def _docx_int(element: Any, path: str, default: int) -> int:
    """Read an integer w:val under ``element``, clamped to a sane grid range."""
    node = element.find(path)
    if node is None:
        return default
    try:
        return max(0, min(_MAX_GRID, int(node.get(_W + "val", default))))
    except (TypeError, ValueError):
        return default


def _docx_table(tbl: Any, lines: list[str]) -> None:
    """Render a table so every value keeps its column header: 'Narx: 5 000 so‘m'."""
    rows: list[tuple[list[tuple[int, int, str]], list[str]]] = []
    above: dict[int, str] = {}  # text per grid column, for vertically merged cells
    for tr in _docx_children(tbl, _W_TR):
        col = _docx_int(tr, f"{_W}trPr/{_W}gridBefore", 0)
        cells: list[tuple[int, int, str]] = []
        nested: list[str] = []
        for tc in _docx_children(tr, _W_TC):
            span = max(1, _docx_int(tc, f"{_W}tcPr/{_W}gridSpan", 1))
            vmerge = tc.find(f"{_W}tcPr/{_W}vMerge")
            if vmerge is not None and vmerge.get(_W + "val", "continue") == "continue":
                text = above.get(col, "")
            else:
                parts: list[str] = []
                _docx_blocks(tc, parts, nested)
                text = " ".join(parts)
            for c in range(col, col + span):
                above[c] = text
            cells.append((col, span, text))
            col += span
        rows.append((cells, nested))
    # Some tables start with an empty spacer row; the first row with text is the header.
    while rows and not any(text for _s, _n, text in rows[0][0]):
        lines.extend(rows.pop(0)[1])
    if not rows:
        return
    width = max((start + span for cells, _ in rows for start, span, _t in cells), default=0)
    if width < 2 or len(rows) < 2:
        # Layout tables (one column or one row) read better as plain lines.
        for cells, nested in rows:
            line = " | ".join(text for _s, _n, text in cells if text)
            if line:
                lines.append(line)
            lines.extend(nested)
        return
    header_cells, header_nested = rows[0]
    labels: dict[int, tuple[int, str]] = {}
    for index, (start, span, text) in enumerate(header_cells):
        for c in range(start, start + span):
            labels[c] = (index, text)
    lines.extend(header_nested)
    for cells, nested in rows[1:]:
        groups: dict[Any, tuple[str, list[str]]] = {}
        for start, _span, text in cells:
            if not text:
                continue
            key, label = labels.get(start, (("col", start), ""))
            _label, values = groups.setdefault(key, (label, []))
            if text not in values:
                values.append(text)
        pairs = [(label, " ".join(values)) for label, values in groups.values()]
        if pairs and any(label != value for label, value in pairs):
            lines.append(
                " | ".join(f"{label}: {value}" if label else value for label, value in pairs)
            )
        lines.extend(nested)


_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_W_BODY, _W_PPR, _W_SECTPR = _W + "body", _W + "pPr", _W + "sectPr"
_DOCX_BODY_TAGS = (_W_P, _W_TBL, _W_SDT, _W_SECTPR, *_DOCX_WRAPPERS)
# python-docx's order: first-page, default, then even-page header (and footer) of each section.
_DOCX_HF_TYPES = ("first", "default", "even")


def _docx_xml_options() -> dict[str, Any]:
    """Parser options for untrusted Word XML: no entities, no network, no DTD (as python-docx)."""
    return {
        "remove_blank_text": True,
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
    }


def _docx_section_refs(sect_pr: Any) -> dict[tuple[str, str], str]:
    """Map (header|footer, type) to the relationship id a w:sectPr points at."""
    refs: dict[tuple[str, str], str] = {}
    for child in sect_pr:
        kind = {_W + "headerReference": "header", _W + "footerReference": "footer"}.get(child.tag)
        if kind and child.get(_R_ID):
            refs[(kind, child.get(_W + "type", "default"))] = child.get(_R_ID)
    return refs


def _docx_body(zf: zipfile.ZipFile, lines: list[str]) -> list[dict[tuple[str, str], str]]:
    """Stream word/document.xml one top-level block at a time; return each section's refs.

    python-docx builds the whole tree, about 9x the XML in RAM (a 10 MB text-only DOCX holds
    ~52 MB of XML: 503 MB).  Here memory is bounded by the largest single block, and the text
    is capped, so the XML size limit only has to bound the time.
    """
    from lxml import etree

    sections: list[dict[tuple[str, str], str]] = []
    size = 0
    parser = etree.XMLPullParser(events=("end",), tag=_DOCX_BODY_TAGS, **_docx_xml_options())
    with zf.open("word/document.xml") as fh:
        # Feeding big blocks is about 25% faster than iterparse's small reads.
        while block := fh.read(1024 * 1024):
            parser.feed(block)
            size = _docx_body_events(parser, lines, sections, size)
    parser.close()
    return sections


def _docx_body_events(
    parser: Any, lines: list[str], sections: list[dict[tuple[str, str], str]], size: int
) -> int:
    """Render the top-level blocks the parser has finished; return the text size so far."""
    for _event, element in parser.read_events():
        parent = element.getparent()
        if parent is None or parent.tag != _W_BODY:
            continue  # nested: rendered with its top-level block
        if element.tag == _W_SECTPR:
            sections.append(_docx_section_refs(element))
        else:
            if element.tag == _W_P:
                sect_pr = element.find(f"{_W_PPR}/{_W_SECTPR}")
                if sect_pr is not None:  # a section ends with this paragraph
                    sections.append(_docx_section_refs(sect_pr))
            before = len(lines)
            _docx_block(element, lines, lines)
            size += sum(len(line) + 1 for line in lines[before:])
            if size > MAX_DOCX_TEXT_CHARS:
                raise FileParseError("zip_bomb")
        # Drop what has been rendered, as the lxml docs advise for iterparse.
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
    return size


def _docx_part_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map the main document's relationship ids to zip member names."""
    from lxml import etree

    try:
        data = zf.read("word/_rels/document.xml.rels")
    except KeyError:
        return {}
    root = etree.fromstring(data, etree.XMLParser(**_docx_xml_options()))
    names = {}
    for rel in root.iter(_REL):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not rel.get("Id") or not target:
            continue
        name = target.lstrip("/") if target.startswith("/") else f"word/{target}"
        names[rel.get("Id")] = posixpath.normpath(name)
    return names


def _docx_headers_footers(
    zf: zipfile.ZipFile, sections: list[dict[tuple[str, str], str]]
) -> tuple[list[str], list[str]]:
    """Return the distinct header and footer texts of every section."""
    from lxml import etree

    names = _docx_part_names(zf) if sections else {}
    parser = etree.XMLParser(**_docx_xml_options())
    found: dict[str, list[str]] = {"header": [], "footer": []}
    seen: set[str] = set()
    for refs in sections:
        for kind, target in found.items():
            for hf_type in _DOCX_HF_TYPES:
                # No reference means "linked to the previous section": nothing new to read.
                name = names.get(refs.get((kind, hf_type), ""))
                if name is None:
                    continue
                block: list[str] = []
                try:
                    _docx_blocks(etree.fromstring(zf.read(name), parser), block, block)
                except (KeyError, ValueError, etree.XMLSyntaxError):
                    continue  # a broken header part should not sink the body text
                text = "\n".join(block)
                if text and text not in seen:
                    seen.add(text)
                    target.append(text)
    return found["header"], found["footer"]


def _extract_docx(path: str, _arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Extract headers, body (paragraphs and tables in order) and footers of a DOCX."""
    body: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            sections = _docx_body(zf, body)
            headers, footers = _docx_headers_footers(zf, sections)
    except (FileParseError, MemoryError, RecursionError):
        raise
    except Exception:  # bad zip, CRC or size mismatch, broken XML
        raise FileParseError("docx_invalid") from None
    return {"text": _clean_text("\n".join(headers + body + footers))}


# ---------------------------------------------------------------------------------------------
# CSV

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


def _extract_csv(path: str, arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Turn each CSV row into one 'Header: value | Header: value' line."""
    import pandas as pd

    codec, _sep, errors = arg.partition(":")
    with open(path, "rb") as fh:
        text = fh.read(MAX_FILE_BYTES + 1).decode(codec or "utf-8", errors or "replace")
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    delimiter, width = _sniff_delimiter(sample)
    columns: int | None = None
    try:
        if width > MAX_CSV_COLUMNS:
            raise ValueError("too many columns")
        # Rows wider than the header are re-read with room for them rather than dropped.
        for _attempt in range(3):
            try:
                blocks, rows, header = _render_csv(text, delimiter, columns)
                break
            except _WiderRows as wider:
                if wider.width > MAX_CSV_COLUMNS:
                    raise ValueError("too many columns") from None
                columns = max(wider.width, columns or width)
        else:
            raise ValueError("rows keep getting wider")
    except (ValueError, LookupError, OverflowError, csv.Error, pd.errors.ParserError):
        return {"text": _clean_text(text), "warnings": [("warn_csv_as_text", {})]}
    del text
    if not rows:
        blocks = [" | ".join(v for v in header if v)]
    return {"text": _clean_text("\n".join(blocks)), "rows": rows}


_EXTRACTORS: dict[str, Callable[[str, str, Callable[[dict], None], float], dict]] = {
    "pdf": _extract_pdf,
    "docx": _extract_docx,
    "csv": _extract_csv,
}


# ---------------------------------------------------------------------------------------------
# Encodings and text clean-up (shared by every format)

# Relative frequency (per cent) of Russian letters; the scorer prefers decodings whose
# Cyrillic letters are common ones, which is what separates cp1251 from koi8-r reliably.
_RU_FREQ_TABLE = (
    "о10.97 е8.45 а8.01 и7.35 н6.70 т6.26 с5.47 р4.73 в4.54 л4.40 к3.49 м3.21 д2.98 п2.81 "
    "у2.62 я2.01 ы1.90 ь1.74 г1.70 з1.65 б1.59 ч1.44 й1.21 х0.97 ж0.94 ш0.73 ю0.64 ц0.48 "
    "щ0.36 э0.32 ф0.26 ъ0.04 ё0.04"
)
_RU_FREQ = {pair[0]: float(pair[1:]) for pair in _RU_FREQ_TABLE.split()}
# The commonest Russian bigrams: unigram frequencies alone cannot tell a short ALL-CAPS koi8-r
# line from the lower-case cp1251 gibberish it decodes to ("ЦЕНА" vs "геоб").
_RU_BIGRAM_TABLE = (
    "ст но то на ен ов ни ра во ко ал пр ер ет по ро ре ос ли ол ть ан од ом ка ел ор та ва ло "
    "ле го ак ат ин ит ля ес ла ри ве ди де ой ий не ил от ем ск ам он ых ис ия ти ог ие ав ме "
    "ми ма ед ес ег ая ую ль ся ат ьс ны на ци че ча ще ше жи зн зд да ду ту тр ру ры ку"
)
_RU_BIGRAMS = frozenset(_RU_BIGRAM_TABLE.split())
_CYR_OTHER_FREQ = 0.5  # ў қ ғ ҳ і є ї ґ: Uzbek, Ukrainian, Kazakh letters
_LEGACY_CODECS = ("cp1251", "cp1252", "koi8_r", "cp866")
_CLEAR_MARGIN = 0.15  # score gap above which our own pick stands
_PLAUSIBLE = -0.5  # below this, none of our code pages reads like real text
_WORD_RE = re.compile(r"\S+")
# Other code pages charset-normalizer may name; near-twins of ours (mac_cyrillic, cp1125) are
# left out because on short text they win by accident.
_SINGLE_BYTE = frozenset(
    ("cp1250", "cp1253", "cp1254", "cp1257", "iso8859_2", "iso8859_5", "iso8859_9", "iso8859_15")
)


def _char_score(ch: str) -> float:
    """Score one non-ASCII character: common letters positive, junk negative."""
    if "\u0400" <= ch <= "\u04ff":
        freq = _RU_FREQ.get(ch.lower(), _CYR_OTHER_FREQ if ch.isalpha() else 0.01)
        return math.log10(freq)
    category = unicodedata.category(ch)
    if category[0] == "L":
        return 0.0 if "\u00c0" <= ch <= "\u024f" else -1.0
    if category[0] in "PZ" or category in ("No", "Sc"):
        return 0.0  # « » – — “ ” ‘ ’ … № and currency signs occur in real text
    return -3.0  # controls, box drawing, symbols, U+FFFD: signs of a wrong code page


def _plausibility(text: str) -> float:
    """Score how natural a decoding looks; higher is better, per non-ASCII character."""
    score = 0.0
    count = 0
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if word.isascii():
            continue
        cyrillic = latin_ext = ascii_letters = 0
        for ch in word:
            if ch.isascii():
                ascii_letters += ch.isalpha()
                continue
            count += 1
            score += _char_score(ch)
            if "\u0400" <= ch <= "\u04ff":
                cyrillic += 1
            elif ch.isalpha():
                latin_ext += 1
        letters = [ch for ch in word if ch.isalpha()]
        if cyrillic and (ascii_letters or latin_ext):
            score -= 2.0 * cyrillic  # mixed scripts inside one word
        if latin_ext and not ascii_letters and latin_ext >= 3:
            score -= 1.0 * latin_ext  # 'Ïðèâåò': a whole word of accented Latin
        for prev, cur in itertools.pairwise(letters):
            if prev.islower() and cur.isupper():
                score -= 1.5  # 'пРИВЕТ': case flips inside a word
            if (prev + cur).lower() in _RU_BIGRAMS:
                score += 0.7
    return score / max(count, 1)


def _looks_utf16(sample: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by its zero (or Cyrillic 0x04) high bytes."""
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        zero_high = high.count(0) / half
        cyr_high = (high.count(0) + high.count(4)) / half
        if low.count(0) / half < 0.05 and (zero_high > 0.3 or cyr_high > 0.9):
            return codec
    return None


def _control_ratio(text: str) -> float:
    """Share of characters that are control codes other than ordinary whitespace."""
    if not text:
        return 0.0
    controls = len(_CONTROL_RE.findall(text))
    return controls / len(text)


_Detected = tuple[str, str, str, list[tuple[str, dict[str, Any]]]]
_HIGH_BYTE_RE = re.compile(rb"[\x80-\xff]")


def _detect_encoding(data: bytes) -> _Detected:
    """Return (codec, errors mode, decoded text, warnings) for text bytes, or raise 'encoding'."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(data, codec)
    utf16 = _looks_utf16(data[:_ENCODING_SAMPLE_BYTES])
    if utf16:
        try:
            return _checked(data, utf16)
        except FileParseError:
            pass
    try:
        return _checked(data, "utf-8", decoded=data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Mostly valid UTF-8 with a few broken bytes (a cut-off or concatenated file).
    loose = data.decode("utf-8", "replace")
    broken = loose.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    non_ascii = len(loose) - len(loose.encode("ascii", "ignore")) - broken
    if broken * 50 <= non_ascii:
        return _checked(data, "utf-8", errors="replace", decoded=loose)
    del loose
    # Score the legacy code pages where the non-ASCII bytes are, not on an ASCII preamble.
    first = _HIGH_BYTE_RE.search(data)
    start = max(0, (first.start() if first else 0) - 1024)
    return _checked(data, _guess_legacy(data[start : start + 65536]))


def _guess_legacy(sample: bytes) -> str:
    """Choose a single-byte code page: our plausibility score first, charset-normalizer second."""
    scored = sorted(
        (
            (_plausibility(sample.decode(codec, "replace")), -preference, codec)
            for preference, codec in enumerate(_LEGACY_CODECS)
        ),
        reverse=True,
    )
    (best_score, _p, best), (second_score, _q, second) = scored[0], scored[1]
    if best_score - second_score >= _CLEAR_MARGIN and best_score > _PLAUSIBLE:
        return best
    # Too close to call (short or unusual text): let charset-normalizer arbitrate, but only
    # between our finalists, or pick its code page when none of ours reads naturally.
    guess = _charset_normalizer_guess(sample)
    if guess in (best, second) or (guess and best_score <= _PLAUSIBLE):
        return guess
    return best


def _charset_normalizer_guess(sample: bytes) -> str:
    """Return charset-normalizer's single-byte code page for ``sample``, or ''."""
    try:
        import charset_normalizer

        match = charset_normalizer.from_bytes(sample).best()
        guess = codecs.lookup(match.encoding).name.replace("-", "_") if match else ""
    except Exception as exc:  # a detector failure only costs us its opinion
        logger.debug("file_parser: charset-normalizer failed: %s", type(exc).__name__)
        return ""
    return guess if guess in _LEGACY_CODECS or guess in _SINGLE_BYTE else ""


def _checked(
    data: bytes, codec: str, errors: str = "strict", decoded: str | None = None
) -> _Detected:
    """Confirm a codec decodes ``data`` into text, not binary; return it with warnings."""
    warnings: list[tuple[str, dict[str, Any]]] = []
    if decoded is None:
        try:
            decoded = data.decode(codec, errors)
        except UnicodeDecodeError:
            errors = "replace"
            decoded = data.decode(codec, errors)
    if errors == "replace":
        bad = decoded.count("\ufffd")
        if bad * 20 > len(decoded):
            raise FileParseError("encoding")
        if bad:
            warnings.append(("warn_chars_replaced", {}))
    if _control_ratio(decoded[:65536]) > 0.05:
        raise FileParseError("encoding")
    return codec, errors, decoded, warnings


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
_CONTROL_RE = re.compile(f"[{_CONTROL_CHARS}]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE_CHARS}]")
_ODD_SPACE_RE = re.compile(f"[{_ODD_SPACE_CHARS}]")
# One scan decides whether the four passes above are needed at all (usually they are not).
_SPECIAL_RE = re.compile(f"[{_NEWLINE_CHARS}{_CONTROL_CHARS}{_INVISIBLE_CHARS}{_ODD_SPACE_CHARS}]")
# A literal prefix plus one greedy class: linear even on a multi-megabyte line.  Each pass
# is skipped when a substring check shows it has nothing to do.
_SPACE_RUN_RE = re.compile(r" {2,}")
_TAB_RUN_RE = re.compile(r" \t[\t ]*|\t[\t ]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _clean_text(text: str) -> str:
    """Normalise extracted text: NFC, no control characters, tidy whitespace."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SPECIAL_RE.search(text):
        text = _NEWLINE_RE.sub("\n", text)
        text = _CONTROL_RE.sub("", text)
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
