"""What the benchmark sends: customer messages as the platforms deliver them (built with the tests'
fakes: Telegram updates with the bot's secret header, WhatsApp/Instagram payloads signed with the
tenant's app secret), when (steady rate, bursts, redeliveries), and the async drivers that send
them and time every acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

from bench.load.webclient import HttpPool
from tests.fakes.graph import instagram_text_payload, signed, whatsapp_text_payload
from tests.fakes.telegram import telegram_text_update

PLATFORMS = ("telegram", "whatsapp", "instagram")
QUESTIONS = (
    "Narxlar qancha?",
    "Сколько стоит доставка?",
    "Do you open on Sunday?",
    "Yetkazib berish bormi?",
    "Где вы находитесь?",
    "Ish vaqti qanday?",
)


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


@dataclass(slots=True)
class Msg:
    """One customer message (its redeliveries carry the same bytes)."""

    i: int
    owner: dict
    platform: str
    chat: str
    ext: str  # the platform's id: update_id, wamid, mid
    t: float = 0.0  # planned first send, seconds from the start
    dup: str | None = None  # "later" or "same"
    dup_t: float = 0.0
    path: str = ""
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    first_post: float | None = None  # wall time of the first POST
    acked: bool = False
    attempts: int = 0

    @property
    def account(self) -> str:
        return {
            "telegram": self.owner["tg"]["bot_id"],
            "whatsapp": self.owner["wa"]["id"],
            "instagram": self.owner["ig"]["id"],
        }[self.platform]

    @property
    def text(self) -> str:
        return f"{QUESTIONS[self.i % len(QUESTIONS)]} [q:{b36(self.i)}]"

    def build(self) -> None:
        """The webhook request, built at first send (the platforms' dates are 'now')."""
        if self.platform == "telegram":
            update = telegram_text_update(
                self.text, chat_id=int(self.chat), update_id=int(self.ext), first_name="Mijoz"
            )
            self.body = json.dumps(update, ensure_ascii=False).encode()
            self.headers = {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": self.owner["tg"]["secret"],
            }
            self.path = f"/telegram/webhook/{self.owner['user_id']}"
        elif self.platform == "whatsapp":
            wa = self.owner["wa"]
            payload = whatsapp_text_payload(
                self.text, phone_number_id=wa["id"], wa_id=self.chat, name="Mijoz", wamid=self.ext
            )
            self.body, self.headers = signed(payload, wa["app_secret"])
            self.path = "/whatsapp/webhook"
        else:
            ig = self.owner["ig"]
            payload = instagram_text_payload(
                self.text, account_id=ig["id"], sender_id=self.chat, mid=self.ext
            )
            self.body, self.headers = signed(payload, ig["app_secret"])
            self.path = "/instagram/webhook"


class Factory:
    """Customers spread over owners and platforms; ~per_chat messages per chat on average."""

    def __init__(self, owners: list[dict], rng: random.Random, chats: int, platforms=PLATFORMS):
        self.owners, self.rng, self.platforms = owners, rng, platforms
        nonce = rng.randrange(36**6)
        self.chats = []
        for k in range(max(1, chats)):
            platform = platforms[k % len(platforms)]
            chat = {
                "telegram": str(600_000_000 + k),
                "whatsapp": f"99893{k:07d}",
                "instagram": f"69{k:014d}",
            }[platform]
            self.chats.append((rng.randrange(len(owners)), platform, chat))
        self._update_ids: dict[str, int] = {}
        self._nonce = b36(nonce)
        self.made = 0

    def new(self) -> Msg:
        i = self.made
        self.made += 1
        owner_ix, platform, chat = self.chats[self.rng.randrange(len(self.chats))]
        owner = self.owners[owner_ix]
        if platform == "telegram":
            bot = owner["tg"]["bot_id"]
            ext = self._update_ids.get(bot, 500_000_000) + 1
            self._update_ids[bot] = ext
            ext = str(ext)
        elif platform == "whatsapp":
            ext = f"wamid.BENCH{self._nonce}{i:09d}"
        else:
            ext = f"bench_mid_{self._nonce}_{i:09d}"
        return Msg(i, owner, platform, chat, ext)


def plan(
    factory: Factory,
    n: int,
    rate: float,
    burst_size: int,
    burst_every: float,
    dup_later: float,
    dup_same: float,
    rng: random.Random,
) -> list[Msg]:
    """n messages: steady at `rate`/s plus `burst_size` at once every `burst_every` s; a share
    redelivered later (0.2–5 s) and a share delivered twice at the same moment."""
    msgs, t, next_burst = [], 0.0, burst_every if burst_size and burst_every else None
    while len(msgs) < n:
        if next_burst is not None and t >= next_burst:
            for _ in range(min(burst_size, n - len(msgs))):
                msgs.append(factory.new())
                msgs[-1].t = next_burst
            next_burst += burst_every
            continue
        msgs.append(factory.new())
        msgs[-1].t = t
        t += 1.0 / rate
    for msg in msgs:
        roll = rng.random()
        if roll < dup_same:
            msg.dup, msg.dup_t = "same", msg.t
        elif roll < dup_same + dup_later:
            msg.dup, msg.dup_t = "later", msg.t + rng.uniform(0.2, 5.0)
    return msgs


@dataclass
class Attempt:
    start: float
    end: float
    status: int  # HTTP status, or -1 error, -2 timeout
    error: str = ""


class Driver:
    """Sends planned messages open-loop (the schedule does not wait for answers; in-flight is
    capped) and redelivers non-2xx answers with backoff, as Telegram and Meta do."""

    def __init__(self, pool: HttpPool, max_inflight: int, redeliver: int, deadline: float):
        self.pool, self.redeliver, self.deadline = pool, redeliver, deadline
        self.sem = asyncio.Semaphore(max_inflight)
        self.attempts: list[Attempt] = []
        self.lag: list[float] = []  # how late each planned send started (generator health)

    async def _post(self, msg: Msg) -> None:
        try:
            for n in range(self.redeliver):
                if msg.body is None:
                    msg.build()
                start = time.time()
                if msg.first_post is None:
                    msg.first_post = start
                msg.attempts += 1
                try:
                    status, _ = await self.pool.request("POST", msg.path, msg.body, msg.headers)
                    err = ""
                except TimeoutError:
                    status, err = -2, "timeout"
                except OSError as exc:
                    status, err = -1, type(exc).__name__
                self.attempts.append(Attempt(start, time.time(), status, err))
                if 200 <= status < 300:
                    msg.acked = True
                    return
                if time.time() > self.deadline:
                    return
                await asyncio.sleep(min(0.5 * 2**n, 15.0))  # 0.5, 1, 2 … 15 s
        finally:
            self.sem.release()

    async def run(self, msgs: list[Msg], start: float) -> None:
        events = sorted(
            [(m.t, 0, m.i, m) for m in msgs] + [(m.dup_t, 1, m.i, m) for m in msgs if m.dup]
        )
        tasks = set()
        for t, _, _, msg in events:
            if time.time() > self.deadline:
                break
            delay = start + t - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.sem.acquire()
            if msg.body is None:
                msg.build()  # once: a redelivery carries the same bytes
            self.lag.append(max(0.0, time.time() - (start + t)))
            task = asyncio.create_task(self._post(msg))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(list(tasks), timeout=max(1.0, self.deadline - time.time()))


async def closed_loop(pool: HttpPool, make, concurrency: int, warmup: float, duration: float):
    """`concurrency` clients each POSTing back to back for warmup + duration seconds.

    Returns (completed, latencies, errors): 2xx answers completed inside the measured window
    (the throughput), latencies of every 2xx request started in it (a slow one finishing after
    the window counts too), and non-2xx answers or errors among the requests started in it."""
    begin = time.time()
    measure_from, end = begin + warmup, begin + warmup + duration
    lat: list[float] = []
    done = [0, 0]  # completed in the window, errors

    async def client() -> None:
        while time.time() < end:
            path, body, headers = make()
            t0 = time.time()
            try:
                status, _ = await pool.request("POST", path, body, headers)
            except (TimeoutError, OSError):
                status = -1
            t1 = time.time()
            ok = 200 <= status < 300
            if ok and measure_from <= t1 <= end:
                done[0] += 1
            if t0 >= measure_from:
                if ok:
                    lat.append(t1 - t0)
                else:
                    done[1] += 1

    await asyncio.wait_for(
        asyncio.gather(*(client() for _ in range(concurrency))),
        timeout=warmup + duration + pool.timeout + 5,
    )
    return done[0], lat, done[1]
