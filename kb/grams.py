"""Character 4-grams of words, numbered as integers without building strings."""

from __future__ import annotations

import numpy as np

# Character 4-grams are numbered without building strings: each character of the index's
# alphabet is a digit, a gram is two character pairs, each observed pair gets a rank, and the
# gram's code is rank(first pair) * number of pairs + rank(second pair). The one 3-character
# gram of a one-letter word ("#a#") is padded with an extra digit. With the few dozen letters
# transliteration leaves, codes stay small enough to be numbered through a lookup table.
MAX_GRAM_WORD = 32  # longer "words" (hashes, URLs) get grams of their start only
_LOOKUP_LIMIT = 1 << 22  # codes below this are numbered through a table (16 MB, transient)


def numbering(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct codes, each code's position among them), like np.unique.

    Small codes go through a lookup table, in linear time; others are sorted.
    """
    if codes.size and int(codes.max()) < _LOOKUP_LIMIT:
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        distinct = np.flatnonzero(present).astype(codes.dtype)
        table = np.zeros(present.size, dtype=np.int64)
        table[distinct] = np.arange(distinct.size)
        return distinct, table[codes]
    distinct, ids = np.unique(codes, return_inverse=True)
    return distinct, ids.reshape(-1)


def gram_codes(surfaces: list[str]) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """(alphabet, sorted pair codes, per-gram codes in word order, grams per word)."""
    trunc = [w[:MAX_GRAM_WORD] for w in surfaces]
    marked = np.fromiter(map(len, trunc), np.int64, len(trunc)) + 2
    text = "#" + "##".join(trunc) + "#" if trunc else ""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[cps] = True
    alphabet = "".join(map(chr, np.flatnonzero(present).tolist()))
    base = len(alphabet) + 1
    digits = np.append((np.cumsum(present) - 1)[cps], base - 1)  # base - 1 is the pad digit
    per_word = np.maximum(marked - 3, 1)
    gram_start = (np.cumsum(marked) - marked) - (np.cumsum(per_word) - per_word)
    pos = np.arange(int(per_word.sum()), dtype=np.int64) + np.repeat(gram_start, per_word)
    last = digits[pos + 3]
    last[np.repeat(marked == 3, per_word)] = base - 1
    first_pair, pair_ids = numbering(
        np.concatenate((digits[pos] * base + digits[pos + 1], digits[pos + 2] * base + last))
    )
    half = pos.size
    codes = pair_ids[:half] * first_pair.size + pair_ids[half:]
    return alphabet, first_pair, codes, per_word


def query_gram_codes(surface: str, alphabet: dict[str, int], pairs: dict[int, int]) -> list[int]:
    """The 4-gram codes of one word that can exist in an index with these letters and pairs."""
    base = len(alphabet) + 1
    x = "#" + surface[:MAX_GRAM_WORD] + "#"
    d = [alphabet.get(c, -1) for c in x]
    if len(d) == 3:
        d.append(base - 1)
    codes = []
    for i in range(len(d) - 3):
        a, b, c, e = d[i : i + 4]
        if min(a, b, c, e) >= 0:
            left, right = pairs.get(a * base + b), pairs.get(c * base + e)
            if left is not None and right is not None:
                codes.append(left * len(pairs) + right)
    return codes
