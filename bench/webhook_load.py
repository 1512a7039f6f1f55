"""Webhook load and fault benchmark (issue 12): the app under gunicorn, driven only from outside.

    .venv/bin/python bench/webhook_load.py ratio          # ack throughput vs a bare INSERT app
    .venv/bin/python bench/webhook_load.py rate --rate 200 --seconds 20
    .venv/bin/python bench/webhook_load.py e2e --messages 2000 --rate 20
    .venv/bin/python bench/webhook_load.py fault --faults kill-web,llm-timeout,tg429,pg-outage
    .venv/bin/python bench/webhook_load.py e2e --redis --fault kill-rq   # RQ workers on Redis db 5
    .venv/bin/python bench/webhook_load.py e2e --messages 50000 --rate 25 --answerers 2 \
        --fault kill-web --fault kill-answerer --fault llm-timeout --fault tg429 --fault pg-outage

Each run builds its own database (PostgreSQL `bilimbot_bench`, or --db sqlite) with `flask db
upgrade`, seeds owners with all three channels (bench/load/seed.py: the only code importing the
app), starts the tests' fake Telegram / Graph / Gemini servers in a child process (the LLM answers
after --llm-latency), runs `gunicorn main:app --config gunicorn.conf.py` and sends real webhooks:
Telegram updates with each bot's secret header, WhatsApp and Instagram payloads signed with each
tenant's app secret. Results come from plain SQL and from what the fake platforms received.
Everything binds to 127.0.0.1; every child is killed at the end, on Ctrl-C or at --max-seconds.
e2e and fault runs exit 1 when a message was answered twice or lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import procs, report  # noqa: E402
from bench.load.stack import Sampler, Stack, install_signal_handlers  # noqa: E402
from bench.load.traffic import Driver, Factory, closed_loop, plan  # noqa: E402
from bench.load.webclient import HttpPool  # noqa: E402

FAULTS = ("kill-web", "kill-answerer", "kill-rq", "llm-timeout", "tg429", "pg-outage")
# Faults whose stranded messages wait for a lease to expire or the recovery job: a longer drain.
SLOW_FAULTS = ("kill-web", "kill-answerer", "kill-rq", "pg-outage")


def say(*parts) -> None:
    print(*parts, flush=True)


def header(stack: Stack, mode: str) -> None:
    a = stack.args
    extra = " ".join(a.env or []) or "none"
    say(
        f"== webhook_load {mode}: db={a.db} redis={'yes' if a.redis else 'no'} "
        f"owners={a.owners} llm={a.llm_latency * 1000:.0f} ms ai_timeout={a.ai_timeout} s "
        f"app={stack.app_dir}{f' ({a.app_ref})' if a.app_ref else ''} env overrides: {extra}"
    )
    say(f"   logs: {stack.run_dir}   load average: {_load()}")
    say(f"   this machine's speed: {_calibration()}")


def _calibration() -> str:
    """A fixed pure-Python loop timed on this thread (best of three): CPU figures of runs on
    different days or machines compare only after dividing by it (the same commit's answering
    CPU a message differed threefold between two days on the shared 2-core machine)."""
    best = float("inf")
    for _ in range(3):
        started, total = time.thread_time(), 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.thread_time() - started)
    return f"2,000,000-step Python loop {best * 1000:.0f} ms CPU (best of 3)"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- ratio ---------------------------------------------------------------------------------------
def run_ratio(stack: Stack) -> int:
    a = stack.args
    header(stack, "ratio")
    stack.prepare()
    stack.db.create_bare_table()
    factory = Factory(stack.owners, random.Random(a.seed), chats=2000)

    def make_app():
        m = factory.new()
        m.build()
        return m.path, m.body, m.headers

    def make_bare():
        _, body, headers = make_app()
        return "/hook", body, headers

    stack.start_answerers()
    figures: dict[int, dict[str, list]] = {}
    for conc in [int(c) for c in a.concurrency.split(",")]:
        runs = figures.setdefault(conc, {"bare": [], "app": [], "p99": {"bare": [], "app": []}})
        for rep in range(a.repeats):
            for kind in ("bare", "app"):
                stack.db.clear_messages()
                stack.flush_redis()
                if kind == "bare":
                    port, boot = stack.start_bare()
                else:
                    boot, port = stack.start_app(), stack.app_port
                workers = len(procs.children_of(stack.children.procs[kind].pid))
                load = _load()
                pool = HttpPool(port, conc, a.request_timeout)
                make = make_bare if kind == "bare" else make_app
                calls = stack.control("GET", "/stats")["llm_calls"]
                n, ok, errors = asyncio.run(closed_loop(pool, make, conc, a.warmup, a.duration))
                calls = stack.control("GET", "/stats")["llm_calls"] - calls
                stack.children.stop(kind, grace=1.0)
                rate = n / a.duration
                runs[kind].append(rate)
                runs["p99"][kind].append(report.pct(ok, 99))
                say(
                    f"c={conc:<3} {kind:4} #{rep + 1}: {rate:7.1f} req/s  {report.ms(ok)}  "
                    f"errors {errors}  ({workers} workers, up in {boot:.1f} s, load {load}"
                    f"{f', {calls} LLM calls meanwhile' if kind == 'app' else ''})"
                )
    say("\n== ack throughput, app webhook / bare INSERT app (median, range; target >= 0.8)")
    summary = {}
    for conc, runs in figures.items():
        ratios = [app / bare for bare, app in zip(runs["bare"], runs["app"], strict=True) if bare]
        say(
            f"c={conc}: bare {report.median_range(runs['bare'])} req/s, app "
            f"{report.median_range(runs['app'])} req/s, "
            f"ratio {report.median_range(ratios, '{:.2f}')}"
            f"; p99 bare {report.median_range([x * 1000 for x in runs['p99']['bare']])} ms, "
            f"app {report.median_range([x * 1000 for x in runs['p99']['app']])} ms"
        )
        summary[conc] = {"bare": runs["bare"], "app": runs["app"], "ratios": ratios}
    say(f"load average at the end: {_load()}")
    say(json.dumps({"mode": "ratio", "db": a.db, "redis": a.redis, "results": summary}))
    return 0


# --- paced rate ----------------------------------------------------------------------------------
def run_rate(stack: Stack) -> int:
    a = stack.args
    header(stack, "rate")
    stack.prepare()
    total = int(a.rate * a.seconds)
    results = {}
    targets = (["bare"] if a.bare else []) + ["app"]
    if a.bare:
        stack.db.create_bare_table()
    stack.start_answerers()
    warm = int(a.rate * a.warmup)
    for kind in targets:
        factory = Factory(stack.owners, random.Random(a.seed), chats=max(1, total // 5))
        msgs = plan(factory, warm + total, a.rate, 0, 0, 0, 0, random.Random(a.seed))
        if kind == "bare":
            port, _ = stack.start_bare()
            for m in msgs:
                m.build()
                m.path = "/hook"
        else:
            stack.start_app()
            port = stack.app_port
        sampler = Sampler(stack, time.time() + a.warmup + a.seconds + a.request_timeout + 60)
        sampler.start()
        pool = HttpPool(port, a.max_inflight, a.request_timeout)
        start = time.time() + 0.5
        span = a.warmup + a.seconds
        driver = Driver(pool, a.max_inflight, 1, start + span + a.request_timeout)
        asyncio.run(driver.run(msgs, start))
        sampler.halt.set()
        sampler.join(5)
        measured = [x for x in driver.attempts if x.start >= start + a.warmup - 1e-3]
        ack = report.ack_summary(measured)
        sent_window = max(x.start for x in measured) - min(x.start for x in measured)
        say(
            f"{kind}: asked {a.rate:.0f} req/s for {a.seconds:.0f} s (after {a.warmup:.0f} s "
            f"warm-up, not counted): sent {len(measured)} "
            f"in {sent_window:.1f} s, {ack['ok']} acked 2xx ({ack['rate']:.1f} req/s achieved); "
            f"ack {report.ms(ack['lat'])}; answers {ack['statuses']}; generator lag p99 "
            f"{report.pct(driver.lag, 99) * 1000:.0f} ms"
        )
        if kind == "app":
            c = stack.db.counts()
            say(
                f"     stored {c['stored']} inbound, unanswered {c['unsettled']} when sending "
                f"ended (answering runs in the background; not waited for in rate mode)"
            )
        results[kind] = {k: v for k, v in ack.items() if k != "lat"} | {
            "p50": report.pct(ack["lat"], 50),
            "p99": report.pct(ack["lat"], 99),
        }
        stack.children.stop(kind, grace=1.0)
    _print_rss(stack)
    say(json.dumps({"mode": "rate", "rate": a.rate, "seconds": a.seconds, "results": results}))
    return 0


# --- end to end, with or without a fault ---------------------------------------------------------
def run_e2e(stack: Stack, faults: list[str]) -> dict:
    """One end-to-end run; each fault of `faults` is injected once, at --fault-at of the
    schedule for a single fault, else spread evenly over it (llm-timeout alone lasts the whole
    run; among others, --llm-timeout-seconds)."""
    a = stack.args
    header(stack, f"e2e{' + faults ' + ', '.join(faults) if faults else ''}")
    if "pg-outage" in faults and a.db != "postgres":
        raise SystemExit("pg-outage needs --db postgres")
    if "kill-rq" in faults and not a.redis:
        raise SystemExit("kill-rq needs --redis")
    if "kill-answerer" in faults and (a.redis or not a.answerers):
        raise SystemExit("kill-answerer needs --answerers N (without --redis)")
    stack.prepare(proxy="pg-outage" in faults)
    whole_run = faults == ["llm-timeout"]
    if whole_run:
        stack.control(
            "POST",
            "/program",
            {"llm_timeout_rate": a.llm_timeout_rate, "llm_timeout_delay": a.ai_timeout + 2},
        )
    boot = stack.start_app()
    started = time.monotonic()
    stack.start_answerers()  # and waits until they answer
    ready = time.monotonic() - started
    stack.pg_cpu_at_start = procs.postgres_cpu_seconds() if a.db == "postgres" else None
    rq = f", {a.rq_workers} x `{' '.join(stack.rq_command()[1:])}`" if a.redis else ""
    rq += f", {a.answerers} x `flask messages work`" if a.answerers and not a.redis else ""
    say(
        f"   app up in {boot:.1f} s with {len(stack.web_workers())} web workers{rq}; "
        f"answering {ready:.1f} s later"
    )
    rng = random.Random(a.seed)
    factory = Factory(stack.owners, rng, chats=max(1, a.messages // a.per_chat))
    msgs = plan(
        factory, a.messages, a.rate, a.burst_size, a.burst_every, a.dup_later, a.dup_same, rng
    )
    span = max(m.t for m in msgs)
    drain = a.drain_timeout or (420 if set(faults) & set(SLOW_FAULTS) else 180)
    start = time.time() + 1.0
    sampler = Sampler(stack, start + span + a.request_timeout + drain + 120)
    sampler.start()
    shares = (
        [a.fault_at]
        if len(faults) == 1
        else [(i + 1) / (len(faults) + 1) for i in range(len(faults))]
    )
    events: list[dict] = [{} for _ in faults]
    injectors = []
    for fault, share, noted in zip(faults, shares, events, strict=True):
        if whole_run:
            break
        injector = threading.Thread(
            target=_inject,
            args=(stack, fault, sampler, noted, start + share * span, rng),
            daemon=True,
        )
        injector.start()
        injectors.append(injector)
    pool = HttpPool(stack.app_port, a.max_inflight, a.request_timeout)
    driver = Driver(pool, a.max_inflight, a.redeliver, start + span + drain)
    asyncio.run(driver.run(msgs, start))
    sent_end = time.time()
    for injector in injectors:
        injector.join(a.pg_outage_seconds + a.llm_timeout_seconds + 30)
    drained_after = _drain(stack, drain)
    sampler.halt.set()
    sampler.join(5)
    deliveries = stack.deliveries()
    res = report.analyse(msgs, deliveries, stack.db.inbound(), stack.db.outbound(), a.llm_latency)
    _print_e2e(stack, msgs, driver, res, sampler, events, start, sent_end, drained_after, faults)
    res["events"] = events
    return res


def _inject(stack: Stack, fault: str, sampler: Sampler, events: dict, at: float, rng) -> None:
    """Runs in a thread: wait for the moment, break something, note what and when."""
    a = stack.args
    while time.time() < at:
        time.sleep(min(0.2, max(0.0, at - time.time())))
    try:
        before = stack.db.unsettled_ids()
        events["at"], events["unanswered_then"] = time.time(), len(before)
        events["watch"] = sampler.watch(before)
        if fault == "kill-web":
            victim = rng.choice(stack.web_workers())
            os.kill(victim, signal.SIGKILL)
            events["what"] = f"kill -9 web worker {victim}"
        elif fault == "kill-rq":
            name = rng.choice(stack.live_rq())
            pid = stack.children.procs[name].pid
            procs.kill_group(pid, signal.SIGKILL)  # the worker and its work-horse
            stack.children.stop(name, grace=0.1)
            events["what"] = f"kill -9 rq worker {name} (pid {pid}); a replacement starts in 2 s"
            time.sleep(2)
            stack.start_rq(1)
        elif fault == "kill-answerer":
            name = rng.choice(stack.live_answerers())
            pid = stack.children.procs[name].pid
            procs.kill_group(pid, signal.SIGKILL)
            stack.children.stop(name, grace=0.1)
            events["what"] = f"kill -9 answerer {name} (pid {pid}); a replacement starts in 2 s"
            time.sleep(2)
            stack.start_answerer()
        elif fault == "llm-timeout":
            stack.control(
                "POST",
                "/program",
                {"llm_timeout_rate": a.llm_timeout_rate, "llm_timeout_delay": a.ai_timeout + 2},
            )
            events["what"] = (
                f"fake LLM times out {a.llm_timeout_rate:.0%} of calls for "
                f"{a.llm_timeout_seconds:.0f} s"
            )
            time.sleep(a.llm_timeout_seconds)
            stack.control("POST", "/program", {"llm_timeout_rate": 0.0})
            events["restored"] = time.time()
        elif fault == "tg429":
            stack.control(
                "POST",
                "/program",
                {"tg429": {"times": a.tg429_times, "retry_after": a.tg429_retry_after}},
            )
            events["what"] = (
                f"fake Telegram answers the next {a.tg429_times} sendMessage "
                f"calls 429 retry_after={a.tg429_retry_after}"
            )
        elif fault == "pg-outage":
            stack.proxy_signal(signal.SIGUSR1)
            events["what"] = (
                f"PostgreSQL unreachable ({a.pg_outage_seconds:.0f} s, {a.pg_outage_mode})"
            )
            time.sleep(a.pg_outage_seconds)
            stack.proxy_signal(signal.SIGUSR2)
            events["restored"] = time.time()
    except Exception as exc:
        events["error"] = repr(exc)


def _drain(stack: Stack, limit: float) -> float:
    """Wait (bounded) until nothing is unanswered or pending and no reply arrived for 2 s."""
    started = time.time()
    last, quiet = -1, time.time()
    while time.time() - started < limit:
        try:
            c = stack.db.counts()
            delivered = stack.control("GET", "/stats")["delivered"]
        except Exception:
            time.sleep(1)
            continue
        if delivered != last:
            last, quiet = delivered, time.time()
        if c["unsettled"] == 0 and c["pending_out"] == 0 and time.time() - quiet >= 2:
            return time.time() - started
        time.sleep(1)
    return float("nan")


def _print_e2e(stack, msgs, driver, res, sampler, events, start, sent_end, drained, faults):
    a = stack.args
    ack = report.ack_summary(driver.attempts)
    dup_sent = sum(1 for m in msgs if m.dup)
    say(
        f"sent {len(msgs)} messages ({dup_sent} delivered twice, "
        f"{sum(1 for m in msgs if m.dup == 'same')} of them at the same moment) in "
        f"{sent_end - start:.1f} s; {ack['posts']} POSTs, {ack['ok']} acked 2xx; "
        f"answers {ack['statuses']}; stale keep-alive resends {driver.pool.stale_retries}"
    )
    say(
        f"ack: {ack['rate']:.1f} req/s; {report.ms(ack['lat'])}; generator lag p99 "
        f"{report.pct(driver.lag, 99) * 1000:.0f} ms"
    )
    e2e = res["e2e"]
    say(
        f"end-to-end reply latency minus the fake LLM's {a.llm_latency * 1000:.0f} ms: "
        f"{report.ms(e2e)} ({len(e2e)} LLM replies)"
    )
    say(f"  its p99 (s) by 10 s of arrival: {report.by_window(e2e, res['e2e_at'])}")
    say(f"drained: after {drained:.0f} s" if drained == drained else "drained: NO (limit reached)")
    say(
        f"messages stored {res['stored']}/{res['sent']}, replies delivered "
        f"{res['replies_delivered']}, conversations {stack.db.conversations()}"
    )
    say(
        f"DUPLICATES {res['duplicates']} {res['dup_detail']}; unattributed replies "
        f"{res['unattributed']}, to the wrong chat {res['misrouted']}, "
        f"out of order {res['reordered']}"
    )
    say(f"LOST {res['lost']} {res['lost_detail'] or ''}")
    if res["lost_examples"]:
        say(f"  e.g. {'; '.join(res['lost_examples'])}")
    for name, n in res["outcome"].items():
        say(f"  {name}: {n}")
    if res["reasons"]:
        say("failed with a reason (by reason):")
        for reason, n in res["reasons"].items():
            say(f"  {n:6}  {reason}")
    say(f"inbound status {res['inbound_status']}; outbound status {res['outbound_status']}")
    rows = [r for r in sampler.rows if r["t"] >= start]
    say(f"backlog (unanswered inbound) {report.series([r.get('unsettled', -1) for r in rows])}")
    say(f"stored inbound               {report.series([r.get('stored', -1) for r in rows])}")
    say(f"replies delivered            {report.series([r.get('delivered', -1) for r in rows])}")
    ats = [noted.get("at") for noted in events]
    for i, (fault, noted) in enumerate(zip(faults, events, strict=True)):
        until = next((t for t in ats[i + 1 :] if t), float("inf"))  # the next fault's moment
        _print_fault(stack, fault, noted, rows, driver.attempts, start, until)
    fig = stack.redis_figures()
    if fig:
        say(f"redis queue {a.rq_queue!r}: {fig}")
    stats = stack.control("GET", "/stats")
    say(f"fakes: {stats}")
    _print_rss(stack)
    started, now = stack.pg_cpu_at_start, procs.postgres_cpu_seconds()
    if started is not None and now is not None:
        say(f"  PostgreSQL server (all its processes) over the run: CPU {now - started:.1f} s")
    say(
        f"after the run: GET /healthz {procs.http_ok(stack.app_port, '/healthz')}, "
        f"GET / {procs.http_ok(stack.app_port, '/')}; load average {_load()}"
    )


def _print_fault(stack, fault, events, rows, attempts, start, until=float("inf")) -> None:
    """What one fault did; webhook failures and health samples are counted until `until`
    (the next fault), so that each fault of a run is charged with its own."""
    if "error" in events:
        say(f"FAULT {fault} could not be injected: {events['error']}")
        return
    if "at" not in events:
        say(f"fault {fault}: whole run (llm timeout rate {stack.args.llm_timeout_rate:.0%})")
        return
    at = events["at"]
    say(
        f"FAULT at +{at - start:.0f} s: {events['what']}; {events['unanswered_then']} "
        "messages were unanswered at that moment"
    )
    index = events["watch"]
    watched = [
        (r["t"] - at, r["watched"][index])
        for r in rows
        if len(r.get("watched", ())) > index and r["t"] >= at
    ]
    if watched and events["unanswered_then"]:
        step = max(1, len(watched) // 15)
        say(
            "  of those, still unanswered " + " ".join(f"+{t:.0f}s:{n}" for t, n in watched[::step])
        )
        left = watched[-1][1]
        stranded = next((n for t, n in watched if t >= 30), left)
        done_at = next((t for t, n in watched if n == 0), None)
        if done_at is not None:
            say(
                f"  stranded (still unanswered 30 s after the fault): {stranded}; the last one "
                f"was answered or failed +{done_at:.0f} s after the fault"
            )
        else:
            say(f"  stranded: {stranded}; {left} of them STILL unanswered when the run ended")
    bad = [
        x.start - at for x in attempts if not 200 <= x.status < 300 and at - 1 <= x.start < until
    ]
    if bad:
        say(
            f"  webhooks answered non-2xx (or not at all) {len(bad)} times, from "
            f"{min(bad):+.0f} s to {max(bad):+.0f} s after the fault"
        )
    after = events.get("restored", at)
    health = [(r["t"] - after, r.get("health")) for r in rows if at <= r["t"] < until]
    down = sum(1 for _, h in health if h is False)
    slow = sum(1 for _, h in health if h is None)
    back = next((t for t, h in health if h and t >= 0), None)
    since = "the restore" if "restored" in events else "the fault"
    if back is not None:
        again = f"served again +{back:.0f} s after {since}"
    elif not down and not slow:  # e.g. the LLM fault's restore falls after the next fault
        again = "never refused in this fault's window"
    else:
        again = "NOT served again"
    say(f"  /healthz after the fault: {down} samples failed, {slow} took over 2 s; {again}")


def _print_rss(stack: Stack) -> None:
    say("peak RSS / CPU per process:")
    for line in stack.rss.lines():
        say(f"  {line}")


def run_faults(stack_args) -> int:
    faults = [f.strip() for f in stack_args.faults.split(",") if f.strip()]
    rc, summary = 0, {}
    for fault in faults:
        if fault not in FAULTS:
            raise SystemExit(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
        stack = Stack(stack_args)
        try:
            res = run_e2e(stack, [fault])
        finally:
            stack.close()
        bad = res["duplicates"] > 0 or res["lost"] > 0
        rc |= int(bad)
        summary[fault] = {
            "duplicates": res["duplicates"],
            "lost": res["lost"],
            "reasons": sum(res["reasons"].values()),
        }
        say("")
    say(json.dumps({"mode": "fault", "results": summary}))
    return rc


# --- command line --------------------------------------------------------------------------------
def run_answer_cpu(args) -> int:
    """CPU and SQL statements per answer, inside one process (bench/load/answer_probe.py), for
    each of --refs in turn, --repeats times interleaved; a fresh database and fakes each time.
    (Not set_defaults on the subparser: the parents' actions are shared, so it would change
    the other modes' defaults too.)"""
    refs = [r.strip() for r in args.refs.split(",") if r.strip()] or [None]
    figures: dict[str, list[dict]] = {ref or "checkout": [] for ref in refs}
    for repeat in range(args.repeats):
        for ref in refs:
            # No LLM latency: the figure is CPU, and waiting would only make the run longer.
            trial = argparse.Namespace(**{**vars(args), "app_ref": ref, "llm_latency": 0.0})
            stack = Stack(trial)
            try:
                if repeat == 0 and ref == refs[0]:
                    header(stack, "answer-cpu")
                stack.prepare()
                got = stack.probe(args.messages, args.per_chat, args.seed + repeat)
            finally:
                stack.close()
            figures[ref or "checkout"].append(got)
            say(
                f"  {ref or 'checkout'} #{repeat + 1}: answer {got['answer_cpu_ms']:.1f} ms CPU, "
                f"{got['answer_sql']:.1f} statements; ingest {got['ingest_cpu_ms']:.2f} ms, "
                f"{got['ingest_sql']:.1f} statements per delivery; {got['messages']} messages "
                f"{got['statuses']}; load average {_load()}"
            )
    say("per answered message (median, range over repeats):")
    for name, runs in figures.items():
        parts = []
        for key, label in (
            ("answer_cpu_ms", "CPU ms"),
            ("answer_sql", "statements"),
            ("ingest_cpu_ms", "ingest CPU ms/delivery"),
        ):
            parts.append(f"{label} {report.median_range([r[key] for r in runs], '{:.2f}')}")
        say(f"  {name}: " + "; ".join(parts))
    if len(figures) == 2:
        (a, ra), (b, rb) = figures.items()
        ratio = statistics.median(r["answer_cpu_ms"] for r in rb) / statistics.median(
            r["answer_cpu_ms"] for r in ra
        )
        say(f"  CPU per answer {b} / {a}: {ratio:.2f}")
    return 0


def parse_args(argv=None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("common")
    g.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    g.add_argument(
        "--sqlite",
        dest="db",
        action="store_const",
        const="sqlite",
        help="same as --db sqlite (a file in the run directory)",
    )
    g.add_argument(
        "--pg-url",
        default="postgresql://root@127.0.0.1:5432/postgres",
        help="admin connection used to create/drop the bench database (loopback only)",
    )
    g.add_argument("--db-name", default="bilimbot_bench", help="must start with bilimbot_bench")
    g.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    g.add_argument("--redis", action="store_true", help="set REDIS_URL and run `rq worker`s")
    g.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="flushed: bench only")
    g.add_argument("--rq-workers", type=int, default=4)
    g.add_argument(
        "--answerers",
        type=int,
        default=0,
        help="without --redis: N `flask messages work` processes answer, the web only acks "
        "(ANSWER_IN_WEB=false); with --env ANSWER_IN_WEB=false and 0, nobody answers (ack only)",
    )
    g.add_argument("--rq-queue", default="bilimbot", help="the app's RQ queue name")
    g.add_argument("--owners", type=int, default=200)
    g.add_argument("--llm-latency", type=float, default=0.8, help="seconds per fake LLM answer")
    g.add_argument(
        "--ai-timeout",
        type=float,
        default=20.0,
        help="AI_TIMEOUT_SECONDS given to the app (its own default is 20)",
    )
    g.add_argument(
        "--env",
        action="append",
        metavar="KEY=VALUE",
        help="extra app environment, e.g. WEB_CONCURRENCY=4 or TASK_WORKERS=16",
    )
    g.add_argument("--app-dir", type=Path, help="the app to run (default: this checkout)")
    g.add_argument(
        "--app-ref",
        help="run `git archive REF` of this repo instead (e.g. HEAD), so "
        "a half-done refactor in the working tree does not break the run",
    )
    g.add_argument("--max-inflight", type=int, default=512, help="open webhook requests at most")
    g.add_argument("--request-timeout", type=float, default=30.0)
    g.add_argument("--max-seconds", type=float, default=1800, help="hard limit for the whole run")
    g.add_argument("--seed", type=int, default=12)
    g.add_argument("--log-dir", default="/tmp", help="a bilimbot-bench-* directory is made here")

    e2e = argparse.ArgumentParser(add_help=False)
    g = e2e.add_argument_group("end to end")
    g.add_argument("--messages", type=int, default=2000)
    g.add_argument("--rate", type=float, default=20.0, help="steady messages per second")
    g.add_argument("--burst-size", type=int, default=100, help="messages sent at once per burst")
    g.add_argument(
        "--burst-every", type=float, default=20.0, help="seconds between bursts (0: none)"
    )
    g.add_argument("--dup-later", type=float, default=0.10, help="share redelivered 0.2-5 s later")
    g.add_argument("--dup-same", type=float, default=0.01, help="share delivered twice at once")
    g.add_argument("--per-chat", type=int, default=5, help="average messages per customer chat")
    g.add_argument(
        "--redeliver",
        type=int,
        default=10,
        help="attempts per delivery while the app answers non-2xx, 0.5 s to 15 s "
        "apart (~90 s in all; the platforms retry for hours)",
    )
    g.add_argument(
        "--drain-timeout",
        type=float,
        default=0,
        help="seconds to wait for the backlog (default 180; 420 with kill-web, "
        "kill-rq and pg-outage, whose stranded messages wait for the recovery job "
        "(every 2 minutes, for messages 3 minutes old)",
    )
    g = e2e.add_argument_group("faults")
    g.add_argument("--fault-at", type=float, default=0.4, help="when, as a share of the schedule")
    g.add_argument("--llm-timeout-rate", type=float, default=0.2)
    g.add_argument(
        "--llm-timeout-seconds",
        type=float,
        default=60.0,
        help="how long llm-timeout lasts among other faults (alone: the whole run)",
    )
    g.add_argument("--tg429-times", type=int, default=200)
    g.add_argument("--tg429-retry-after", type=int, default=2)
    g.add_argument("--pg-outage-seconds", type=float, default=10.0)
    g.add_argument("--pg-outage-mode", choices=("reset", "hang"), default="reset")

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("ratio", parents=[common], help="ack throughput vs the bare INSERT app")
    p.add_argument("--concurrency", default="16,64")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per trial")
    p.add_argument("--warmup", type=float, default=2.0)
    p = sub.add_parser("rate", parents=[common], help="paced webhooks: N req/s for T s")
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=3.0, help="seconds sent first, not counted")
    p.add_argument("--bare", action="store_true", help="first the same schedule on the bare app")
    p = sub.add_parser("e2e", parents=[common, e2e], help="messages answered end to end")
    p.add_argument(
        "--fault",
        choices=FAULTS,
        action="append",
        help="inject a fault mid-run; repeat for several in one run, spread over the schedule",
    )
    p = sub.add_parser(
        "answer-cpu", parents=[common], help="CPU and SQL per answer in one process, per ref"
    )
    p.add_argument("--refs", default="", help="comma-separated git refs (default: the checkout)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--messages", type=int, default=600)
    p.add_argument("--per-chat", type=int, default=2, help="average messages per customer chat")
    p = sub.add_parser("fault", parents=[common, e2e], help="one e2e run per fault")
    p.add_argument(
        "--faults",
        default="kill-web,llm-timeout,tg429,pg-outage",
        help=f"comma-separated, from {', '.join(FAULTS)} (kill-rq needs --redis)",
    )
    p.set_defaults(messages=600, rate=10.0, burst_size=50, burst_every=15.0, max_seconds=3600)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    install_signal_handlers(args.max_seconds)
    if args.mode == "fault":
        try:
            return run_faults(args)
        except KeyboardInterrupt as exc:
            say(f"stopped: {str(exc) or 'Ctrl-C'}")
            return 130
    if args.mode == "answer-cpu":
        return run_answer_cpu(args)
    stack = Stack(args)
    try:
        if args.mode == "ratio":
            return run_ratio(stack)
        if args.mode == "rate":
            return run_rate(stack)
        res = run_e2e(stack, args.fault or [])
        say(
            json.dumps(
                {
                    "mode": "e2e",
                    "faults": args.fault or [],
                    "sent": res["sent"],
                    "stored": res["stored"],
                    "duplicates": res["duplicates"],
                    "lost": res["lost"],
                    "reasons": res["reasons"],
                    "e2e_p50": report.pct(res["e2e"], 50),
                    "e2e_p99": report.pct(res["e2e"], 99),
                }
            )
        )
        return 1 if res["duplicates"] or res["lost"] else 0
    except KeyboardInterrupt as exc:
        say(f"stopped: {str(exc) or 'Ctrl-C'}")
        return 130
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
