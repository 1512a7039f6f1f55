"""Posting lists of the retrieval index built with numpy: (term, chunk) keys, sorted and counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kb.grams import MAX_GRAM_WORD
from text.script import fold_to_latin
from text.tokens import split_words


def posting_keys(term: np.ndarray, doc: np.ndarray, width: int, n_terms: int) -> np.ndarray:
    """term * width + doc, in 32 bits when that is wide enough (they sort twice as fast)."""
    if n_terms * width <= 1 << 32:
        keys = term.astype(np.uint32)
        keys *= np.uint32(width)
        keys += doc.astype(np.uint32, copy=False)
        return keys
    return term.astype(np.int64) * width + doc


_PARALLEL_SORT = 2_000_000  # keys above which two threads share a sort


def sort_keys(keys: np.ndarray) -> None:
    """Sort in place; a big array is split at its median and sorted by two threads.

    Sorting dominates the build and numpy releases the GIL while it sorts.
    """
    if keys.size < _PARALLEL_SORT:
        keys.sort()
        return
    sample = keys[:: max(1, keys.size // 4096)]
    pivot = keys.dtype.type(np.median(sample))
    low = keys < pivot
    parts = [keys[low], keys[~low]]
    del low
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(np.ndarray.sort, parts))
    keys[: parts[0].size] = parts[0]
    keys[parts[0].size :] = parts[1]


def rows(keys: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """Distinct (term, doc) pairs, from keys term * width + doc, sorted, with their counts."""
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    sort_keys(keys)
    edge = np.empty(keys.size, dtype=bool)
    edge[0] = True
    np.not_equal(keys[1:], keys[:-1], out=edge[1:])
    starts = np.flatnonzero(edge)
    del edge
    counts = np.diff(starts, append=keys.size).astype(np.uint32)
    keys = keys[starts]
    del starts
    terms = keys // keys.dtype.type(width)
    keys -= terms * keys.dtype.type(width)
    return terms, keys, counts


def factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """(id of each value, distinct values in order of first appearance)."""
    distinct = list(dict.fromkeys(values))
    index = dict(zip(distinct, range(len(distinct)), strict=True))
    return np.fromiter(map(index.__getitem__, values), np.int64, len(values)), distinct


def chunk_tokens(chunks: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct words of all chunks, and each token's word id and chunk id.

    Per-word work is then done once per distinct word and per-token work in numpy. Uzbek
    Cyrillic chunks keep a list of their own so each distinct Cyrillic word is transliterated
    once. Each chunk's tokens stay contiguous and in order (bigrams rely on it).
    """
    n = len(chunks)
    flat: list[str] = []
    flat_cyr: list[str] = []
    lengths = np.zeros(n, dtype=np.int64)
    is_cyr = np.zeros(n, dtype=bool)
    for d, chunk in enumerate(chunks):
        ws, uz_cyrillic = split_words(chunk)
        lengths[d] = len(ws)
        if uz_cyrillic:
            is_cyr[d] = True
            flat_cyr.extend(ws)
        else:
            flat.extend(ws)
    main_ids, main_words = factorize(flat)
    cyr_ids, cyr_words = factorize(flat_cyr)
    del flat, flat_cyr
    # Transliterated Cyrillic words join the others' vocabulary (the same word in either script).
    word_of, words = factorize(main_words + [fold_to_latin(w) for w in cyr_words])
    tok_word = np.concatenate((word_of[main_ids], word_of[len(main_words) + cyr_ids]))
    doc_ids = np.arange(n, dtype=np.int64)
    tok_doc = np.concatenate(
        (
            np.repeat(doc_ids[~is_cyr], lengths[~is_cyr]),
            np.repeat(doc_ids[is_cyr], lengths[is_cyr]),
        )
    )
    return words, tok_word, tok_doc


def expand_keys(
    tok_word: np.ndarray,
    tok_doc: np.ndarray,
    word_n: np.ndarray,
    word_items: np.ndarray,
    n_items: int,
    n: int,
) -> np.ndarray:
    """Replace each token by its word's items (grams): one key item * n + chunk per item.

    The largest arrays of the build live here, so they are 32-bit whenever that is wide enough.
    """
    small = int(word_n.sum()) < 1 << 31 and len(tok_word) * MAX_GRAM_WORD < 1 << 31
    itype = np.int32 if small else np.int64
    word_n = word_n.astype(itype)
    tok_word = tok_word.astype(itype)
    reps = word_n[tok_word]
    ends = np.cumsum(reps, dtype=itype)
    first = (np.cumsum(word_n, dtype=itype) - word_n)[tok_word]
    pos = np.arange(int(ends[-1]) if ends.size else 0, dtype=itype)
    pos += np.repeat(first - (ends - reps), reps)
    del first, ends
    items = word_items.astype(itype)[pos]
    del pos
    return posting_keys(items, np.repeat(tok_doc.astype(itype), reps), max(n, 1), n_items)
