"""A small threaded HTTP server on 127.0.0.1 that records requests and answers from Python handlers.

Each fake outside service (Telegram Bot API, Graph API, Gemini, OpenAI) subclasses FakeServer and
registers routes. The real SDKs and HTTP clients talk to it through their configurable base URLs.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Server(ThreadingHTTPServer):
    # Dozens of clients connect at once in the concurrency tests: the default backlog of 5
    # refused some of them (connection reset).
    request_queue_size = 128
    daemon_threads = True


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What a route handler answers: status, JSON-able body (or raw bytes), headers, optional delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Recorded, re.Match], Reply]


class FakeServer:
    """Base fake: `route(method, pattern, handler)`, then `start()`; `requests` lists what arrived."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0

    # --- configuration -------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register a handler; later registrations win, so a test can override a default route."""
        with self._lock:
            self._routes.insert(0, (method.upper(), re.compile(pattern + r"\Z"), handler))

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    reply = fake._dispatch(rec)
                    if reply.delay:
                        threading.Event().wait(reply.delay)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                if isinstance(reply.body, bytes | str):
                    payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    ctype = reply.headers.get("Content-Type", "text/plain; charset=utf-8")
                else:
                    payload = json.dumps(reply.body).encode()
                    ctype = "application/json"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in reply.headers.items():
                        if k.lower() != "content-type":
                            self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------
    def _dispatch(self, rec: Recorded) -> Reply:
        with self._lock:
            self.requests.append(rec)
            routes = list(self._routes)
        for method, pattern, handler in routes:
            if method == rec.method:
                m = pattern.match(rec.path)
                if m:
                    return handler(rec, m)
        return Reply(404, {"error": {"code": 404, "message": f"no fake route for {rec.path}"}})

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def requests_to(self, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern)
        with self._lock:
            return [r for r in self.requests if rx.search(r.path)]
