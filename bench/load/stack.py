"""Everything a benchmark run starts, and stops again whatever happens: its database, the fakes,
gunicorn (the app or the bare baseline), RQ workers, the PostgreSQL proxy, and a sampler thread.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import secrets
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load import procs
from bench.load.db import Database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Settings the app reads (.env.example) that must not leak in from the caller's environment.
SCRUB = (
    "APP_ENV",
    "SECRET_KEY",
    "FERNET_KEY",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "WEBHOOK_BASE_URL",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "INSTANCE_DIR",
    "UPLOAD_DIR",
    "TELEGRAM_API_BASE",
    "GRAPH_API_BASE",
    "INSTAGRAM_API_BASE",
    "FLASK_APP",
)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# gunicorn config of the bare baseline: every setting of the app's file except server hooks.
BARE_CONF = """import runpy
from gunicorn.config import KNOWN_SETTINGS

_app = runpy.run_path({conf!r})
_hooks = {{s.name for s in KNOWN_SETTINGS if "Hooks" in s.section}}
_names = {{s.name for s in KNOWN_SETTINGS}} - _hooks
globals().update({{k: v for k, v in _app.items() if k in _names}})
"""


class Stack:
    def __init__(self, args) -> None:
        self.args = args
        self.run_dir = Path(tempfile.mkdtemp(prefix="bilimbot-bench-", dir=args.log_dir))
        self.children = procs.Children(self.run_dir)
        self.db = Database(args.db, args.pg_url, args.db_name, self.run_dir)
        self.app_dir = self._app_dir()
        self.secret_key = secrets.token_urlsafe(48)
        self.fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        self.gemini_key = "bench-" + secrets.token_hex(8)
        self.urls: dict[str, str] = {}
        self.owners: list[dict] = []
        self.rss = procs.RssTracker()
        self.pg_cpu_at_start: float | None = None  # procs.postgres_cpu_seconds(), e2e runs
        self.proxy_port: int | None = None
        self.app_port: int | None = None
        self.rq_names: list[str] = []
        self.redis_url = args.redis_url if args.redis else ""
        if self.redis_url and not any(h in self.redis_url for h in LOOPBACK):
            raise SystemExit("Redis must be on loopback")

    def _app_dir(self) -> Path:
        if not self.args.app_ref:
            return (self.args.app_dir or ROOT).resolve()
        target = self.run_dir / "app"
        target.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", self.args.app_ref],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True, timeout=120)
        return target

    # --- set-up ------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in SCRUB and not k.startswith(("GOOGLE_", "GEMINI_", "OPENAI_"))
        }
        db_url = self.db.url(self.proxy_port)
        env.update(
            APP_ENV="production",
            SECRET_KEY=self.secret_key,
            FERNET_KEY=self.fernet_key,
            DATABASE_URL=db_url,
            FLASK_APP="main:app",
            PYTHONUNBUFFERED="1",
            TELEGRAM_API_BASE=self.urls.get("telegram", "http://127.0.0.1:9"),
            GRAPH_API_BASE=self.urls.get("graph", "http://127.0.0.1:9"),
            INSTAGRAM_API_BASE=self.urls.get("graph", "http://127.0.0.1:9"),
            GEMINI_API_KEY=self.gemini_key,
            GEMINI_BASE_URL=self.urls.get("gemini", ""),
            OPENAI_API_KEY="",
            REDIS_URL=self.redis_url,
            MAIL_SERVER="",
            MAIL_USERNAME="",
            MAIL_PASSWORD="",
            PROXY_FIX_HOPS="0",
            AI_TIMEOUT_SECONDS=str(self.args.ai_timeout),
            INSTANCE_DIR=str(self.run_dir / "instance"),
            UPLOAD_DIR=str(self.run_dir / "uploads"),
        )
        if self.args.answerers and not self.args.redis:
            env["ANSWER_IN_WEB"] = "false"
        for item in self.args.env or []:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def _run(
        self, name: str, argv: list[str], timeout: float, env: dict | None = None
    ) -> bytes | None:
        """Run a set-up step in the app's directory and environment, its output in its log;
        with `env`, that environment and its standard output returned (stderr to the log)."""
        with open(self.run_dir / f"{name}.log", "ab") as log:
            done = subprocess.run(
                argv,
                cwd=self.app_dir,
                env=env or self.env(),
                stdout=subprocess.PIPE if env else log,
                stderr=log if env else subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode:
            tail = (self.run_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} failed ({done.returncode}):\n{tail}")
        return done.stdout

    def prepare(self, proxy: bool = False) -> None:
        """Fresh database with the real migrations, seeded owners, fakes knowing them."""
        self.flush_redis()
        self.db.create()
        self._run("schema", [str(BIN / "flask"), "db", "upgrade"], timeout=600)
        out = self.run_dir / "owners.json"
        self._run(
            "seed",
            [
                sys.executable,
                str(ROOT / "bench" / "load" / "seed.py"),
                "--app-dir",
                str(self.app_dir),
                "--owners",
                str(self.args.owners),
                "--out",
                str(out),
            ],
            timeout=600,
        )
        self.owners = json.loads(out.read_text())
        self.start_fakes()
        if proxy:
            self.start_proxy()

    def start_fakes(self) -> None:
        proc = self.children.start(
            "fakes",
            [
                sys.executable,
                "-m",
                "bench.load.fakes_proc",
                "--llm-latency",
                str(self.args.llm_latency),
                "--gemini-key",
                self.gemini_key,
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout_pipe=True,
        )
        self.urls = json.loads(_first_line(proc, 30))
        self.control(
            "POST",
            "/register",
            {
                "bots": [
                    [o["tg"]["token"], o["tg"]["bot_id"], o["tg"]["username"]] for o in self.owners
                ],
                "whatsapp": [[o["wa"]["id"], o["wa"]["token"]] for o in self.owners],
                "instagram": [[o["ig"]["id"], o["ig"]["token"]] for o in self.owners],
            },
        )

    def control(self, method: str, path: str, body: dict | None = None):
        port = int(self.urls["control"].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            return json.loads(conn.getresponse().read() or b"null")
        finally:
            conn.close()

    def deliveries(self) -> list[list]:
        items: list[list] = []
        for _ in range(10_000):  # bounded paging
            page = self.control("GET", f"/deliveries?since={len(items)}")
            if not page:
                break
            items += page
        return items

    def start_proxy(self) -> None:
        proc = self.children.start(
            "pgproxy",
            [
                sys.executable,
                "-m",
                "bench.load.proxy",
                "--upstream-port",
                str(self.db.port),
                "--mode",
                self.args.pg_outage_mode,
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout_pipe=True,
        )
        self.proxy_port = json.loads(_first_line(proc, 15))["port"]

    def proxy_signal(self, sig: int) -> None:
        os.kill(self.children.procs["pgproxy"].pid, sig)

    # --- servers -----------------------------------------------------------------------------
    def start_app(self) -> float:
        self.app_port = procs.free_port()
        proc = self.children.start(
            "app",
            [
                str(BIN / "gunicorn"),
                "main:app",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.app_port}",
                "--no-control-socket",
            ],
            env=self.env(),
            cwd=self.app_dir,
        )
        return procs.wait_ready(proc, self.app_port, "/healthz")

    def start_bare(self) -> tuple[int, float]:
        """The baseline under the app's gunicorn.conf.py settings (workers, threads, worker class,
        timeouts, access log...) minus its server hooks, which start the app's own threads."""
        bare_dir = self.run_dir / "bare"
        bare_dir.mkdir(exist_ok=True)
        shutil.copy(ROOT / "bench" / "load" / "bare_app.py", bare_dir / "bare_app.py")
        conf = bare_dir / "gunicorn_bare.conf.py"
        conf.write_text(BARE_CONF.format(conf=str(self.app_dir / "gunicorn.conf.py")))
        port = procs.free_port()
        proc = self.children.start(
            "bare",
            [str(BIN / "gunicorn"), "bare_app:app", "--config", str(conf), "--bind",
             f"127.0.0.1:{port}", "--pythonpath", str(bare_dir), "--no-control-socket"],
            env=self.env(),
            cwd=self.app_dir,
        )  # fmt: skip
        return port, procs.wait_ready(proc, port, "/ping")

    def web_workers(self) -> list[int]:
        proc = self.children.procs.get("app")
        return procs.children_of(proc.pid) if proc else []

    def rq_command(self) -> list[str]:
        """How the app says to run its RQ worker: the Procfile's `worker:` line (e.g. with
        `--worker-class worker.AnsweringWorker`), else plain `rq worker --url URL <queue>`."""
        procfile = self.app_dir / "Procfile"
        lines = procfile.read_text().splitlines() if procfile.exists() else []
        line = next((x.split(":", 1)[1] for x in lines if x.startswith("worker:")), "")
        argv = shlex.split(line)
        if argv[:2] != ["rq", "worker"]:
            argv = ["rq", "worker", "--url", "$REDIS_URL", self.args.rq_queue]
        return [str(BIN / "rq")] + [self.redis_url if x == "$REDIS_URL" else x for x in argv[1:]]

    def start_rq(self, count: int) -> None:
        for _ in range(count):
            name = f"rq{len(self.rq_names) + 1}"
            argv = self.rq_command()
            argv[2:2] = ["--name", f"bench-{name}-{secrets.token_hex(3)}"]
            self.children.start(name, argv, env=self.env(), cwd=self.app_dir)
            self.rq_names.append(name)

    def probe(self, messages: int, per_chat: int, seed: int) -> dict:
        """bench/load/answer_probe.py against this stack's database and fakes: its JSON line."""
        env = {**self.env(), "ANSWER_IN_WEB": "false"}
        argv = [
            sys.executable,
            str(ROOT / "bench" / "load" / "answer_probe.py"),
            "--app-dir",
            str(self.app_dir),
            "--owners",
            str(self.run_dir / "owners.json"),
            "--messages",
            str(messages),
            "--per-chat",
            str(per_chat),
            "--seed",
            str(seed),
        ]
        out = self._run("probe", argv, timeout=1800, env=env)
        return json.loads(out.decode().strip().splitlines()[-1])

    def start_answerers(self) -> None:
        """What answers: the RQ workers with --redis, else --answerers `flask messages work`
        processes (the web then only acks), else the web processes themselves."""
        if self.args.redis:
            self.start_rq(self.args.rq_workers)
            self.wait_ready(self.rq_names, b"Listening on")
            return
        names = [self.start_answerer() for _ in range(self.args.answerers)]
        self.wait_ready(names, b"answering the queue")

    def wait_ready(self, names: list[str], marker: bytes, timeout: float = 120.0) -> None:
        """Until every one of these processes has built its app and answers (`marker` in its
        log): the load starts on a running system, not on processes still importing."""
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting and time.monotonic() < deadline:
            waiting = [n for n in waiting if marker not in (self.run_dir / f"{n}.log").read_bytes()]
            time.sleep(0.1)
        if waiting:
            raise SystemExit(f"not ready after {timeout:.0f} s: {', '.join(waiting)}")

    def start_answerer(self) -> str:
        """One more `flask messages work` process (a replacement after a kill)."""
        name = f"answer{len([n for n in self.children.procs if n.startswith('answer')]) + 1}"
        while name in self.children.procs:
            name += "b"
        argv = [str(BIN / "flask"), "messages", "work"]
        self.children.start(name, argv, env=self.env(), cwd=self.app_dir)
        return name

    def live_answerers(self) -> list[str]:
        return [n for n in self.children.procs if n.startswith("answer")]

    def live_rq(self) -> list[str]:
        return [n for n in self.rq_names if n in self.children.procs]

    def flush_redis(self) -> None:
        if not self.redis_url:
            return
        import redis

        with contextlib.closing(redis.Redis.from_url(self.redis_url, socket_timeout=5)) as r:
            r.flushdb()  # db 5 by default: the benchmark's own

    def redis_figures(self) -> dict:
        if not self.redis_url:
            return {}
        import redis

        q = self.args.rq_queue
        with contextlib.closing(redis.Redis.from_url(self.redis_url, socket_timeout=5)) as r:
            return {
                "queued": r.llen(f"rq:queue:{q}"),
                "failed": r.zcard(f"rq:failed:{q}"),
                "started": r.zcard(f"rq:wip:{q}"),
            }

    def roles(self) -> dict[str, tuple[int, str | None]]:
        labels = {
            "app": ("gunicorn master", "web worker"),
            "bare": ("bare master", "bare worker"),
            "fakes": ("fakes", None),
            "pgproxy": ("pg proxy", None),
        }
        roles = {"load generator": (os.getpid(), None)}
        for name, proc in self.children.procs.items():
            default = (f"answerer {name}", None) if name.startswith("answer") else (
                f"rq worker {name}", "rq work-horse")  # fmt: skip
            label, child = labels.get(name, default)
            roles[label] = (proc.pid, child)
        return roles

    def close(self) -> None:
        self.children.stop_all()
        with contextlib.suppress(Exception):
            self.flush_redis()
        if not self.args.keep_db:
            with contextlib.suppress(Exception):
                self.db.drop()
        self.db.close()
        if self.args.app_ref:
            shutil.rmtree(self.run_dir / "app", ignore_errors=True)


def _first_line(proc: subprocess.Popen, limit: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], limit)
    if not ready:
        raise RuntimeError("child did not report its address in time")
    line = proc.stdout.readline().decode()
    if not line:
        raise RuntimeError(f"child exited ({proc.poll()}) before reporting its address")
    return line


class Sampler(threading.Thread):
    """Every second: stored / unanswered / pending-send counts, replies delivered, /healthz,
    memory per process, and how many of the messages unanswered at a fault are still so."""

    def __init__(self, stack: Stack, until: float) -> None:
        super().__init__(daemon=True)
        self.stack, self.until = stack, until
        self.halt = threading.Event()
        self.rows: list[dict] = []
        self.watches: list[list[int]] = []  # per fault: the messages unanswered at its moment

    def watch(self, ids: list[int]) -> int:
        """Count, every second from now on, how many of `ids` are still unanswered; returns the
        index of this set in each row's "watched" list."""
        self.watches.append(ids)
        return len(self.watches) - 1

    def run(self) -> None:
        while not self.halt.is_set() and time.time() < self.until:
            tick = time.time()
            row: dict = {"t": tick}
            try:
                row.update(self.stack.db.counts())
                if self.watches:
                    row["watched"] = [self.stack.db.unsettled_among(ids) for ids in self.watches]
            except Exception as exc:
                row["error"] = type(exc).__name__
            with contextlib.suppress(Exception):
                row["delivered"] = self.stack.control("GET", "/stats")["delivered"]
            if self.stack.app_port:
                row["health"] = procs.http_ok(self.stack.app_port, "/healthz", timeout=2.0)
            with contextlib.suppress(Exception):
                self.stack.rss.sample(self.stack.roles())
            self.rows.append(row)
            self.halt.wait(max(0.0, 1.0 - (time.time() - tick)))


def install_signal_handlers(max_seconds: float) -> None:
    """Ctrl-C, SIGTERM and the overall time limit all unwind through the `finally` that stops
    every child (KeyboardInterrupt subclasses: asyncio lets only those escape its callbacks)."""

    class Stop(KeyboardInterrupt):
        pass

    def stop(signum, _frame):
        raise Stop(f"signal {signum}" if signum != signal.SIGALRM else "time limit reached")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(int(max_seconds))
