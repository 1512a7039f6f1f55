"""A TCP proxy on loopback between the app and PostgreSQL, so the benchmark can make the database
unreachable for a while without touching the real server.

    python -m bench.load.proxy --upstream-port 5432 --mode reset

prints {"port": N}. SIGUSR1 starts an outage, SIGUSR2 ends it:
  reset  every open connection is reset and new ones are refused (the server went away);
  hang   nothing flows and new connections wait (a network partition), then all resumes.
Stops when stdin closes or on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import threading


class Proxy:
    def __init__(self, port: int, upstream: tuple[str, int], mode: str) -> None:
        self.port, self.upstream, self.mode = port, upstream, mode
        self.pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.AbstractServer | None = None

    async def listen(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader, writer) -> None:
        await self.flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        pair = (writer, up_writer)
        self.pairs.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.pairs.discard(pair)

    async def _pipe(self, reader, writer) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if not self.flowing.is_set():
                    await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def outage(self) -> None:
        if self.mode == "hang":
            self.flowing.clear()
            return
        if self.server is not None:
            self.server.close()
            self.server = None
        for pair in list(self.pairs):
            for w in pair:
                w.transport.abort()  # RST: the client sees "server closed the connection"

    async def restore(self) -> None:
        if self.mode == "hang":
            self.flowing.set()
        elif self.server is None:
            await self.listen()


async def _main(args) -> None:
    loop = asyncio.get_running_loop()
    proxy = Proxy(args.port, (args.upstream_host, args.upstream_port), args.mode)
    await proxy.listen()
    print(json.dumps({"port": proxy.port}), flush=True)
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, proxy.outage)
    loop.add_signal_handler(signal.SIGUSR2, lambda: loop.create_task(proxy.restore()))
    loop.add_signal_handler(signal.SIGTERM, done.set)
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(done.set)), daemon=True
    ).start()
    await done.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, default=5432)
    parser.add_argument("--mode", choices=("reset", "hang"), default="reset")
    args = parser.parse_args()
    if args.upstream_host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback only")
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
