"""Answer quality of the engine on generated small-business knowledge bases.

    python -m bench.answer_eval [--show-misses N]

Four businesses (phone shop, clinic, bakery, courier) in Russian, Uzbek Latin, Uzbek Cyrillic
and one mixing them, each as FAQ text, a CSV price list and a DOCX with a table, parsed by the
app's own extractors, with planted facts. Customers ask as they type: no apostrophes, Latin-typed
Russian, typos, other languages, follow-ups, small talk, off-topic. Printed: offline fact
answered %, wrong "don't know" %, "don't know" on off-topic %, median answer length; AI path
with the fake Gemini of tests/fakes: fact reaches the prompt %, prompt tokens p50/max.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.answer_data import BUSINESSES


def _write_files(folder: Path, business: dict) -> list[Path]:
    """The business's FAQ (TXT), price list (CSV) and table document (DOCX)."""
    import docx

    name = business["name"]
    faq = folder / f"{name}_faq.txt"
    faq.write_text(business["faq"], encoding="utf-8")
    prices = folder / f"{name}_prices.csv"
    with open(prices, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(business["csv"])
    doc = docx.Document()
    doc.add_paragraph(business["docx_intro"])
    rows = business["table"]
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    path = folder / f"{name}_table.docx"
    doc.save(path)
    return [faq, prices, path]


def _knowledge_base(app, user_id: int, files: list[Path]):
    from extensions import db
    from kb.chunking import chunk_text
    from kb.extract import parse_file
    from models.knowledge_base import KnowledgeBase

    text = "\n\n".join(parse_file(str(f), f.name).text for f in files)
    kb = KnowledgeBase(
        user_id=user_id,
        original_name="kb.txt",
        file_type="txt",
        size_bytes=len(text),
        sha256="0" * 64,
        status="processing",
    )
    db.session.add(kb)
    db.session.flush()
    kb.activate(text, chunk_text(text), None, None, [])
    db.session.commit()
    return kb


def _ask(conv, text: str):
    from models.conversation import Message
    from pipeline.engine import answer

    Message.store_inbound(conv, external_id=None, text=text)
    return answer(conv, text)


def run(show_misses: int = 0) -> dict:
    """Build the app on a throw-away SQLite database, ask every question, count."""
    from config import TestingConfig
    from extensions import db
    from main import create_app
    from models.conversation import Conversation
    from pipeline import replies
    from tests.conftest import make_user
    from tests.engine_helpers import configured
    from tests.fakes.gemini import DEFAULT_KEY, FakeGemini

    tmp = Path(tempfile.mkdtemp(prefix="answer_eval_"))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp / 'bench.db'}"

    app = create_app(Config)
    stats = {"fact": [0, 0], "wrong_dk": [0, 0], "offtopic_dk": [0, 0], "smalltalk": [0, 0]}
    lengths: list[int] = []
    prompt_hits, prompt_tokens = [0, 0], []
    misses = []
    with app.app_context():
        db.create_all()
        dont_know = {
            (lang, sc): replies.dont_know(lang, sc)
            for lang in ("uz", "ru", "en")
            for sc in ("latn", "cyrl")
        }
        for n, business in enumerate(BUSINESSES):
            user = make_user(email=f"bench{n}@example.uz", language="en")
            _knowledge_base(app, user.id, _write_files(tmp, business))
            for mode in ("offline", "ai"):
                for k, dialogue in enumerate(business["questions"]):
                    conv = Conversation(
                        user_id=user.id,
                        platform="web",
                        account_ref="bench",
                        customer_ref=f"{mode}-{k}",
                    )
                    db.session.add(conv)
                    db.session.flush()
                    for question, fact in dialogue:
                        if mode == "offline":
                            reply = _ask(conv, question)
                            db.session.commit()
                            is_dk = reply.text in dont_know.values()
                            if fact == "OFFTOPIC":
                                stats["offtopic_dk"][0] += is_dk
                                stats["offtopic_dk"][1] += 1
                                ok = is_dk
                            elif fact == "SMALLTALK":
                                ok = reply.provider == "smalltalk"
                                stats["smalltalk"][0] += ok
                                stats["smalltalk"][1] += 1
                            else:
                                ok = fact in reply.text
                                stats["fact"][0] += ok
                                stats["fact"][1] += 1
                                stats["wrong_dk"][0] += is_dk
                                stats["wrong_dk"][1] += 1
                                lengths.append(len(reply.text))
                            if not ok:
                                misses.append({"q": question, "want": fact, "got": reply.text})
                        elif fact not in ("OFFTOPIC", "SMALLTALK"):
                            with (
                                FakeGemini() as fake,
                                configured(
                                    app, GEMINI_API_KEY=DEFAULT_KEY, GEMINI_BASE_URL=fake.url
                                ),
                            ):
                                _ask(conv, question)
                                db.session.commit()
                                prompt = fake.last_prompt()
                            prompt_hits[0] += fact in prompt
                            prompt_hits[1] += 1
                            prompt_tokens.append(len(prompt) // 4)
                        else:
                            _ask(conv, question)
                            db.session.commit()

    def pct(pair):
        return round(100 * pair[0] / pair[1], 1) if pair[1] else 0.0

    summary = {
        "facts": stats["fact"][1],
        "offline_fact_answered_pct": pct(stats["fact"]),
        "offline_wrong_dont_know_pct": pct(stats["wrong_dk"]),
        "offline_offtopic_dont_know_pct": pct(stats["offtopic_dk"]),
        "offline_smalltalk_pct": pct(stats["smalltalk"]),
        "offline_median_answer_chars": int(statistics.median(lengths)) if lengths else 0,
        "ai_fact_in_prompt_pct": pct(prompt_hits),
        "ai_prompt_tokens_p50": int(statistics.median(prompt_tokens)) if prompt_tokens else 0,
        "ai_prompt_tokens_max": max(prompt_tokens, default=0),
    }
    for miss in misses[:show_misses]:
        print(json.dumps(miss, ensure_ascii=False))
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show-misses", type=int, default=0)
    args = ap.parse_args(argv)
    print(json.dumps(run(args.show_misses)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
