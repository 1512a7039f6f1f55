"""Every limit extraction enforces: types, sizes, time, memory and zip bombs.

Modules read them as ``limits.NAME`` at call time, so one place (or a test) can change them.
"""

from __future__ import annotations

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


def time_limit(pages: int | None) -> float:
    """Return the wall-clock budget for a file, extended for long PDFs."""
    if not pages:
        return TIME_LIMIT_SECONDS
    return min(MAX_TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS + PDF_SECONDS_PER_PAGE * pages)
