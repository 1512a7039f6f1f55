"""Turning what was sent, what the fake platforms received and what the tables hold into the
figures the benchmark prints: acks, end-to-end latency, stored, replied, duplicates, lost, reasons.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict

_REPLY_TAG = re.compile(r"\[r:([0-9a-z]+)\]")
# Inbound statuses that are a final answer of their own (the customer gets no LLM reply, and the
# owner and admin see why).
REASON_STATUSES = ("failed", "not_served", "too_old", "paused", "ignored", "rate_limited")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(values: list[float]) -> str:
    """p50/p99/max in milliseconds."""
    if not values:
        return "n/a"
    return (
        f"p50 {pct(values, 50) * 1000:.0f} ms, p99 {pct(values, 99) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms"
    )


def median_range(values: list[float], fmt: str = "{:.0f}") -> str:
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def _reason(text: str | None) -> str:
    """Group failure texts: numbers and ids vary, the cause does not."""
    text = re.sub(r"\d+(\.\d+)?", "N", " ".join((text or "no error text").split()))
    return text[:90]


def series(values: list[int], width: int = 60) -> str:
    """A compact series: at most `width` numbers (the max of each bucket when longer)."""
    if not values:
        return "(none)"
    step = max(1, -(-len(values) // width))
    buckets = [max(values[i : i + step]) for i in range(0, len(values), step)]
    return f"every {step} s: " + " ".join(str(v) for v in buckets)


def analyse(msgs, deliveries, inbound, outbound, llm_latency: float) -> dict:
    """Classify every sent message; see the README section for the definitions."""
    by_key = {(p, a, e): m for m in msgs for p, a, e in [(m.platform, m.account, m.ext)]}
    rows = {}  # msg.i -> inbound row
    msg_of_row = {}
    for row in inbound:
        msg = by_key.get((row[1], row[2], row[3]))
        if msg is not None:
            rows[msg.i] = row
            msg_of_row[row[0]] = msg
    out_by_ext = {(r[2], r[3], r[4]): r for r in outbound if r[4]}
    outs_of = defaultdict(list)
    for r in outbound:
        if r[1] is not None:
            outs_of[r[1]].append(r)

    got = defaultdict(list)  # msg.i -> delivery times
    llm_got = defaultdict(list)  # msg.i -> times of the deliveries carrying its LLM answer
    misrouted = unattributed = 0
    per_chat = Counter()
    tagged_order = defaultdict(list)
    by_index = {m.i: m for m in msgs}
    for t, platform, account, chat, ext, text in deliveries:
        per_chat[(platform, account, chat)] += 1
        tag = _REPLY_TAG.search(text)
        msg = by_index.get(int(tag[1], 36)) if tag else None
        if msg is None:
            candidates = [ext] if platform != "telegram" else [f"out:{chat}:{ext}", f"out:{ext}"]
            out = next(
                (
                    out_by_ext[(platform, account, c)]
                    for c in candidates
                    if (platform, account, c) in out_by_ext
                ),
                None,
            )
            msg = msg_of_row.get(out[1]) if out is not None else None
        if msg is None:
            unattributed += 1
            continue
        if (msg.platform, msg.account, msg.chat) != (platform, account, chat):
            misrouted += 1
        got[msg.i].append(t)
        if tag:
            llm_got[msg.i].append(t)
        if tag and msg.i in rows:  # order as the app stored them (its own order to keep)
            tagged_order[(platform, account, chat)].append((t, rows[msg.i][0]))

    sent_per_chat = Counter((m.platform, m.account, m.chat) for m in msgs)
    chat_excess = sum(max(0, n - sent_per_chat[k]) for k, n in per_chat.items())
    dup_attributed = sum(max(0, len(v) - 1) for v in got.values())
    dup_db = sum(
        max(0, sum(1 for r in outs if r[5] in ("sent", "delivered", "read")) - 1)
        for outs in outs_of.values()
    )
    reordered = 0
    for items in tagged_order.values():
        order = [i for _, i in sorted(items)]
        reordered += sum(1 for a, b in itertools.pairwise(order) if b < a)

    outcome = Counter()
    reasons = Counter()
    lost_detail = Counter()
    lost_examples = []
    e2e, e2e_at = [], []  # latencies, and when each message was planned (s from the start)
    for m in msgs:
        row = rows.get(m.i)
        if row is None:
            outcome["lost"] += 1
            lost_detail[
                "acked 200, no stored row"
                if m.acked
                else "never acknowledged (every redelivery failed)"
            ] += 1
            continue
        status, error = row[4], row[5]
        failed_sends = [r for r in outs_of.get(row[0], []) if r[5] == "failed"]
        # One reason per message: the refused send if any, else the question's own status.
        if failed_sends:
            reasons[f"reply not sent: {_reason(failed_sends[-1][6])}"] += 1
        elif status in REASON_STATUSES:
            reasons[f"{status}: {_reason(error)}" if error or status == "failed" else status] += 1
        if got.get(m.i):
            outcome["answered (a reply delivered)"] += 1
            if llm_got.get(m.i) and m.first_post:
                e2e.append(min(llm_got[m.i]) - m.first_post - llm_latency)
                e2e_at.append(m.t)
            if status in REASON_STATUSES or failed_sends:
                outcome[
                    "  of which the answer itself, yet stored as failed"
                    if llm_got.get(m.i)
                    else "  of which an apology/notice for a failure"
                ] += 1
        elif status in REASON_STATUSES or (
            failed_sends and not any(r[6] is None for r in failed_sends)
        ):
            outcome["not answered, failed with a reason"] += 1
        else:
            outcome["lost"] += 1
            lost_detail[f"stored, status {status!r}, no reply delivered, no failure recorded"] += 1
            if len(lost_examples) < 5:
                lost_examples.append(f"message id {row[0]} ({m.platform} {m.ext}, chat {m.chat})")
    return {
        "sent": len(msgs),
        "stored": len(rows),
        "replies_delivered": len(deliveries),
        "duplicates": max(dup_attributed, chat_excess, dup_db),
        "dup_detail": {
            "by reply tag/id": dup_attributed,
            "per-chat excess": chat_excess,
            "DB: >1 sent reply rows": dup_db,
        },
        "unattributed": unattributed,
        "misrouted": misrouted,
        "reordered": reordered,
        "lost": outcome["lost"],
        "lost_detail": dict(lost_detail),
        "lost_examples": lost_examples,
        "outcome": dict(outcome),
        "reasons": dict(reasons.most_common()),
        "e2e": e2e,
        "e2e_at": e2e_at,
        "inbound_status": dict(Counter(r[4] for r in rows.values())),
        "outbound_status": dict(Counter(r[5] for r in outbound)),
    }


def ack_summary(attempts, window: tuple[float, float] | None = None) -> dict:
    ok = [a.end - a.start for a in attempts if 200 <= a.status < 300]
    statuses = Counter(a.status if a.status > 0 else (a.error or "error") for a in attempts)
    if attempts:
        first = min(a.start for a in attempts)
        last = max(a.end for a in attempts)
        span = (window[1] - window[0]) if window else max(last - first, 1e-9)
    else:
        span = 1.0
    return {
        "posts": len(attempts),
        "ok": len(ok),
        "rate": len(ok) / span,
        "lat": ok,
        "statuses": dict(statuses),
    }


def by_window(latencies: list[float], at: list[float], seconds: float = 10.0) -> str:
    """p99 of the latencies of the messages planned in each `seconds` of the run, in order."""
    windows = defaultdict(list)
    for value, t in zip(latencies, at, strict=True):
        windows[int(t // seconds)].append(value)
    return " ".join(f"{pct(windows[k], 99):.1f}" for k in sorted(windows))
