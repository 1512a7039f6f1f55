"""Chunking (kb.chunking), normalisation (text.tokens) and search of kb.index (no app needed)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from kb import postings
from kb.chunking import chunk_text
from kb.index import RetrievalIndex
from text.tokens import normalize, tokenize

# -- chunking ------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def test_chunk_empty_and_blank() -> None:
    assert chunk_text("") == []
    assert chunk_text("   \n\n\t ") == []
    assert chunk_text("Salom dunyo.") == ["Salom dunyo."]


def test_chunks_never_split_words_and_respect_max() -> None:
    sentences = [
        f"Sentence number {i} tells the customer about delivery and prices in Tashkent."
        for i in range(300)
    ]
    paragraphs = [" ".join(sentences[i : i + 7]) for i in range(0, 300, 7)]
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text)
    assert len(chunks) > 10
    assert all(len(c) <= 1000 for c in chunks)
    assert all(len(c) >= 200 for c in chunks)
    # Joining the chunks gives back every word, in order, none cut in two.
    assert _words(" ".join(chunks)) == _words(text)


def test_chunks_prefer_paragraph_then_sentence() -> None:
    paragraphs = [f"Paragraph {i} has some words. " * 10 for i in range(12)]  # ~300 chars
    chunks = chunk_text("\n\n".join(p.strip() for p in paragraphs))
    # Paragraphs are packed whole: every chunk starts a paragraph and ends a sentence.
    assert all(c.startswith("Paragraph") and c.endswith(".") for c in chunks)
    long_paragraph = " ".join(f"This is sentence {i} of one long paragraph." for i in range(200))
    chunks = chunk_text(long_paragraph)
    assert len(chunks) > 5
    assert all(c.endswith(".") for c in chunks)
    assert all(len(c) <= 1000 for c in chunks)


def test_long_line_without_punctuation_splits_at_spaces() -> None:
    text = " ".join(f"soz{i}" for i in range(3000))  # ~20,000 chars, one line, no punctuation
    chunks = chunk_text(text)
    assert len(chunks) >= 15
    assert all(len(c) <= 1000 for c in chunks)
    assert _words(" ".join(chunks)) == _words(text)


def test_single_giant_word_is_hard_split() -> None:
    word = "x" * 2500
    chunks = chunk_text(f"Boshlanish. {word} Oxiri.")
    assert all(len(c) <= 1000 for c in chunks)
    assert (
        "".join(chunks)
        .replace(" ", "")
        .replace(".", "")
        .replace("Boshlanish", "")
        .replace("Oxiri", "")
        == word
    )


_ROW = re.compile(r"^Mahsulot: Tovar \d+ \| Narx: \d+ so'm \| Holat: bor$")


def test_table_rows_are_boundaries() -> None:
    rows = [f"Mahsulot: Tovar {i} | Narx: {i * 1000} so'm | Holat: bor" for i in range(80)]
    chunks = chunk_text("\n".join(rows))
    assert len(chunks) > 2
    for chunk in chunks:
        assert len(chunk) <= 1000
        assert all(_ROW.match(line) for line in chunk.split("\n")), chunk


def test_custom_sizes() -> None:
    text = " ".join(f"Gap {i} tugadi." for i in range(400))
    chunks = chunk_text(text, target=150, max_chars=200, min_chars=50)
    assert all(50 <= len(c) <= 200 for c in chunks[:-1])
    assert _words(" ".join(chunks)) == _words(text)


def test_pathological_text_finishes() -> None:
    # Long runs of punctuation, blank lines and spaces: the chunker must stay linear.
    text = "!" * 50_000 + "\n \n" * 20_000 + " " * 50_000 + "a." * 50_000
    chunks = chunk_text(text)
    assert all(len(c) <= 1000 for c in chunks)
    assert "".join(chunks).count("a.") == 50_000


# -- normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["'", "’", "‘", "ʻ", "ʼ", "`"])
def test_apostrophe_variants_are_one(mark: str) -> None:
    assert tokenize(f"O{mark}zbekiston bog{mark}i ma{mark}lumot") == tokenize(
        "O‘zbekiston bog‘i ma’lumot"
    )
    assert normalize(f"g{mark}oya") == "goya"


def test_cyrillic_uzbek_matches_latin() -> None:
    assert normalize("Ўзбекистон") == normalize("O‘zbekiston") == "ozbekiston"
    assert tokenize("Етказиб бериш хизмати қанча туради?") == tokenize(
        "Yetkazib berish xizmati qancha turadi?"
    )
    assert tokenize("ёз ғалла ҳосили") == tokenize("yoz g'alla hosili")


def test_russian_yo_folds_to_ye() -> None:
    assert tokenize("Ещё всё приём") == tokenize("Еще все прием")


def test_russian_and_english_stemming() -> None:
    assert set(tokenize("доставкой")) & set(tokenize("доставка"))
    assert tokenize("deliveries") == tokenize("delivery")
    assert tokenize("Prices") == tokenize("price")


def test_numbers_are_kept() -> None:
    assert "2024" in tokenize("Narxlar 2024 yil uchun")
    assert "998" in tokenize("+998 90 123 45 67")
    # Thousands separators do not split a price; decimals and separate numbers stay apart.
    assert "150000" in tokenize("Narxi 150 000 so'm")
    assert "150000" in tokenize("Price: 150,000 UZS")
    assert tokenize("1,5 kg") == ["1", "5", "kg"]
    assert tokenize("2024 123") == ["2024", "123"]
    idx = RetrievalIndex.build(["Telefon narxi 2 350 000 so'm.", "Chexol narxi 50 000 so'm."])
    assert _top(idx, "2350000 so'mlik telefon") == [0]


# -- search ----------------------------------------------------------------------------------------

KB = [
    "Yetkazib berish Toshkent bo‘ylab bepul, viloyatlarga 2-3 kun ichida amalga oshiriladi.",
    "Доставка по Ташкенту бесплатная, в регионы занимает 2-3 дня.",
    "We deliver for free within Tashkent; deliveries to other regions take 2-3 days.",
    "To‘lov Click, Payme yoki naqd pul orqali qabul qilinadi.",
    "Оплата принимается через Click, Payme или наличными.",
    "Payment is accepted via Click, Payme or cash.",
    "Ish vaqti: dushanbadan shanbagacha soat 9:00 dan 18:00 gacha.",
    "Режим работы: с понедельника по субботу с 9:00 до 18:00.",
    "Opening hours: Monday to Saturday from 9 am to 6 pm.",
    "Mahsulotni 14 kun ichida qaytarish mumkin, agar qadoq buzilmagan bo‘lsa.",
    "Товар можно вернуть в течение 14 дней, если упаковка не повреждена.",
    "Returns are accepted within 14 days if the packaging is intact.",
]


@pytest.fixture(scope="module")
def index() -> RetrievalIndex:
    return RetrievalIndex.build(KB)


def _top(index: RetrievalIndex, query: str, k: int = 1) -> list[int]:
    return [i for i, _ in index.search(query, k=k)]


def test_len_and_empty_queries(index: RetrievalIndex) -> None:
    assert len(index) == len(KB)
    assert index.search("") == []
    assert index.search("   ?!  ") == []
    assert index.search("qwertyzxcv") == []
    assert index.search("доставка", k=0) == []
    assert RetrievalIndex.build([]).search("anything") == []
    assert len(RetrievalIndex.build([])) == 0


def test_results_are_sorted_and_positive(index: RetrievalIndex) -> None:
    results = index.search("delivery Tashkent", k=20)
    scores = [s for _, s in results]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    assert len(results) <= len(KB)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Yetkazib berish qancha vaqt oladi?", 0),
        ("Сколько стоит доставка в регионы?", 1),
        ("How long does delivery take?", 2),
        ("Qanday to'lov usullari bor?", 3),
        ("Как можно оплатить заказ?", 4),
        ("Can I pay with cash?", 5),
        ("Soat nechida ishlaysizlar?", 6),
        ("Какой у вас режим работы?", 7),
        ("What are your opening hours?", 8),
        ("Mahsulotni qaytarsam bo'ladimi?", 9),
        ("Можно ли вернуть товар?", 10),
        ("Can I return a product?", 11),
    ],
)
def test_multilingual_kb_ranking(index: RetrievalIndex, query: str, expected: int) -> None:
    assert _top(index, query) == [expected]


def test_russian_inflection_finds_base_form() -> None:
    idx = RetrievalIndex.build(["Доставка занимает два дня.", "Оплата картой принимается."])
    assert _top(idx, "Что с доставкой?") == [0]
    assert _top(idx, "оплатой") == [1]


def test_english_plural_finds_singular() -> None:
    idx = RetrievalIndex.build(["Each delivery is insured.", "The shop sells phones."])
    assert _top(idx, "deliveries") == [0]
    assert _top(idx, "phone") == [1]


def test_cross_script_uzbek_search() -> None:
    idx = RetrievalIndex.build(
        [
            "Бизнинг дўконимизда ёз мавсумида чегирмалар бўлади.",
            "Do'konimiz har kuni soat 10 da ochiladi.",
            "Телефон орқали буюртма бериш мумкин.",
        ]
    )
    assert _top(idx, "Yozgi chegirmalar bormi?") == [0]  # Latin question, Cyrillic text
    assert _top(idx, "Дўкон соат нечада очилади?") == [1]  # Cyrillic question, Latin text
    assert _top(idx, "telefon orqali buyurtma") == [2]


def test_apostrophe_variants_search() -> None:
    idx = RetrievalIndex.build(["Bog‘cha va o‘quv markazi.", "Boshqa matn."])
    for q in ["bog'cha", "bogʻcha", "bog`cha", "bogcha", "o’quv"]:
        assert _top(idx, q) == [0], q


def test_concurrent_searches(index: RetrievalIndex) -> None:
    queries = ["доставка", "To'lov usullari", "opening hours", "Товар вернуть", "Ish vaqti"] * 40
    expected = [index.search(q, k=3) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: index.search(q, k=3), queries))
    assert got == expected


def test_parallel_sort_builds_the_same_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # Big knowledge bases sort in two threads; force that path on a small one and compare.
    texts = KB * 20
    expected = RetrievalIndex.build(texts)
    monkeypatch.setattr(postings, "_PARALLEL_SORT", 10)
    parallel = RetrievalIndex.build(texts)
    for name in ("_ptr", "_docs", "_weights", "_gram_codes", "_pair_keys"):
        assert np.array_equal(getattr(parallel, name), getattr(expected, name)), name
    for q in ["доставка", "To'lov usullari", "opening hours", "14 kun"]:
        assert parallel.search(q, k=10) == expected.search(q, k=10)


# -- fusion of several readings of one question ----------------------------------------------------


def test_a_fallback_reading_never_reorders_the_weighted_one_but_fills_in_after_it() -> None:
    from kb.index import FALLBACK, fused_search

    chunks = [
        "Delivery price list for the city.",  # the translation's best hit
        "Delivery of the Zen player to the regions takes three days.",  # the original's best hit
        "Zen Zen Zen Zen.",  # found by the original only
    ]
    index = RetrievalIndex.build(chunks)
    translation, original = "delivery price", "Доставка Zen"
    assert [i for i, _ in index.search(translation, 5)] == [0, 1]
    assert index.search(original, 5)[0][0] in (1, 2)
    fused = fused_search(index, [[(translation, 1.0)], [(original, FALLBACK)]], 5)
    assert [i for i, _ in fused] == [0, 1, 2]
    assert fused[-1][1] < fused[-2][1]
    # Even a light weight in the same fusion lets the original take the first place.
    summed = fused_search(index, [[(translation, 1.0), (original, 0.3)]], 5)
    assert summed[0][0] == 1


def test_readings_in_different_languages_are_alternatives_not_votes() -> None:
    from kb.index import fused_search

    chunks = [
        "Delivery delivery: we bring every order.",
        "Доставка доставка: привозим любой заказ.",
        "Delivery and доставка are both mentioned here, in a longer chunk about other things.",
    ]
    index = RetrievalIndex.build(chunks)
    assert [i for i, _ in index.search("delivery", 5)] == [0, 2]
    assert [i for i, _ in index.search("доставка", 5)] == [1, 2]
    alternatives = fused_search(index, [[("delivery", 1.0)], [("доставка", 1.0)]], 3)
    assert {i for i, _ in alternatives[:2]} == {0, 1}
    votes = fused_search(index, [[("delivery", 1.0), ("доставка", 1.0)]], 3)
    assert votes[0][0] == 2  # summed, the chunk both merely mention would win


def test_one_reading_is_a_plain_search() -> None:
    from kb.index import fused_search

    index = RetrievalIndex.build(["Delivery is free.", "Parking is behind the shop."])
    assert fused_search(index, [[("parking", 1.0)]], 5) == index.search("parking", 5)
    assert fused_search(index, [[("", 1.0)], [("  ", 1.0)]], 5) == []
