"""The outside services for the load benchmark, in their own process (so the load generator's GIL
is not theirs): tests/fakes' Telegram Bot API, Graph API and Gemini, plus a control endpoint.

    python -m bench.load.fakes_proc --llm-latency 0.8 --gemini-key KEY

prints one JSON line {"telegram": url, "graph": url, "gemini": url, "control": url} and serves
until stdin closes or SIGTERM. The subclasses only add what a load test needs: every delivered
reply is recorded with the time it arrived (for end-to-end latency and duplicate counts), request
bodies are not kept (memory), and the fake LLM answers after a fixed latency, times out for a
programmable share of calls and echoes the question's tag "[q:…]" as "[r:…]" in its answer.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.gemini import FakeGemini, text_response  # noqa: E402
from tests.fakes.graph import FakeGraph  # noqa: E402
from tests.fakes.server import FakeServer, Recorded, Reply  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402

# socketserver's default listen backlog is 5: a burst of 40+ connections would see dropped SYNs
# and one-second retransmits, i.e. the fake, not the app, would set the latency.
ThreadingHTTPServer.request_queue_size = 1024

_TAG = re.compile(r"\[q:([0-9a-z]+)\]")


class _Discard(list):
    """A `requests` list that keeps nothing (50,000 prompts would be hundreds of MB)."""

    def append(self, item) -> None:
        return None


class Deliveries:
    """Every reply the fake platforms accepted: (time, platform, account, chat, id, text)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[list] = []

    def add(self, platform: str, account: str, chat: str, ext: str, text: str | None) -> None:
        with self.lock:
            self.items.append([time.time(), platform, account, chat, ext, text or ""])

    def since(self, start: int) -> list[list]:
        with self.lock:
            return self.items[start:]


class BenchTelegram(FakeTelegram):
    def __init__(self, deliveries: Deliveries) -> None:
        super().__init__()
        self.requests = _Discard()
        self.deliveries = deliveries
        self.answered_429 = 0

    def _m_sendMessage(self, bot, params):  # noqa: N802 (the Bot API's name)
        reply = super()._m_sendMessage(bot, params)
        if reply.status == 200:
            mid = str(reply.body["result"]["message_id"])
            self.deliveries.add(
                "telegram", str(bot.id), str(params.get("chat_id")), mid, params.get("text")
            )
            with self._state_lock:
                bot.sent.clear()
        elif reply.status == 429:
            with self._state_lock:
                self.answered_429 += 1
        return reply


class BenchGraph(FakeGraph):
    def __init__(self, deliveries: Deliveries) -> None:
        super().__init__()
        self.requests = _Discard()
        self.deliveries = deliveries

    def _send_whatsapp(self, number, body, path):
        reply = super()._send_whatsapp(number, body, path)
        if reply.status == 200:
            text = (body.get("text") or {}).get("body")
            self.deliveries.add(
                "whatsapp",
                number.phone_number_id,
                str(body.get("to")),
                reply.body["messages"][0]["id"],
                text,
            )
            with self._state:
                number.sent.clear()
        return reply

    def _send_instagram(self, account, body, path):
        reply = super()._send_instagram(account, body, path)
        if reply.status == 200:
            text = (body.get("message") or {}).get("text")
            self.deliveries.add(
                "instagram",
                account.account_id,
                str(body["recipient"]["id"]),
                reply.body["message_id"],
                text,
            )
            with self._state:
                account.sent.clear()
        return reply


class BenchGemini(FakeGemini):
    """generateContent after a fixed latency; a share of calls outlasts the client's timeout."""

    def __init__(self, key: str, latency: float) -> None:
        super().__init__(keys=(key,))
        self.requests = _Discard()
        self.latency = latency
        self.timeout_rate = 0.0
        self.timeout_delay = 25.0
        self._rng = random.Random(7)
        self._count_lock = threading.Lock()
        self.calls = self.timeouts = self.inflight = self.peak_inflight = 0

    def _generate(self, rec: Recorded, m: re.Match) -> Reply:
        denied = self._auth_error(rec)
        if denied is not None:
            return denied
        try:
            contents = json.loads(rec.body).get("contents") or []
            last = contents[-1]["parts"][0].get("text", "") if contents else ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            last = ""
        tag = _TAG.search(last)
        with self._count_lock:
            self.calls += 1
            self.inflight += 1
            self.peak_inflight = max(self.peak_inflight, self.inflight)
            slow = self._rng.random() < self.timeout_rate
            self.timeouts += slow
        try:
            time.sleep(self.timeout_delay if slow else self.latency)
        finally:
            with self._count_lock:
                self.inflight -= 1
        text = f"Javob [r:{tag[1]}]: rahmat, savolingiz qabul qilindi." if tag else "Javob."
        return Reply(200, text_response(text, m["model"]))


class Control(FakeServer):
    """Register tenants, program faults, read counters and deliveries (JSON over loopback)."""

    def __init__(self, tg: BenchTelegram, graph: BenchGraph, llm: BenchGemini, deliveries):
        super().__init__()
        self.requests = _Discard()
        self.tg, self.graph, self.llm, self.deliveries = tg, graph, llm, deliveries
        self.route("POST", "/register", self._register)
        self.route("POST", "/program", self._program)
        self.route("GET", "/stats", self._stats)
        self.route("GET", "/deliveries", self._deliveries)

    def _register(self, rec: Recorded, m) -> Reply:
        body = rec.json()
        for token, bot_id, username in body.get("bots", []):
            self.tg.add_bot(token, int(bot_id), username)
        for phone_number_id, token in body.get("whatsapp", []):
            self.graph.add_whatsapp_number(phone_number_id, token)
        for account_id, token in body.get("instagram", []):
            self.graph.add_instagram_account(account_id, token)
        return Reply(200, {"ok": True})

    def _program(self, rec: Recorded, m) -> Reply:
        body = rec.json()
        with self.llm._count_lock:
            self.llm.latency = float(body.get("llm_latency", self.llm.latency))
            self.llm.timeout_rate = float(body.get("llm_timeout_rate", self.llm.timeout_rate))
            self.llm.timeout_delay = float(body.get("llm_timeout_delay", self.llm.timeout_delay))
        if body.get("tg429"):
            # The fake's own programmed failures: the next `times` sends answer 429.
            self.tg.rate_limit(
                retry_after=int(body["tg429"]["retry_after"]), times=int(body["tg429"]["times"])
            )
        if body.get("tg429_clear"):
            with self.tg._state_lock:
                self.tg._send_failures.clear()
        return Reply(200, {"ok": True})

    def _stats(self, rec: Recorded, m) -> Reply:
        with self.deliveries.lock:
            delivered = len(self.deliveries.items)
        with self.tg._state_lock:
            pending_429 = len(self.tg._send_failures)
        return Reply(
            200,
            {
                "delivered": delivered,
                "llm_calls": self.llm.calls,
                "llm_timeouts": self.llm.timeouts,
                "llm_inflight": self.llm.inflight,
                "llm_peak_inflight": self.llm.peak_inflight,
                "tg_answered_429": self.tg.answered_429,
                "tg_429_left": pending_429,
            },
        )

    def _deliveries(self, rec: Recorded, m) -> Reply:
        start = int((rec.query.get("since") or ["0"])[0])
        return Reply(200, self.deliveries.since(start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-latency", type=float, default=0.8)
    parser.add_argument("--gemini-key", required=True)
    args = parser.parse_args()
    deliveries = Deliveries()
    tg, graph = BenchTelegram(deliveries), BenchGraph(deliveries)
    llm = BenchGemini(args.gemini_key, args.llm_latency)
    control = Control(tg, graph, llm, deliveries)
    for server in (tg, graph, llm, control):
        server.start()
    urls = {"telegram": tg.url, "graph": graph.url, "gemini": llm.url, "control": control.url}
    print(json.dumps(urls), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()  # until the benchmark closes our stdin (or dies)
    finally:
        for server in (control, llm, graph, tg):
            server.stop()


if __name__ == "__main__":
    main()
