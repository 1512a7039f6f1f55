"""Stemming for the search: Snowball for English and Russian, a suffix stripper for Uzbek."""

from __future__ import annotations

import threading

import Stemmer

from text.alphabet import wordset

# Uzbek suffixes (Latin, apostrophes removed), stripped longest first, a few times over, since
# Uzbek stacks them: plural + possessive + case + particle (kitob-lar-imiz-dan-mi).
_UZ_SUFFIXES = wordset(
    """
    lar lari larimiz laringiz larim laring
    im ing i si imiz ingiz miz ngiz
    ning ni ga ka qa da ta dan tan dagi tagi gacha kacha qacha niki
    dek day cha lik liq li siz chi chilik viy iy gi ki qi
    moq moqda moqchi ish ishi ishni ishga ishda ishdan sh ib gan kan qan ganda gani ganlar
    gach guncha yotgan yotir yap yapti yapmiz adi ydi adigan ydigan di dik dim ding dingiz dilar
    adilar ydilar mas maydi madi sa sin man san mi ku gina kina qina oq yoq dir tir
    """
)
_UZ_MIN_STEM = 3
# Suffix lengths to try, longest first, keyed by the word's last letter (fewer lookups).
_UZ_SUFFIX_LENGTHS: dict[str, tuple[int, ...]] = {
    last: tuple(sorted({len(x) for x in _UZ_SUFFIXES if x[-1] == last}, reverse=True))
    for last in {x[-1] for x in _UZ_SUFFIXES}
}


def uz_stem(word: str) -> str:
    """Strip stacked Uzbek suffixes, keeping a stem of at least three letters."""
    for _ in range(3):
        for n in _UZ_SUFFIX_LENGTHS.get(word[-1:], ()):
            if len(word) - n >= _UZ_MIN_STEM and word[-n:] in _UZ_SUFFIXES:
                word = word[:-n]
                break
        else:
            break
    return word


# PyStemmer objects keep an internal cache and are not safe to share between threads.
_local = threading.local()


def stemmers() -> tuple[Stemmer.Stemmer, Stemmer.Stemmer]:
    """This thread's (English, Russian) Snowball stemmers."""
    pair = getattr(_local, "stemmers", None)
    if pair is None:
        # No stemmer cache: with a big vocabulary it only evicts, and it is 5x slower that way.
        pair = (Stemmer.Stemmer("english", 0), Stemmer.Stemmer("russian", 0))
        _local.stemmers = pair
    return pair
