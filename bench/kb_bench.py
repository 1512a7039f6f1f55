"""Knowledge-base benchmark: extraction cost per file type, next to the bare library calls.

Run from the repository root: ``.venv/bin/python -m bench.kb_bench [--keep DIR] [--repeat N]``.
Prints a table, then the figures as JSON on the last line.  Every measurement runs in a fresh
interpreter, so peak RSS is per file; ``rss_child_mb`` is the extraction child that
``kb.extract`` starts for PDF, DOCX and CSV.  Two DOCX files: ``docx`` is mostly a photo
with 20,000 paragraphs and price tables; ``docx_text`` is dense text only (~52 MB of XML), the
worst case for the DOCX XML limit and for memory.

The retrieval half (chunks, index build time, search p50/p99) plugs into ``retrieval_figures``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.kb.fixture_files import (  # noqa: E402 - needs ROOT on sys.path first
    EN_WORDS,
    RU_WORDS,
    UZ_WORDS,
    build_pdf_from_streams,
    pdf_string,
    sentence,
)

PDF_PAGES = 2000
PDF_LINES_PER_PAGE = 62
TEXT_TARGET_BYTES = int(9.5 * 1024 * 1024)  # just under MAX_FILE_BYTES
DOCX_PARAGRAPHS = 20_000
DOCX_TABLES = 200
DOCX_TABLE_ROWS = 25
DOCX_PHOTO_BYTES = 6 * 1024 * 1024  # product photos make up most of a real 10 MB DOCX

SLOW_BARE_CALLS = {"pypdf"}  # ~1 minute on the PDF: measured once, not repeated
# Which bare library call each file type is compared with.
BARE_CALLS = {
    "pdf": ("pypdfium2", "pypdf"),
    "docx": ("python-docx",),
    "docx_text": ("python-docx",),
    "csv": ("pandas",),
    "txt": ("read+decode",),
}


# --- generating the files ------------------------------------------------------------------


def generate_pdf(path: Path, pages: int = PDF_PAGES, seed: int = 1) -> None:
    """Write a ~10 MB, ~2,000-page PDF of dense Uzbek/English text with kerned TJ arrays."""
    rng = random.Random(seed)
    words = UZ_WORDS + EN_WORDS
    pool = []
    # A pool of pre-encoded lines keeps generation fast; varied kerning keeps it realistic
    # (and about as compressible as producer output).
    for _ in range(6000):
        parts = []
        for word in sentence(rng, words, 15).split(" "):
            cut = max(1, len(word) // 2)
            kern = b"%d" % rng.randint(-40, 40)
            parts.append(pdf_string(word[:cut]) + b" " + kern + b" " + pdf_string(word[cut:] + " "))
        pool.append(b"[" + b" ".join(parts) + b"] TJ T*")
    streams = []
    for _ in range(pages):
        lines = rng.sample(pool, PDF_LINES_PER_PAGE)
        streams.append(b"BT /F1 8 Tf 9.6 TL 36 810 Td\n" + b"\n".join(lines) + b"\nET")
    path.write_bytes(build_pdf_from_streams(streams, compress=True))


def _png(width: int, height: int, seed: int) -> bytes:
    """Return a valid, incompressible RGB PNG (random noise, stored uncompressed)."""
    rng = random.Random(seed)
    row = width * 3
    raw = b"".join(b"\x00" + rng.randbytes(row) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 0))
        + chunk(b"IEND", b"")
    )


def generate_docx(path: Path, seed: int = 2) -> None:
    """Write a DOCX: header, footer, paragraphs, price tables, a nested table and a photo."""
    import docx
    from docx.shared import Cm

    rng = random.Random(seed)
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "Bilim Market — narxlar va xizmatlar"
    template.sections[0].footer.paragraphs[0].text = "Tel: +998 71 200 00 00 · bilim.uz"
    side = int((DOCX_PHOTO_BYTES / 3) ** 0.5)
    template.add_picture(io.BytesIO(_png(side, side, seed)), width=Cm(10))
    buffer = io.BytesIO()
    template.save(buffer)

    # python-docx's add_paragraph is slow for 20,000 paragraphs; write the body XML directly
    # into the template's package instead.
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        body_xml = source.read("word/document.xml").decode()
        members = [(info, source.read(info)) for info in source.infolist()]
    drawing = body_xml[body_xml.index("<w:body>") + 8 : body_xml.index("<w:sectPr")]
    languages = (UZ_WORDS, RU_WORDS, EN_WORDS)
    per_table = DOCX_PARAGRAPHS // DOCX_TABLES
    parts = [drawing]
    for index in range(DOCX_PARAGRAPHS):
        text = escape(sentence(rng, languages[index % 3], 25))
        parts.append(f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>')
        if index % per_table == 0:
            parts.append(_docx_table(rng, nested=index == 0))
    body = "".join(parts)
    new_xml = body_xml.replace(drawing, body, 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            target.writestr(info, new_xml if info.filename == "word/document.xml" else data)


# Syllables for pseudo-words: with a Zipf-like choice over thousands of words the text deflates
# about like real prose, where the 40-word fixture vocabulary would compress far better.
_SYLLABLES = {
    "uz": "ba bo bu da do du ga go g‘a ka ki ko la li lo ma mi mo na ni no o‘ qa qo ra ri ro sa "
    "si so sh ta ti to xa xo ya yo za zi ch ng lar dan ning ga da gi ni",
    "ru": "ба бо ва ви го да де до же за ка ки ко ла ли ло ма ми мо на не но ор па по пре при "
    "про ра ре ро са се со ст та те то ть ны ов ий ая ое ых",
    "en": "a al an ar at be ca co de di en er es ex in ing is le li ma me mo ne no on or pa pe "
    "pro re ri ro se si st ta te ti th to un ve",
}
DOCX_TEXT_PARAGRAPHS = 64_000
DOCX_TEXT_ROWS = 12_000


def _vocabulary(rng: random.Random, lang: str, base: tuple[str, ...], size: int = 6000) -> list:
    """Return the fixture words followed by pseudo-words built from ``lang`` syllables."""
    syllables = _SYLLABLES[lang].split()
    words = list(base)
    while len(words) < size:
        words.append("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return words


def _zipf_sentence(rng: random.Random, words: list[str], n: int) -> str:
    """Return a sentence of ``n`` words, frequent words first in the list chosen most often."""
    text = " ".join(words[int(len(words) * rng.random() ** 3)] for _ in range(n))
    return escape(text[:1].upper() + text[1:] + ".")


def generate_docx_text(path: Path, seed: int = 5) -> None:
    """Write a dense, text-only ~9.5 MB DOCX: formatted paragraphs and a long price table.

    The markup is python-docx's own (runs with font, size and bold; a 4-column table): one
    paragraph and one row are built with python-docx and repeated with new text, because
    python-docx needs ~9 minutes to add 12,000 table rows one by one.
    """
    import docx
    from docx.shared import Pt

    rng = random.Random(seed)
    languages = [
        _vocabulary(rng, "uz", UZ_WORDS),
        _vocabulary(rng, "ru", RU_WORDS),
        _vocabulary(rng, "en", EN_WORDS),
    ]
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "Bilim Market — narxlar va xizmatlar"
    paragraph = template.add_paragraph()
    for index in range(3):
        run = paragraph.add_run(f"@RUN{index}@")
        run.font.name, run.font.size, run.bold = "Times New Roman", Pt(12), index == 1
    table = template.add_table(rows=2, cols=4)
    for col, label in enumerate(("Mahsulot", "Narx", "Miqdor", "Izoh")):
        table.cell(0, col).text = label
        table.cell(1, col).text = f"@CELL{col}@"
    buffer = io.BytesIO()
    template.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        body_xml = source.read("word/document.xml").decode()
        members = [(info, source.read(info)) for info in source.infolist()]
    p_start = body_xml.rindex("<w:p>", 0, body_xml.index("@RUN0@"))
    p_xml = body_xml[p_start : body_xml.index("</w:p>", p_start) + 6]
    row_start = body_xml.rindex("<w:tr", 0, body_xml.index("@CELL0@"))
    row_xml = body_xml[row_start : body_xml.index("</w:tr>", row_start) + 7]

    parts = []
    for index in range(DOCX_TEXT_PARAGRAPHS):
        words = languages[index % 3]
        text = p_xml
        for run in range(3):
            text = text.replace(f"@RUN{run}@", _zipf_sentence(rng, words, rng.randint(8, 20)))
        parts.append(text)
    rows = []
    for _ in range(DOCX_TEXT_ROWS):
        cells = (
            _zipf_sentence(rng, languages[0], 3),
            f"{rng.randint(1, 900)} {rng.randint(0, 999):03d} so‘m",
            str(rng.randint(1, 500)),
            _zipf_sentence(rng, languages[1], 6),
        )
        row = row_xml
        for col, value in enumerate(cells):
            row = row.replace(f"@CELL{col}@", value)
        rows.append(row)
    new_xml = body_xml.replace(p_xml, "".join(parts), 1).replace(row_xml, "".join(rows), 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            target.writestr(info, new_xml if info.filename == "word/document.xml" else data)


def _docx_cell(text: str, inner: str = "") -> str:
    """Return one w:tc with a paragraph (and optional nested table XML)."""
    return f"<w:tc><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>{inner}</w:tc>"


def _docx_table(rng: random.Random, nested: bool) -> str:
    """Return a price table's XML; the first one nests a table in a cell."""
    rows = ["<w:tr>" + "".join(_docx_cell(h) for h in ("Mahsulot", "Narx", "Izoh")) + "</w:tr>"]
    for row in range(DOCX_TABLE_ROWS):
        inner = ""
        if nested and row == 0:
            inner = (
                "<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
                f"<w:tr>{_docx_cell('Hajm')}{_docx_cell('Narx')}</w:tr>"
                f"<w:tr>{_docx_cell('1 litr')}{_docx_cell('12 500')}</w:tr></w:tbl><w:p/>"
            )
        cells = (
            _docx_cell(sentence(rng, UZ_WORDS, 2), inner),
            _docx_cell(f"{rng.randint(1, 900)} {rng.randint(0, 9)}00 so‘m"),
            _docx_cell(sentence(rng, RU_WORDS, 5)),
        )
        rows.append("<w:tr>" + "".join(cells) + "</w:tr>")
    grid = "<w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
    return f"<w:tbl>{grid}{''.join(rows)}</w:tbl>"


def generate_csv(path: Path, target: int = TEXT_TARGET_BYTES, seed: int = 3) -> None:
    """Write a ~9.5 MB semicolon CSV with decimal commas and mixed Uzbek/Russian/English."""
    rng = random.Random(seed)
    lines = ["Mahsulot;Категория;Narx;Вес, кг;Description"]
    size = len(lines[0]) + 1
    while size < target:
        line = ";".join(
            (
                sentence(rng, UZ_WORDS, 3),
                sentence(rng, RU_WORDS, 2),
                f"{rng.randint(1, 900)} {rng.randint(0, 999):03d}",
                f"{rng.randint(0, 50)},{rng.randint(0, 99):02d}",
                sentence(rng, EN_WORDS, 6),
            )
        )
        lines.append(line)
        size += len(line.encode()) + 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate_txt(path: Path, target: int = TEXT_TARGET_BYTES, seed: int = 4) -> None:
    """Write a ~9.5 MB UTF-8 text of Uzbek, Russian and English paragraphs."""
    rng = random.Random(seed)
    languages = (UZ_WORDS, RU_WORDS, EN_WORDS)
    parts = []
    size = 0
    index = 0
    while size < target:
        paragraph = ". ".join(sentence(rng, languages[index % 3], 12) for _ in range(5)) + "."
        parts.append(paragraph)
        size += len(paragraph.encode()) + 2
        index += 1
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def generate_files(directory: Path, only: list[str] | None = None) -> dict[str, Path]:
    """Generate one file per type into ``directory`` and return their paths by kind."""
    generators = {
        "pdf": generate_pdf,
        "docx": generate_docx,
        "docx_text": generate_docx_text,
        "csv": generate_csv,
        "txt": generate_txt,
    }
    paths = {}
    for kind, generate in generators.items():
        if only and kind not in only:
            continue
        path = directory / f"bench-kb-{kind.replace('_', '-')}.{kind.split('_')[0]}"
        generate(path)
        paths[kind] = path
    return paths


# --- measuring -----------------------------------------------------------------------------

_BARE_IMPORTS = {
    "pypdf": ("pypdf",),
    "pypdfium2": ("pypdfium2",),
    "python-docx": ("docx",),
    "pandas": ("pandas",),
}


def _bare_call(mode: str, path: str) -> int:
    """Run one bare library extraction and return the number of characters it produced."""
    if mode == "pypdf":
        from pypdf import PdfReader

        return sum(len(page.extract_text() or "") for page in PdfReader(path).pages)
    if mode == "pypdfium2":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(path)
        total = 0
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            total += len(textpage.get_text_range())
            textpage.close()
            page.close()
        document.close()
        return total
    if mode == "python-docx":
        import docx

        document = docx.Document(path)
        total = sum(len(p.text) for p in document.paragraphs)
        for table in document.tables:
            for row in table.rows:
                total += sum(len(cell.text) for cell in row.cells)
        return total
    if mode == "pandas":
        import pandas as pd

        frame = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8")
        return int(frame.map(len).to_numpy().sum())
    if mode == "read+decode":
        return len(Path(path).read_bytes().decode("utf-8"))
    raise ValueError(mode)


def _hwm_mb(pid: int | str = "self") -> float:
    """Peak RSS (VmHWM) of a process in MB; 0 where /proc is unavailable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _child_pids() -> set[int]:
    """PIDs of this process's children, from /proc."""
    pids: set[int] = set()
    try:
        for task in Path("/proc/self/task").iterdir():
            pids.update(int(p) for p in (task / "children").read_text().split())
    except OSError:
        pass
    return pids


class _ChildPeakWatcher(threading.Thread):
    """Track the peak RSS of extraction children while a measurement runs.

    ru_maxrss cannot be used: Linux carries the high-water mark across fork and exec, so
    every child would report at least its parent's peak.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.005):
            for pid in _child_pids():
                self.peak_mb = max(self.peak_mb, _hwm_mb(pid))

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak_mb


def _child(mode: str, kind: str, path: str) -> None:
    """Measure one extraction inside this fresh interpreter and print JSON."""
    # Import before timing: a running app has these modules loaded already.
    if mode == "parse":
        from kb.extract import parse_file

        watcher = _ChildPeakWatcher()
        watcher.start()
        started = time.perf_counter()
        chars = len(parse_file(path, f"bench{Path(path).suffix}").text)
        seconds = time.perf_counter() - started
        child_mb = watcher.stop()
    else:
        for module in _BARE_IMPORTS.get(mode, ()):
            __import__(module)
        started = time.perf_counter()
        chars = _bare_call(mode, path)
        seconds = time.perf_counter() - started
        child_mb = 0.0
    own_mb = _hwm_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"seconds": seconds, "chars": chars, "rss_mb": own_mb, "rss_child_mb": child_mb})
    )


def measure(mode: str, kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its figures."""
    cmd = [sys.executable, "-m", "bench.kb_bench", "--child", mode, kind, str(path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def retrieval_available() -> bool:
    """True once ``kb.index`` exists."""
    try:
        import kb.index  # noqa: F401
    except ImportError:
        return False
    return True


def retrieval_figures(text: str) -> dict[str, Any]:
    """Retrieval half of the benchmark (chunks, index build, search p50/p99); {} until built."""
    try:
        from bench.retrieval_eval import bench_figures, sample_queries
    except ImportError:
        return {}
    return bench_figures(text, sample_queries(text))


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the fastest successful run (the least disturbed by other load), or the error."""
    good = [run for run in runs if "error" not in run]
    return min(good, key=lambda run: run["seconds"]) if good else runs[-1]


def collect(paths: dict[str, Path], repeat: int = 3) -> dict[str, dict[str, Any]]:
    """Measure our extraction and the bare library calls for every generated file."""
    figures: dict[str, dict[str, Any]] = {}
    with_retrieval = retrieval_available()
    for kind, path in paths.items():
        # Interleave ours and the bare calls, best of ``repeat``: on a shared machine a single
        # pair can land on different load.  pypdf is too slow to repeat and never the fastest.
        runs: dict[str, list[dict[str, Any]]] = {"parse": []}
        for attempt in range(repeat):
            runs["parse"].append(measure("parse", kind, path))
            for mode in BARE_CALLS[kind]:
                if mode in SLOW_BARE_CALLS and attempt:
                    continue
                runs.setdefault(mode, []).append(measure(mode, kind, path))
        ours = _best(runs.pop("parse"))
        row: dict[str, Any] = {
            "file_mb": round(path.stat().st_size / 1024 / 1024, 2),
            "seconds": round(ours.get("seconds", float("nan")), 3),
            "chars": ours.get("chars"),
            "rss_mb": round(ours.get("rss_mb", float("nan")), 1),
            "rss_child_mb": round(ours.get("rss_child_mb", float("nan")), 1),
        }
        if "error" in ours:
            row["error"] = ours["error"]
        bare = {}
        for mode, mode_runs in runs.items():
            result = _best(mode_runs)
            bare[mode] = {
                "seconds": round(result.get("seconds", float("nan")), 3),
                "chars": result.get("chars"),
                "rss_mb": round(result.get("rss_mb", float("nan")), 1),
            }
        row["bare"] = bare
        fastest = min(b["seconds"] for b in bare.values())
        row["ratio_to_fastest_bare"] = round(row["seconds"] / fastest, 2) if fastest else None
        if with_retrieval:
            from kb.extract import FileParseError, parse_file

            try:
                row["retrieval"] = retrieval_figures(parse_file(str(path), path.name).text)
            except FileParseError as exc:
                row["retrieval"] = {"error": str(exc)}
        figures[kind] = row
    return figures


def print_table(figures: dict[str, dict[str, Any]]) -> None:
    """Print the figures as a fixed-width table."""
    header = (
        f"{'type':9} {'MB':>5} {'ours s':>7} {'chars':>10} {'RSS MB':>7} {'child MB':>8}  "
        f"{'bare calls (s, MB)':<44} {'x fastest':>9}"
    )
    print(header)
    print("-" * len(header))
    for kind, row in figures.items():
        bare = ", ".join(
            f"{mode} {b['seconds']:.2f}s {b['rss_mb']:.0f}MB" for mode, b in row["bare"].items()
        )
        print(
            f"{kind:9} {row['file_mb']:5.1f} {row['seconds']:7.2f} {row['chars'] or 0:10d} "
            f"{row['rss_mb']:7.0f} {row['rss_child_mb']:8.0f}  {bare:<44} "
            f"{row['ratio_to_fastest_bare'] or 0:9.2f}"
        )
        if "error" in row:
            print(f"      error: {row['error']}")


def main(argv: list[str] | None = None) -> int:
    """Generate the files, measure them, print a table and then JSON on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument(
        "--only", nargs="+", metavar="TYPE", help="pdf docx docx_text csv txt (default: all)"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "KIND", "PATH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        paths = generate_files(directory, args.only)
        print(f"generated {len(paths)} files in {time.perf_counter() - started:.1f}s")
        figures = collect(paths, repeat=max(1, args.repeat))
    print_table(figures)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
