"""Entry point of an extraction child: cap its resources, run one extractor, report JSON lines."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from kb.extract import limits
from kb.extract.errors import FileParseError
from kb.extract.runner import CRASH_CODES, EXTRACTORS


def _limit_child_resources() -> None:
    """Cap the child's address space and CPU time where the OS supports it."""
    try:
        import resource
    except ImportError:
        return
    caps = (
        (resource.RLIMIT_AS, limits.CHILD_MAX_ADDRESS_SPACE_BYTES),
        (resource.RLIMIT_CPU, int(limits.MAX_TIME_LIMIT_SECONDS) + 5),
    )
    for which, wanted in caps:
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                wanted = min(wanted, hard)
            resource.setrlimit(which, (wanted, hard))
        except (ValueError, OSError):
            pass


def main(argv: list[str]) -> None:
    """Entry point of an extraction child: run one extractor and report as JSON lines."""
    out = sys.stdout.buffer

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()

    kind, path, arg = [*argv, "", "", ""][:3]
    _limit_child_resources()
    emit({"ready": True})
    try:
        emit({"ok": EXTRACTORS[kind](path, arg, emit, time.monotonic())})
    except FileParseError as exc:
        emit({"error": exc.code, "params": exc.params})
    except (MemoryError, RecursionError):
        emit({"error": "timeout"})
    except BaseException as exc:  # the child must always report, whatever broke
        emit({"error": CRASH_CODES.get(kind, "unreadable"), "detail": type(exc).__name__})
