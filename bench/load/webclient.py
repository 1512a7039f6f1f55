"""A small asyncio HTTP/1.1 client with keep-alive connections to one loopback port.

Leaner than httpx (no aiohttp in the venv): on a 2-core machine the load generator's own CPU
time is taken from the servers it measures, so it should be as small as possible.
"""

from __future__ import annotations

import asyncio
import time

IDLE_SECONDS = 3.0


class EmptyReply(ConnectionError):
    """The server closed the connection before sending a status line."""


class HttpPool:
    def __init__(self, port: int, size: int, timeout: float = 30.0) -> None:
        self.port, self.timeout = port, timeout
        self._sem = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.stale_retries = 0  # a kept-alive connection the server had closed: sent again

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with self._sem:
            for attempt in (0, 1):
                reused = attempt == 0 and self._take_idle()
                if reused:
                    reader, writer, _ = self._idle.pop()
                else:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", self.port), self.timeout
                    )
                try:
                    writer.write(raw)
                    status, payload, keep = await asyncio.wait_for(_read(reader), self.timeout)
                except (EmptyReply, ConnectionResetError, BrokenPipeError):
                    writer.close()
                    if reused:  # nothing was answered on a kept-alive one: send on a new one
                        self.stale_retries += 1
                        continue
                    raise
                except BaseException:
                    writer.close()
                    raise
                if keep:
                    self._idle.append((reader, writer, time.monotonic()))
                else:
                    writer.close()
                return status, payload
        raise EmptyReply("unreachable")

    def _take_idle(self) -> bool:
        """Whether an idle connection young enough to trust is on top (gunicorn closes idle
        keep-alive connections after `keepalive` = 5 s; older ones are closed here first)."""
        while self._idle and time.monotonic() - self._idle[-1][2] > IDLE_SECONDS:
            self._idle.pop()[1].close()
        return bool(self._idle)

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[1].close()


async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    line = await reader.readline()
    if not line:
        raise EmptyReply("connection closed before a status line")
    parts = line.split(None, 2)
    status = int(parts[1])
    length, chunked, keep = None, False, parts[0] == b"HTTP/1.1"
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection":
            keep = value == b"keep-alive" or (keep and value != b"close")
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body, keep = await reader.read(), False
    return status, body, keep
