"""Bot tokens out of logs: the token is part of every Bot API URL, and httpx logs each request
URL at INFO ("HTTP Request: POST .../bot<token>/..."); the filter below redacts them."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_TEXT = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_TOKEN_IN_URL = re.compile(r"/bot[^/\s\"']+/")


def scrub_tokens(text: str) -> str:
    """Remove anything that looks like a bot token from a string."""
    return _TOKEN_IN_TEXT.sub("bot<redacted>", _TOKEN_IN_URL.sub("/bot<redacted>/", text))


class _RedactTokens(logging.Filter):
    """Replace bot tokens in httpx's INFO request log ("HTTP Request: POST .../bot<token>/...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(scrub_tokens(str(a)) if "bot" in str(a) else a for a in args)
        if isinstance(record.msg, str) and "bot" in record.msg:
            record.msg = scrub_tokens(record.msg)
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _RedactTokens) for f in _httpx_log.filters):
    _httpx_log.addFilter(_RedactTokens())
