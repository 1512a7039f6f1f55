"""BM25 retrieval over knowledge-base chunks in Uzbek (Latin and Cyrillic), Russian and English.

One index serves every language of a knowledge base. Each chunk is scored by BM25 (k1=1.2,
b=0.75) over three token views, summed:

* stems: Russian words are stemmed by Snowball in Cyrillic, then transliterated; Latin words
  (English, Uzbek, and Uzbek Cyrillic after transliteration) go through the English Snowball
  stemmer and then a light Uzbek suffix stripper;
* character 4-grams of every transliterated word (with word-boundary marks), which catch
  agglutinative Uzbek forms, Russian inflection, spelling variants and partial names;
* adjacent stem pairs (bigrams), which reward phrases and sharpen the first hit.

Words and tokens come from text.tokens (scripts, apostrophes, stopwords) and text.stem.

On the development set (SQuAD-based en/ru, FatmaQAD-based uz; bench/retrieval_eval.py) this
beats plain BM25 over words by 3/9/11 points of recall@5 (en/ru/uz). A 10 MB knowledge base
(~15,000 chunks) builds in 2-3 s and answers a query in under a millisecond.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kb.grams import gram_codes, numbering, query_gram_codes
from kb.postings import chunk_tokens, expand_keys, posting_keys, rows
from text.tokens import Words, analyse, words_of

_MAX_QUERY_WORDS = 128  # bounds search latency when someone pastes a whole page as a question


class RetrievalIndex:
    """BM25 over stems, character 4-grams and stem bigrams; immutable once built.

    Searching only reads the index, so one instance can serve many threads at once.
    """

    K1 = 1.2
    B = 0.75
    # Relative weight of the stem, 4-gram and bigram views' BM25 scores.
    VIEW_WEIGHTS = (1.0, 1.0, 1.0)

    def __init__(self) -> None:
        """Empty index; use RetrievalIndex.build()."""
        self.n_docs = 0
        self._stem_ids: dict[str, int] = {}
        self._alphabet: dict[str, int] = {}  # letter -> digit of the 4-gram codes
        self._pairs: dict[int, int] = {}  # letter-pair code -> rank
        self._gram_codes = np.zeros(0, dtype=np.int64)  # sorted; position = gram id
        self._pair_keys = np.zeros(0, dtype=np.int64)  # sorted; position = pair id
        self._ptr = np.zeros(1, dtype=np.int64)  # CSR over all terms of the three views
        self._docs = np.zeros(0, dtype=np.uint16)
        self._weights = np.zeros(0, dtype=np.float32)

    def __len__(self) -> int:
        """Number of chunks indexed."""
        return self.n_docs

    # -- build ---------------------------------------------------------------------------------

    @classmethod
    def build(cls, chunks: list[str]) -> RetrievalIndex:
        """Index chunks (their order gives the ids that search() returns)."""
        self = cls()
        n = self.n_docs = len(chunks)
        words, tok_word, tok_doc = chunk_tokens(chunks)
        analysed = Words(words)
        # Stopwords count only inside bigrams ("deb ataladi", "можно вернуть"): alone they
        # would let a chunk match on "можно" in a small knowledge base.
        content = ~np.fromiter(analysed.stop, bool, len(words))[tok_word]
        c_word, c_doc = tok_word[content], tok_doc[content]

        # View 2: character 4-grams of every token, expanded from the token's word. It is the
        # biggest part of the build and mostly numpy, which releases the GIL: it runs in a
        # second thread while this one stems the words and makes the other two views.
        def gram_view() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            alphabet, pairs, codes, word_n_grams = gram_codes(analysed.surfaces)
            self._alphabet = {c: i for i, c in enumerate(alphabet)}
            self._pairs = dict(zip(pairs.tolist(), range(pairs.size), strict=True))
            self._gram_codes, gram_of = numbering(codes)
            keys = expand_keys(c_word, c_doc, word_n_grams, gram_of, self._gram_codes.size, n)
            terms, docs, tf = rows(keys, max(n, 1))
            del keys
            doc_len = np.bincount(c_doc, weights=word_n_grams[c_word], minlength=n)
            df = np.bincount(terms, minlength=self._gram_codes.size)
            return docs.astype(doc_type), self._bm25(terms, docs, tf, doc_len, df, 1), df

        doc_type = np.uint16 if n <= 1 << 16 else np.int32
        pool = ThreadPoolExecutor(max_workers=1)
        gram_future = pool.submit(gram_view)
        pool.shutdown(wait=False)

        stems = analysed.stems()
        self._stem_ids = {s: i for i, s in enumerate(dict.fromkeys(stems))}
        word_stem = np.fromiter(map(self._stem_ids.__getitem__, stems), np.int64, len(words))
        n_stems = len(self._stem_ids)

        # View 1: stems.
        stem_rows = rows(posting_keys(word_stem[c_word], c_doc, max(n, 1), n_stems), max(n, 1))
        stem_dl = np.bincount(c_doc, minlength=n)

        # View 3: adjacent stem pairs within a chunk (each chunk's tokens are contiguous).
        tok_stem = word_stem[tok_word]
        same = tok_doc[1:] == tok_doc[:-1]
        pair_key = (tok_stem[:-1] * max(n_stems, 1) + tok_stem[1:])[same]
        pair_doc = tok_doc[:-1][same]
        if max(n_stems, 1) ** 2 * max(n, 1) >= 1 << 63:  # (pair key, chunk) would overflow
            raise ValueError("knowledge base too large for one retrieval index")
        raw, docs, tf = rows(pair_key * max(n, 1) + pair_doc, max(n, 1))
        # Rows come sorted by pair key: number the distinct keys in that order.
        first_of_key = np.ones(raw.size, dtype=bool)
        np.not_equal(raw[1:], raw[:-1], out=first_of_key[1:])
        self._pair_keys = raw[first_of_key].astype(np.int64)
        pair_rows = (np.cumsum(first_of_key) - 1, docs, tf)
        pair_dl = np.bincount(pair_doc, minlength=n)
        views = [(stem_rows, stem_dl, n_stems, 0), (pair_rows, pair_dl, self._pair_keys.size, 2)]
        parts = []
        for (terms, docs, tf), doc_len, size, view in views:
            df = np.bincount(terms, minlength=size)
            parts.append(
                (docs.astype(doc_type), self._bm25(terms, docs, tf, doc_len, df, view), df)
            )
        parts.insert(1, gram_future.result())
        # Each view's rows are sorted by term and the views' term ranges follow each other, so
        # the concatenation is sorted by term: a CSR row pointer is all that is left to make.
        self._docs = np.concatenate([p[0] for p in parts])
        self._weights = np.concatenate([p[1] for p in parts])
        counts = np.concatenate([p[2] for p in parts])
        self._ptr = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=self._ptr[1:])
        return self

    def _bm25(
        self,
        terms: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        doc_len: np.ndarray,
        df: np.ndarray,
        view: int,
    ) -> np.ndarray:
        """Per-posting BM25 weights (Lucene idf; k1=1.2, b=0.75, the textbook defaults)."""
        if terms.size == 0:
            return np.zeros(0, dtype=np.float32)
        idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        idf *= np.float32(self.VIEW_WEIGHTS[view] * (self.K1 + 1.0))
        dl = np.asarray(doc_len, dtype=np.float64)
        norm = (self.K1 * (1.0 - self.B + self.B * dl / (dl.mean() or 1.0))).astype(np.float32)
        tf = tf.astype(np.float32)
        return idf[terms] * tf / (tf + norm[docs])

    def stem_df(self, stem: str) -> int:
        """How many chunks contain a stem (0 when the knowledge base never uses it)."""
        at = self._stem_ids.get(stem)
        return 0 if at is None else int(self._ptr[at + 1] - self._ptr[at])

    # -- search --------------------------------------------------------------------------------

    def _query_terms(self, query: str) -> np.ndarray:
        """Distinct term ids of a query across the three views."""
        words = words_of(query)[:_MAX_QUERY_WORDS]
        if not words:
            return np.zeros(0, dtype=np.int64)
        uniq = list(dict.fromkeys(words))
        stems, surfaces, stop = analyse(uniq)
        n_stems, n_grams = len(self._stem_ids), self._gram_codes.size
        stem_id = {w: self._stem_ids.get(s, -1) for w, s in zip(uniq, stems, strict=True)}
        found = [stem_id[w] for w, x in zip(uniq, stop, strict=True) if not x and stem_id[w] >= 0]
        surfaces = [x for x, is_stop in zip(surfaces, stop, strict=True) if not is_stop]

        codes = [c for s in surfaces for c in query_gram_codes(s, self._alphabet, self._pairs)]
        if codes and n_grams:
            arr = np.asarray(codes, dtype=self._gram_codes.dtype)
            at = np.minimum(np.searchsorted(self._gram_codes, arr), n_grams - 1)
            found.extend((at[self._gram_codes[at] == arr] + n_stems).tolist())

        seq = [stem_id[w] for w in words]
        width = max(n_stems, 1)
        pairs = [a * width + b for a, b in itertools.pairwise(seq) if a >= 0 <= b]
        if pairs and self._pair_keys.size:
            arr = np.asarray(pairs, dtype=np.int64)
            at = np.minimum(np.searchsorted(self._pair_keys, arr), self._pair_keys.size - 1)
            found.extend((at[self._pair_keys[at] == arr] + n_stems + n_grams).tolist())
        return np.unique(np.asarray(found, dtype=np.int64))

    def search(self, query: str, k: int = 5) -> list[tuple[int, float]]:
        """Best chunks for a query as (chunk index, score), best first, scores above zero."""
        if self.n_docs == 0 or k <= 0 or not query or not query.strip():
            return []
        terms = self._query_terms(query)
        if terms.size == 0:
            return []
        spans = [(int(self._ptr[t]), int(self._ptr[t + 1])) for t in terms]
        docs = np.concatenate([self._docs[a:b] for a, b in spans])
        weights = np.concatenate([self._weights[a:b] for a, b in spans])
        scores = np.bincount(docs, weights=weights, minlength=self.n_docs)
        k = min(k, self.n_docs)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.n_docs else np.arange(self.n_docs)
        # Ties are broken by chunk order, so results are deterministic.
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


# Reciprocal rank fusion: an item's fused score is the sum over rankings of weight / (K + rank).
RRF_K = 60
FUSION_DEPTH = 20  # hits of each reading that take part in the fusion
# The weight of a fallback reading: it never reorders the weighted readings' ranking, it only
# breaks its ties and adds, after it, the chunks it does not hold. A small positive weight cannot
# do that: adjacent ranks near the top differ by about weight / K², so any reading above ~1/K of
# the main one's weight already swaps the main reading's first and second hits.
FALLBACK = 0.0

Readings = list[tuple[str, float]]  # weighted readings of a question in one language


def fused_search(
    index: RetrievalIndex, groups: list[Readings], k: int = 5
) -> list[tuple[int, float]]:
    """Best chunks for a question read several ways, as (chunk index, fused score).

    Each group is the question in one language (both scripts, with glossary terms, with the
    previous turns), fused by weighted RRF. Groups are alternatives, not votes: a chunk takes its
    best group's score, since a chunk in one language is found by the reading in that language,
    and chunks that several languages agree on mostly share names with the right one (its
    neighbours). Readings weighted FALLBACK only break ties and fill in after the others."""
    groups = [[(q, w) for q, w in g if (q or "").strip() and w >= 0] for g in groups]
    groups = [g for g in groups if g]
    if len(groups) == 1 and len(groups[0]) == 1:
        return index.search(groups[0][0][0], k)
    best: dict[int, float] = {}
    for group in groups:
        for i, score in fuse([(_ids(index, q), w) for q, w in group if w > 0]).items():
            best[i] = max(best.get(i, 0.0), score)
    extra = fuse([(_ids(index, q), 1.0) for g in groups for q, w in g if w == FALLBACK])
    order = sorted(best.keys() | extra.keys(), key=lambda i: (-best.get(i, 0), -extra.get(i, 0), i))
    # A fallback-only chunk is given a score well below the weighted ones' (the order counts).
    return [(i, best.get(i) or extra[i] / (RRF_K + FUSION_DEPTH)) for i in order[:k]]


def _ids(index: RetrievalIndex, query: str) -> list[int]:
    return [i for i, _ in index.search(query, FUSION_DEPTH)]


def fuse(rankings: list[tuple[list, float]]) -> dict:
    """{item: fused score} of several weighted rankings (best first each), by weighted RRF."""
    fused: dict = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (RRF_K + rank)
    return fused
