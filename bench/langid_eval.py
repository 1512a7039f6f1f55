"""Measure text.detect accuracy on a JSONL file of {"text", "lang"[, "script"]} lines.

Usage: python -m bench.langid_eval --data FILE [--baseline] [--half a|b] [--show N]

The last line printed is a JSON summary; lines before it are for humans.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text.detect import detect, warm_up


def _half(text: str) -> str:
    """Stable a/b split by text hash, for holding out half of a tuning set."""
    return "a" if hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 0 else "b"


def _load(path: Path, half: str | None) -> list[dict]:
    """Read JSONL rows that have text and lang, optionally one hash half only."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            if "text" in row and "lang" in row and (half is None or _half(row["text"]) == half):
                rows.append(row)
    return rows


def _langdetect_predict() -> Callable[[str], str | None]:
    """langdetect alone, seeded for repeatability; its exceptions count as no answer."""
    from langdetect import DetectorFactory
    from langdetect import detect as ld_detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def predict(text: str) -> str | None:
        try:
            return ld_detect(text)
        except LangDetectException:
            return None

    return predict


def _accuracy(rows: list[dict], preds: list[str | None]) -> dict:
    """Overall, per-language and per language+script accuracy."""
    total = Counter()
    right = Counter()
    for row, pred in zip(rows, preds, strict=True):
        keys = ["all", row["lang"]]
        if "script" in row:
            keys.append(f"{row['lang']}-{row['script']}")
        for key in keys:
            total[key] += 1
            right[key] += pred == row["lang"]

    def acc(key: str) -> float:
        return round(right[key] / total[key], 4) if total[key] else 0.0

    out = {
        "n": total["all"],
        "accuracy": acc("all"),
        "per_lang": {k: acc(k) for k in ("uz", "ru", "en") if total[k]},
    }
    scripts = sorted(k for k in total if "-" in k)
    if scripts:
        out["per_lang_script"] = {k: acc(k) for k in scripts}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print the JSON summary last."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="JSONL with text and lang")
    ap.add_argument("--baseline", action="store_true", help="also score langdetect alone")
    ap.add_argument("--half", choices=("a", "b"), help="only one stable hash half of the file")
    ap.add_argument("--show", type=int, default=10, help="misclassified examples to print")
    args = ap.parse_args(argv)

    rows = _load(args.data, args.half)
    if not rows:
        print(json.dumps({"n": 0, "accuracy": 0.0, "per_lang": {}}))
        return 1

    warm_up()
    preds: list[str | None] = []
    scripts: list[str | None] = []
    start = time.perf_counter()
    for row in rows:
        found = detect(row["text"])
        preds.append(found.lang if found else None)
        scripts.append(found.script if found else None)
    elapsed = time.perf_counter() - start

    summary = _accuracy(rows, preds)
    summary["ms_per_message"] = round(1000 * elapsed / len(rows), 3)
    with_script = [(r, s) for r, s in zip(rows, scripts, strict=True) if "script" in r]
    if with_script:
        summary["script_accuracy"] = round(
            sum(r["script"] == s for r, s in with_script) / len(with_script), 4
        )

    wrong = [(r, p) for r, p in zip(rows, preds, strict=True) if p != r["lang"]]
    print(
        f"{len(rows)} messages, {len(wrong)} misclassified, {summary['ms_per_message']} ms/message"
    )
    subsets = Counter(r["subset"] for r in rows if "subset" in r)
    for subset in sorted(subsets):
        hits = sum(
            p == r["lang"] for r, p in zip(rows, preds, strict=True) if r.get("subset") == subset
        )
        print(f"  subset {subset}: {hits}/{subsets[subset]}")
    for row, pred in wrong[: args.show]:
        gold = row["lang"] + ("-" + row["script"] if "script" in row else "")
        print(f"  gold={gold:8s} got={pred}  {row['text'][:90]!r}")

    if args.baseline:
        predict = _langdetect_predict()
        base = _accuracy(rows, [predict(r["text"]) for r in rows])
        print(f"langdetect alone: {base['accuracy']}  per_lang={base['per_lang']}")
        summary["baseline_langdetect"] = {
            "accuracy": base["accuracy"],
            "per_lang": base["per_lang"],
        }

    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
