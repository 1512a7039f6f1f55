"""Matching a question against an owner's own question/answer pairs: the indexed lookup
(pipeline.owner_answers.best_match) against scoring every pair (how it was before), in one run.

    python -m bench.owner_answers_bench [--pairs 100,1000,5000] [--questions 300]

Pairs are generated small-business questions (uz Latin, uz Cyrillic, ru, en: a topic, a product,
a city); the questions asked are pairs re-typed (case, the other script, a word left out) and
questions no pair answers. Printed per size: ms per question p50 for both, their ratio, and how
often the two find the same pair, and a pair as alike (several pairs can be equally alike:
the scan then keeps the newest of all, the index the newest of its candidates). The last line is
the JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval_eval import uz_to_cyrillic

_TOPICS = [
    "{p} narxi qancha", "{p} bormi", "{p} {c} ga yetkazib berasizmi", "{p} kafolati necha yil",
    "{p} nasiyaga olsa boladimi", "сколько стоит {p}", "есть ли {p} в наличии",
    "доставка {p} в {c}", "гарантия на {p}", "{p} в рассрочку", "how much is {p}",
    "do you deliver {p} to {c}", "is {p} in stock", "warranty for {p}", "can I return {p}",
]  # fmt: skip
_PRODUCTS = [
    f"{brand} {model}"
    for brand in ("Samsung", "iPhone", "Redmi", "Artel", "LG", "Honor", "Tecno", "Huawei")
    for model in ("A15", "S24", "13", "Note 12", "X7", "Pro", "Max", "Lite", "C55", "Spark 20")
] + ["konditsioner", "muzlatgich", "televizor", "пылесос", "холодильник", "stiral mashina"]
_CITIES = ["Toshkent", "Samarqand", "Buxoro", "Андижан", "Fargona", "Namangan", "Nukus", "Qarshi"]
_OFF_TOPIC = [
    "vertolyot sotasizmi", "у вас есть бассейн", "do you sell tractors", "pishiriq retsepti",
    "какая погода завтра", "who won the football match", "kino qachon boshlanadi",
]  # fmt: skip


_VARIANTS = ["", "", "128 GB", "256 GB", "qora", "oq", "yangi", "2024"]


def _pairs(rng: random.Random, n: int) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for _ in range(n * 50):  # about 20,000 distinct questions can be made
        if len(seen) == n:
            break
        product = f"{rng.choice(_PRODUCTS)} {rng.choice(_VARIANTS)}".strip()
        q = rng.choice(_TOPICS).format(p=product, c=rng.choice(_CITIES))
        q = q[0].upper() + q[1:] + "?"
        seen.setdefault(q, f"Javob {len(seen)}: {q.lower()} — 1 200 000 so'm, Toshkent bo'ylab.")
    if len(seen) < n:
        raise SystemExit(f"cannot make {n} distinct pairs")
    return list(seen.items())


def _retyped(rng: random.Random, question: str) -> str:
    words = question.rstrip("?").split()
    choice = rng.random()
    if choice < 0.3:
        return question.lower().rstrip("?")
    if choice < 0.5 and all(ord(c) < 128 for c in question):
        return uz_to_cyrillic(question)
    if choice < 0.7 and len(words) > 3:
        del words[rng.randrange(1, len(words))]
        return " ".join(words)
    return question


def scan(user_id: int, readings: list[str]):
    """Before: every pair of the owner loaded and scored."""
    from models.owner_answer import OwnerAnswer
    from text.alike import score

    best = None
    for pair in OwnerAnswer.for_user(user_id):
        found = max(score(r, pair.question) for r in readings)
        if found > 0 and (best is None or found > best[1]):
            best = (pair.id, found)
    return best


def _p50(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 3)


def run(sizes: list[int], n_questions: int) -> list[dict]:
    from config import TestingConfig
    from extensions import db
    from main import create_app
    from models.owner_answer import OwnerAnswer
    from pipeline import owner_answers
    from tests.conftest import make_user

    tmp = Path(tempfile.mkdtemp(prefix="owner_answers_bench_"))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp / 'bench.db'}"

    app = create_app(Config)
    out = []
    with app.app_context():
        db.create_all()
        for size in sizes:
            rng = random.Random(size)
            user = make_user(email=f"bench{size}@example.uz", language="uz")
            pairs = _pairs(rng, size)
            db.session.add_all(
                OwnerAnswer(user_id=user.id, question=q, answer=a, language=None) for q, a in pairs
            )
            db.session.commit()
            asked = [_retyped(rng, rng.choice(pairs)[0]) for _ in range(n_questions * 2 // 3)]
            asked += [rng.choice(_OFF_TOPIC) for _ in range(n_questions - len(asked))]
            owner_answers.clear_cache()
            t0 = time.perf_counter()
            owner_answers.best_match(user.id, ["warm-up"])  # builds the owner's index
            build_ms = round((time.perf_counter() - t0) * 1000, 1)
            before, after, agree, same_score, matched = [], [], 0, 0, 0
            for question in asked:
                t0 = time.perf_counter()
                old = scan(user.id, [question])
                before.append(time.perf_counter() - t0)
                db.session.rollback()
                t0 = time.perf_counter()
                new = owner_answers.best_match(user.id, [question])
                after.append(time.perf_counter() - t0)
                db.session.rollback()
                agree += (old and old[0]) == (new and new.pair_id)
                same_score += (old[1] if old else 0.0) == (new.score if new else 0.0)
                matched += new is not None
            row = {
                "pairs": size,
                "questions": len(asked),
                "matched": matched,
                "scan_ms_p50": _p50(before),
                "indexed_ms_p50": _p50(after),
                "ratio_scan_over_indexed": round(
                    statistics.median(before) / statistics.median(after), 1
                ),
                "same_pair_pct": round(100 * agree / len(asked), 1),
                "same_score_pct": round(100 * same_score / len(asked), 1),
                "index_build_ms": build_ms,
            }
            print(json.dumps(row), file=sys.stderr)
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", default="100,1000,5000", help="comma-separated pair counts")
    ap.add_argument("--questions", type=int, default=300)
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.pairs.split(",") if x.strip()]
    print(json.dumps(run(sizes, args.questions)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
