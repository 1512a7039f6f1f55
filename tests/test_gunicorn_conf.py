"""gunicorn.conf.py, loaded the way gunicorn loads it: the access log never shows a token."""

import logging
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
TOKEN = "eyJpZCI6NywiaCI6ImFiY2RlZmdoaWprbG1ub3AifQ.Z1x2Yw.c2lnbmF0dXJlLXBhcnQtaGVyZQ"


def _gunicorn_config() -> Config:
    """The settings as `gunicorn main:app` reads them (its own config-file loader)."""
    loader = Application.__new__(Application)  # skip __init__, which parses sys.argv
    loader.cfg = Config()
    loader.load_config_from_file(str(CONF))
    sys.modules.pop("__config__", None)
    return loader.cfg


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _access_line(path: str, query: str = "", referer: str = "-") -> str:
    cfg = _gunicorn_config()
    logger = cfg.logger_class(cfg)
    captured = _Lines()
    logger.access_log.addHandler(captured)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + (f"?{query}" if query else ""),
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referer,
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("Referer", referer)])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    logger.access_log.removeHandler(captured)
    (line,) = captured.lines
    return line


@pytest.mark.parametrize(
    "path,shown",
    [
        (f"/auth/reset-password/{TOKEN}", "/auth/reset-password/[redacted]"),
        (f"/billing/unsubscribe/{TOKEN}", "/billing/unsubscribe/[redacted]"),
    ],
)
def test_access_log_redacts_tokens_in_paths(path, shown):
    line = _access_line(path)
    assert TOKEN not in line
    assert f'"GET {shown} HTTP/1.1" 200 512' in line


def test_every_atom_is_redacted_for_custom_formats():
    cfg = _gunicorn_config()
    logger = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/auth/reset-password/{TOKEN}",
        "PATH_INFO": f"/auth/reset-password/{TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://bot.example/auth/reset-password/{TOKEN}",
    }
    atoms = logger.atoms(
        SimpleNamespace(status="302 FOUND", sent=0, headers=[]),
        SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])]),
        environ,
        timedelta(0),
    )
    assert not [key for key, value in atoms.items() if TOKEN in str(value)]


def test_other_paths_and_query_strings_are_left_alone():
    line = _access_line("/webhooks/telegram/12", query="hub.verify_token=secret")
    assert "/webhooks/telegram/12" in line and "secret" not in line
