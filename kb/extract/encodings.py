"""Find the text encoding of a TXT or CSV upload: BOMs, UTF-8/16, then legacy code pages."""

from __future__ import annotations

import codecs
import itertools
import logging
import math
import re
import unicodedata
from typing import Any

from kb.extract.clean import CONTROL_RE
from kb.extract.errors import FileParseError

logger = logging.getLogger(__name__)

_ENCODING_SAMPLE_BYTES = 256 * 1024

# Relative frequency (per cent) of Russian letters; the scorer prefers decodings whose
# Cyrillic letters are common ones, which is what separates cp1251 from koi8-r reliably.
_RU_FREQ_TABLE = (
    "о10.97 е8.45 а8.01 и7.35 н6.70 т6.26 с5.47 р4.73 в4.54 л4.40 к3.49 м3.21 д2.98 п2.81 "
    "у2.62 я2.01 ы1.90 ь1.74 г1.70 з1.65 б1.59 ч1.44 й1.21 х0.97 ж0.94 ш0.73 ю0.64 ц0.48 "
    "щ0.36 э0.32 ф0.26 ъ0.04 ё0.04"
)
_RU_FREQ = {pair[0]: float(pair[1:]) for pair in _RU_FREQ_TABLE.split()}
# The commonest Russian bigrams: unigram frequencies alone cannot tell a short ALL-CAPS koi8-r
# line from the lower-case cp1251 gibberish it decodes to ("ЦЕНА" vs "геоб").
_RU_BIGRAM_TABLE = (
    "ст но то на ен ов ни ра во ко ал пр ер ет по ро ре ос ли ол ть ан од ом ка ел ор та ва ло "
    "ле го ак ат ин ит ля ес ла ри ве ди де ой ий не ил от ем ск ам он ых ис ия ти ог ие ав ме "
    "ми ма ед ес ег ая ую ль ся ат ьс ны на ци че ча ще ше жи зн зд да ду ту тр ру ры ку"
)
_RU_BIGRAMS = frozenset(_RU_BIGRAM_TABLE.split())
_CYR_OTHER_FREQ = 0.5  # ў қ ғ ҳ і є ї ґ: Uzbek, Ukrainian, Kazakh letters
_LEGACY_CODECS = ("cp1251", "cp1252", "koi8_r", "cp866")
_CLEAR_MARGIN = 0.15  # score gap above which our own pick stands
_PLAUSIBLE = -0.5  # below this, none of our code pages reads like real text
_WORD_RE = re.compile(r"\S+")
# Other code pages charset-normalizer may name; near-twins of ours (mac_cyrillic, cp1125) are
# left out because on short text they win by accident.
_SINGLE_BYTE = frozenset(
    ("cp1250", "cp1253", "cp1254", "cp1257", "iso8859_2", "iso8859_5", "iso8859_9", "iso8859_15")
)


def _char_score(ch: str) -> float:
    """Score one non-ASCII character: common letters positive, junk negative."""
    if "\u0400" <= ch <= "\u04ff":
        freq = _RU_FREQ.get(ch.lower(), _CYR_OTHER_FREQ if ch.isalpha() else 0.01)
        return math.log10(freq)
    category = unicodedata.category(ch)
    if category[0] == "L":
        return 0.0 if "\u00c0" <= ch <= "\u024f" else -1.0
    if category[0] in "PZ" or category in ("No", "Sc"):
        return 0.0  # « » – — “ ” ‘ ’ … № and currency signs occur in real text
    return -3.0  # controls, box drawing, symbols, U+FFFD: signs of a wrong code page


def _plausibility(text: str) -> float:
    """Score how natural a decoding looks; higher is better, per non-ASCII character."""
    score = 0.0
    count = 0
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if word.isascii():
            continue
        cyrillic = latin_ext = ascii_letters = 0
        for ch in word:
            if ch.isascii():
                ascii_letters += ch.isalpha()
                continue
            count += 1
            score += _char_score(ch)
            if "\u0400" <= ch <= "\u04ff":
                cyrillic += 1
            elif ch.isalpha():
                latin_ext += 1
        letters = [ch for ch in word if ch.isalpha()]
        if cyrillic and (ascii_letters or latin_ext):
            score -= 2.0 * cyrillic  # mixed scripts inside one word
        if latin_ext and not ascii_letters and latin_ext >= 3:
            score -= 1.0 * latin_ext  # 'Ïðèâåò': a whole word of accented Latin
        for prev, cur in itertools.pairwise(letters):
            if prev.islower() and cur.isupper():
                score -= 1.5  # 'пРИВЕТ': case flips inside a word
            if (prev + cur).lower() in _RU_BIGRAMS:
                score += 0.7
    return score / max(count, 1)


def _looks_utf16(sample: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by its zero (or Cyrillic 0x04) high bytes."""
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        zero_high = high.count(0) / half
        cyr_high = (high.count(0) + high.count(4)) / half
        if low.count(0) / half < 0.05 and (zero_high > 0.3 or cyr_high > 0.9):
            return codec
    return None


def _control_ratio(text: str) -> float:
    """Share of characters that are control codes other than ordinary whitespace."""
    if not text:
        return 0.0
    controls = len(CONTROL_RE.findall(text))
    return controls / len(text)


_Detected = tuple[str, str, str, list[tuple[str, dict[str, Any]]]]
_HIGH_BYTE_RE = re.compile(rb"[\x80-\xff]")


def detect_encoding(data: bytes) -> _Detected:
    """Return (codec, errors mode, decoded text, warnings) for text bytes, or raise 'encoding'."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(data, codec)
    utf16 = _looks_utf16(data[:_ENCODING_SAMPLE_BYTES])
    if utf16:
        try:
            return _checked(data, utf16)
        except FileParseError:
            pass
    try:
        return _checked(data, "utf-8", decoded=data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Mostly valid UTF-8 with a few broken bytes (a cut-off or concatenated file).
    loose = data.decode("utf-8", "replace")
    broken = loose.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    non_ascii = len(loose) - len(loose.encode("ascii", "ignore")) - broken
    if broken * 50 <= non_ascii:
        return _checked(data, "utf-8", errors="replace", decoded=loose)
    del loose
    # Score the legacy code pages where the non-ASCII bytes are, not on an ASCII preamble.
    first = _HIGH_BYTE_RE.search(data)
    start = max(0, (first.start() if first else 0) - 1024)
    return _checked(data, _guess_legacy(data[start : start + 65536]))


def _guess_legacy(sample: bytes) -> str:
    """Choose a single-byte code page: our plausibility score first, charset-normalizer second."""
    scored = sorted(
        (
            (_plausibility(sample.decode(codec, "replace")), -preference, codec)
            for preference, codec in enumerate(_LEGACY_CODECS)
        ),
        reverse=True,
    )
    (best_score, _p, best), (second_score, _q, second) = scored[0], scored[1]
    if best_score - second_score >= _CLEAR_MARGIN and best_score > _PLAUSIBLE:
        return best
    # Too close to call (short or unusual text): let charset-normalizer arbitrate, but only
    # between our finalists, or pick its code page when none of ours reads naturally.
    guess = _charset_normalizer_guess(sample)
    if guess in (best, second) or (guess and best_score <= _PLAUSIBLE):
        return guess
    return best


def _charset_normalizer_guess(sample: bytes) -> str:
    """Return charset-normalizer's single-byte code page for ``sample``, or ''."""
    try:
        import charset_normalizer

        match = charset_normalizer.from_bytes(sample).best()
        guess = codecs.lookup(match.encoding).name.replace("-", "_") if match else ""
    except Exception as exc:  # a detector failure only costs us its opinion
        logger.debug("file_parser: charset-normalizer failed: %s", type(exc).__name__)
        return ""
    return guess if guess in _LEGACY_CODECS or guess in _SINGLE_BYTE else ""


def _checked(
    data: bytes, codec: str, errors: str = "strict", decoded: str | None = None
) -> _Detected:
    """Confirm a codec decodes ``data`` into text, not binary; return it with warnings."""
    warnings: list[tuple[str, dict[str, Any]]] = []
    if decoded is None:
        try:
            decoded = data.decode(codec, errors)
        except UnicodeDecodeError:
            errors = "replace"
            decoded = data.decode(codec, errors)
    if errors == "replace":
        bad = decoded.count("\ufffd")
        if bad * 20 > len(decoded):
            raise FileParseError("encoding")
        if bad:
            warnings.append(("warn_chars_replaced", {}))
    if _control_ratio(decoded[:65536]) > 0.05:
        raise FileParseError("encoding")
    return codec, errors, decoded, warnings
