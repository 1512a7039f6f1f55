"""Recall@k of the app's retrieval on a passages/questions set, and speed figures for a big KB.

    python -m bench.retrieval_eval --passages P.jsonl --questions Q.jsonl [--k 1,3,5]
    python -m bench.retrieval_eval --synthetic-mb 10      # chunk/build/search figures
    python -m bench.retrieval_eval --cross ru:en --dir D [--script-conversion |
        --translations FILE | --perfect-translations]    # questions of one language, passages
                                                         # of another (parallel sets in D)

Passages are indexed as they are (one passage = one chunk, no re-chunking) with the same
RetrievalIndex the app uses. The last line printed is the JSON summary.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.chunking import chunk_text
from kb.index import RetrievalIndex


def _read_jsonl(path: str) -> list[dict]:
    """Rows of a JSON-lines file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# Uzbek Latin → Cyrillic, only to test cross-script retrieval (--cyrillic); rough but regular.
_LAT2CYR_MULTI = [
    (f"{letter}{mark}", cyr) for letter, cyr in (("o", "ў"), ("g", "ғ")) for mark in "‘ʻ'’`"
] + [("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("ye", "е")]
_LAT2CYR = str.maketrans("abdefghijklmnopqrstuvxyz'ʼ’‘ʻ`", "абдефгҳижклмнопқрстувхйзъъъъъъ")
_WORD_START_E = re.compile(r"\b[eE]")


def uz_to_cyrillic(text: str) -> str:
    """Uzbek Latin to Uzbek Cyrillic (lower-cased; e at a word start becomes э)."""
    t = _WORD_START_E.sub("э", text.lower())
    for lat, cyr in _LAT2CYR_MULTI:
        t = t.replace(lat, cyr)
    return t.translate(_LAT2CYR)


def evaluate(passages: list[dict], questions: list[dict], ks: list[int]) -> tuple[dict, list[dict]]:
    """Recall@k for each k (gold = passage_id) and the missed questions."""
    ids = [p["id"] for p in passages]
    t0 = time.perf_counter()
    index = RetrievalIndex.build([p["text"] for p in passages])
    build_s = time.perf_counter() - t0
    hits = dict.fromkeys(ks, 0)
    missed = []
    times = []
    for q in questions:
        t1 = time.perf_counter()
        top = [ids[i] for i, _ in index.search(q["question"], k=max(ks))]
        times.append(time.perf_counter() - t1)
        for k in ks:
            hits[k] += q["passage_id"] in top[:k]
        if q["passage_id"] not in top[: max(ks)]:
            missed.append({"question": q["question"], "gold": q["passage_id"], "top": top[:3]})
    n = len(questions)
    summary: dict = {"n": n}
    for k in ks:
        summary[f"recall@{k}"] = round(hits[k] / n, 3) if n else 0.0
    summary["build_s"] = round(build_s, 3)
    summary["search_ms_p50"] = round(statistics.median(times) * 1000, 3) if times else 0.0
    return summary, missed


def cross_language(
    folder: str, src: str, dst: str, ks: list[int], mode: str, translations: dict[str, str]
) -> dict:
    """Recall@k of src-language questions against dst-language passages of a parallel set; the
    gold is the dst question with the same source id. dst "en+ru" is a mixed knowledge base of
    both sets' passages (either gold counts; translations go into the first dst language that
    is not src). mode: none, script (the app's script conversion and glossary) or translations,
    each read and fused as the app does (pipeline.engine.queries_for, kb.index.fused_search)."""
    from kb.index import fused_search
    from kb.languages import main_languages
    from pipeline.engine import queries_for

    qid = re.compile(r"qid (\w+)")
    dsts = dst.split("+")
    target = next((lang for lang in dsts if lang != src), src)
    gold: dict[str, set[str]] = {}
    passages = []
    for lang in dsts:
        for q in _read_jsonl(f"{folder}/{lang}.jsonl"):
            gold.setdefault(qid.search(q["source"]).group(1), set()).add(q["passage_id"])
        passages += _read_jsonl(f"{folder}/passages_{lang}.jsonl")
    ids = [p["id"] for p in passages]
    index = RetrievalIndex.build([p["text"] for p in passages])
    languages = main_languages([p["text"] for p in passages])  # as stored at upload
    hits, n = dict.fromkeys(ks, 0), 0
    for q in _read_jsonl(f"{folder}/{src}.jsonl"):
        text, want = q["question"], gold.get(qid.search(q["source"]).group(1))
        if not want:
            continue
        queries = [[(text, 1.0)]]
        if mode == "script":
            queries = queries_for(text)
        elif mode == "translations" and text in translations:
            queries = queries_for(
                text, translations={target: translations[text]}, kb_languages=languages
            )
        top = [ids[i] for i, _ in fused_search(index, queries, max(ks))]
        n += 1
        for k in ks:
            hits[k] += bool(want & set(top[:k]))
    return {"src": src, "dst": dst, "mode": mode, "n": n} | {
        f"recall@{k}": round(hits[k] / n, 3) for k in ks
    }


def parallel_translations(folder: str, src: str, dst: str) -> dict[str, str]:
    """Perfect translations of the src questions into dst: the parallel set's dst question with
    the same source (SQuAD) id, as {src question: dst question}."""
    qid = re.compile(r"qid (\w+)")
    theirs = {
        qid.search(q["source"]).group(1): q["question"]
        for q in _read_jsonl(f"{folder}/{dst}.jsonl")
    }
    return {
        q["question"]: theirs[key]
        for q in _read_jsonl(f"{folder}/{src}.jsonl")
        if (key := qid.search(q["source"]).group(1)) in theirs
    }


def bench_figures(text: str, queries: list[str], k: int = 5) -> dict:
    """Chunk a big text, index it, time searches: the figures bench/kb_bench.py prints."""
    t0 = time.perf_counter()
    chunks = chunk_text(text)
    chunk_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = RetrievalIndex.build(chunks)
    build_s = time.perf_counter() - t0
    for q in queries[:5]:  # warm-up, so first-call costs do not count as p99
        index.search(q, k)
    times = []
    for q in queries:
        t1 = time.perf_counter()
        index.search(q, k)
        times.append((time.perf_counter() - t1) * 1000)
    times.sort()

    def pct(p: float) -> float:
        """The p-quantile of the search times, in ms."""
        return round(times[min(len(times) - 1, int(p * len(times)))], 3) if times else 0.0

    sizes = [len(c) for c in chunks] or [0]
    return {
        "text_chars": len(text),
        "chunks": len(chunks),
        "chunk_chars_mean": round(statistics.fmean(sizes)),
        "chunk_chars_max": max(sizes),
        "chunk_s": round(chunk_s, 3),
        "build_s": round(build_s, 3),
        "queries": len(queries),
        "search_ms_p50": pct(0.50),
        "search_ms_p99": pct(0.99),
    }


# -- synthetic knowledge base ---------------------------------------------------------------------
# A made-up multilingual text with a realistic shape (Zipf-distributed vocabulary, inflected
# forms, English / Russian / Uzbek Latin / Uzbek Cyrillic paragraphs, price-list rows), so the
# speed figures do not depend on any data set.


def _split_words(text: str) -> list[str]:
    """Whitespace-separated items of text."""
    return text.split()


_EN_ON = _split_words("b c d f g h l m n p r s t w th st br pl")
_EN_V = _split_words("a e i o u ea ou")
_EN_END = ["", "", "s", "ed", "ing", "er", "tion", "ly"]
_RU_ON = list("бвгджзклмнпрстфхцчш")
_RU_V = list("аеиоуыя")
_RU_END = ["", "а", "ы", "ой", "ов", "ами", "ах", "ом", "е", "ий", "ая", "ого", "ть", "ет", "ют"]
_UZ_ON = _split_words("b d f g h j k l m n p q r s t v x y z sh ch g' ng")
_UZ_V = _split_words("a e i o u o'")
# Real text is a third function words or more; Uzbek, being agglutinative, has fewer of them.
_FUNCTION = {
    "en": (
        0.4,
        _split_words("the of and to in is for on with that as by at from this be are or it"),
    ),
    "ru": (0.3, _split_words("и в на с по не что как для это от к из о а но за то же все")),
    "uz": (0.2, _split_words("va bilan uchun bu ham esa yoki deb bir har u ular biz siz")),
}
_UZ_END = ["", "", "lar", "ni", "ga", "da", "dan", "ning", "lari", "im", "ingiz", "mi", "lik"]


def _lexicon(rng: random.Random, onsets: list[str], vowels: list[str], n: int) -> list[str]:
    """n distinct made-up stems of two to four syllables."""
    stems: set[str] = set()
    while len(stems) < n:
        stems.add(
            "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        )
    ordered = sorted(stems)  # sets iterate in hash order; sort, then shuffle with the seed
    rng.shuffle(ordered)
    return ordered


def synthetic_kb(size: int = 10_000_000, seed: int = 0, stems: int = 25_000) -> str:
    """About `size` characters of made-up multilingual knowledge-base text."""
    rng = random.Random(seed)
    langs = {
        "en": (_lexicon(rng, _EN_ON, _EN_V, stems), _EN_END),
        "ru": (_lexicon(rng, _RU_ON, _RU_V, stems), _RU_END),
        "uz": (_lexicon(rng, _UZ_ON, _UZ_V, stems), _UZ_END),
    }
    zipf = list(itertools.accumulate(1.0 / (r + 1) for r in range(stems)))
    blocks: list[str] = []
    total = 0
    while total < size:
        lang = rng.choice(["en", "ru", "uz", "uz-cyr"])
        lex, ends = langs[lang[:2]]
        if rng.random() < 0.15:  # a price list, as a CSV or DOCX table becomes
            names = rng.choices(lex, cum_weights=zipf, k=rng.randint(3, 12))
            block = "\n".join(
                f"Mahsulot: {name.title()} | Narx: {rng.randint(1, 999)} 000 so'm | Soni: "
                f"{rng.randint(0, 50)}"
                for name in names
            )
        else:
            sentences = []
            rate, function_words = _FUNCTION[lang[:2]]
            for _ in range(rng.randint(2, 6)):
                words = [
                    rng.choice(function_words) if rng.random() < rate else w + rng.choice(ends)
                    for w in rng.choices(lex, cum_weights=zipf, k=rng.randint(6, 16))
                ]
                if rng.random() < 0.2:
                    words.insert(rng.randrange(len(words)), str(rng.randint(1, 2030)))
                text = " ".join(words)
                sentences.append(text[0].upper() + text[1:] + rng.choice("...?!"))
            block = " ".join(sentences)
        if lang == "uz-cyr":
            block = uz_to_cyrillic(block)
        blocks.append(block)
        total += len(block) + 2
    return "\n\n".join(blocks)[:size]


def sample_queries(text: str, n: int = 200, seed: int = 1) -> list[str]:
    """n questions made of 3-8 consecutive words taken from random places of text."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < n:
        at = rng.randrange(max(1, len(text) - 200))
        words = text[at : at + 200].split()[1:]
        if len(words) >= 4:
            queries.append(" ".join(words[: rng.randint(3, min(8, len(words) - 1))]) + "?")
    return queries


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passages", help='JSON lines {"id","text"}')
    ap.add_argument("--questions", help='JSON lines {"question","passage_id"}')
    ap.add_argument("--k", default="1,3,5", help="comma-separated cut-offs (default 1,3,5)")
    ap.add_argument(
        "--cyrillic",
        choices=["none", "passages", "questions"],
        default="none",
        help="transliterate Uzbek passages or questions to Cyrillic (cross-script check)",
    )
    ap.add_argument("--show-misses", type=int, default=0, help="print this many missed questions")
    ap.add_argument(
        "--synthetic-mb",
        type=float,
        help="instead: chunk, index and query a generated multilingual text of this many MB",
    )
    ap.add_argument(
        "--cross",
        metavar="SRC:DST",
        help="cross-language: SRC questions against DST passages of the parallel set in --dir",
    )
    ap.add_argument("--dir", help="folder of {lang}.jsonl and passages_{lang}.jsonl (--cross)")
    ap.add_argument(
        "--script-conversion", action="store_true", help="--cross: the app's script conversion"
    )
    ap.add_argument(
        "--translations", help='--cross: JSON lines {"question","translation"} to fuse with'
    )
    ap.add_argument(
        "--perfect-translations",
        action="store_true",
        help="--cross: translate each question into its parallel one (the same source id)",
    )
    args = ap.parse_args(argv)
    if args.cross:
        src, dst = args.cross.split(":")
        table = {}
        if args.translations:
            table = {r["question"]: r["translation"] for r in _read_jsonl(args.translations)}
        elif args.perfect_translations:
            table = parallel_translations(
                args.dir, src, next((x for x in dst.split("+") if x != src), src)
            )
        mode = "translations" if table else "script" if args.script_conversion else "none"
        ks = sorted({int(x) for x in args.k.split(",") if x.strip()})
        print(json.dumps(cross_language(args.dir, src, dst, ks, mode, table)))
        return 0
    if args.synthetic_mb:
        text = synthetic_kb(int(args.synthetic_mb * 1_000_000))
        print(json.dumps(bench_figures(text, sample_queries(text))))
        return 0
    if not (args.passages and args.questions):
        ap.error("--passages and --questions are required (or --synthetic-mb)")
    ks = sorted({int(x) for x in args.k.split(",") if x.strip()})
    passages = _read_jsonl(args.passages)
    questions = _read_jsonl(args.questions)
    if args.cyrillic == "passages":
        passages = [{**p, "text": uz_to_cyrillic(p["text"])} for p in passages]
    elif args.cyrillic == "questions":
        questions = [{**q, "question": uz_to_cyrillic(q["question"])} for q in questions]
    summary, missed = evaluate(passages, questions, ks)
    print(f"{len(passages)} passages, {len(questions)} questions", file=sys.stderr)
    for m in missed[: args.show_misses]:
        print(json.dumps(m, ensure_ascii=False))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
