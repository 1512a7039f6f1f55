"""Run an extractor in a short-lived, resource-limited child interpreter (or in-process)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kb.extract import limits
from kb.extract.docx import extract_docx
from kb.extract.errors import FileParseError
from kb.extract.pdf import extract_pdf
from kb.extract.tables import extract_csv

logger = logging.getLogger(__name__)

# The child imports kb.extract from the project root (never the app or Flask) and runs
# kb.extract.child.main with the rest of its argv; kb/__init__.py must stay import-free.
_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD_BOOT = (
    "import sys;sys.path.insert(0,sys.argv[1]);from kb.extract.child import main;main(sys.argv[2:])"
)

_IN_PROCESS_LOCK = threading.Lock()  # PDFium is not thread-safe
CRASH_CODES = {"pdf": "pdf_damaged", "docx": "docx_invalid", "csv": "unreadable"}


def run_extractor(kind: str, path: str, arg: str) -> dict[str, Any]:
    """Run the extractor for ``kind`` in a child process, or in-process as a fallback."""
    if limits.RUN_IN_SUBPROCESS and sys.executable:
        result = _run_child(kind, path, arg)
        if result is not None:
            return result
    return _run_in_process(kind, path, arg)


def _run_in_process(kind: str, path: str, arg: str) -> dict[str, Any]:
    """Run an extractor here; the PDF extractor still honours its page-level time budget."""
    started = time.monotonic()
    with _IN_PROCESS_LOCK:
        try:
            return EXTRACTORS[kind](path, arg, lambda _msg: None, started)
        except FileParseError:
            raise
        except (MemoryError, RecursionError):
            raise FileParseError("timeout") from None
        except Exception as exc:
            logger.warning("file_parser: %s extraction failed: %s", kind, type(exc).__name__)
            raise FileParseError(CRASH_CODES.get(kind, "unreadable")) from None


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
    cmd = [sys.executable, "-c", _CHILD_BOOT, _ROOT, kind, path, arg]
    try:
        # An argv list (no shell) running our own interpreter on our own package.
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
            too_slow = time.monotonic() - started > limits.time_limit(pages) + 0.5
            if too_slow or _rss_bytes(proc.pid) > limits.CHILD_MAX_RSS_BYTES:
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
        raise FileParseError(CRASH_CODES.get(kind, "unreadable"))
    if "error" in final:
        if final.get("detail"):
            logger.warning("file_parser: %s extraction failed: %s", kind, final["detail"])
        raise FileParseError(str(final["error"]), **(final.get("params") or {}))
    ok = final["ok"]
    ok["warnings"] = [(str(c), p if isinstance(p, dict) else {}) for c, p in ok.get("warnings", [])]
    return ok


EXTRACTORS: dict[str, Callable[[str, str, Callable[[dict], None], float], dict]] = {
    "pdf": extract_pdf,
    "docx": extract_docx,
    "csv": extract_csv,
}
