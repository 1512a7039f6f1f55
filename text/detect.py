"""Detect a customer message's language: Uzbek (Latin/Cyrillic), Russian (+translit), English."""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from text.alphabet import APOSTROPHES
from text.lexicon import cyrillic_evidence, is_neutral, latin_evidence
from text.script import cyrillic_to_latin, translit_to_cyrillic

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

logger = logging.getLogger(__name__)

# How it decides: letters are split by script and everything is summed as log-odds.
# - Cyrillic: py3langid's ru-vs-uz score, plus ы/щ (Russian only) and ў/қ/ғ/ҳ (Uzbek only), word
#   lists and endings, plus a bonus when py3langid's top language for the Uzbek-Latin reading of
#   the text is Uzbek (catches Uzbek typed without the four special letters).
# - Latin: py3langid's en-vs-uz score on the text as typed and its ru-vs-uz score on the text
#   read as Cyrillic ("skolko stoit" becomes "сколко стоит", which the model knows as Russian),
#   plus o‘/g‘ in any apostrophe form, word lists and endings.
# The statistical model alone gets about 99.8% of the dev set; the word lists mainly make one- to
# three-word chat messages right and decide when an answer is confident.

LANGS = ("uz", "ru", "en")

# Input beyond this is not needed to know the language and would only cost time.
_MAX_CHARS = 2000
_MAX_TOKENS = 200


@dataclass(frozen=True)
class Detection:
    """Detected language, script and whether the signal is clear enough to switch language."""

    lang: str
    script: str
    confident: bool


# --------------------------------------------------------------------------- normalisation

# Every form of the Uzbek o‘/g‘ sign and the tutuq belgisi is read as the ASCII apostrophe.
_APOS_TABLE = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))

# Each alternative can only start at a fixed prefix or at the start of a non-space run, so the
# scan stays linear even on a 3000-character run without spaces.
_NOISE_RE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|(?<!\S)[^\s@]*@\S*"  # e-mail addresses and @mentions: names, not language
    r"|(?<![^\s(])(?:[\w-]+\.)+(?:com|uz|ru|org|net|io|me|info|biz|app|shop|store)\b\S*"
    r"|#\w+",  # hashtags
    re.IGNORECASE,
)
_QUOTE_SUFFIX_RE = re.compile(r"(?<=[^\W\d_])[»”\"](?=[^\W\d_])")
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_LATIN_LETTER_RE = re.compile(r"[a-zà-öø-ÿā-ž]")
_CYR_LETTER_RE = re.compile(r"[а-яёўқғҳіїєґ]")

# Latin letters that look like Cyrillic ones; people (and spammers) mix them inside words.
_LAT2CYR_HOMO = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_CYR2LAT_HOMO = str.maketrans("аеорсхукмтнв", "aeopcxykmthb")


def _normalise(text: str) -> str:
    """Fold apostrophes, compatibility forms and case; drop URLs, mentions, e-mails."""
    text = text[:_MAX_CHARS].translate(_APOS_TABLE)
    # NFKC turns fancy Instagram fonts (𝐬𝐚𝐥𝐨𝐦, ｓａｌｏｍ) into plain letters.
    text = unicodedata.normalize("NFKC", text)
    # Uzbek puts endings after a closing quote («Ipak yo‘li»ga): keep them on the word.
    text = _QUOTE_SUFFIX_RE.sub("", text)
    return _NOISE_RE.sub(" ", text).lower()


def _tokens(text: str) -> tuple[list[str], int, int]:
    """Split into letter tokens; return tokens and Latin/Cyrillic letter counts."""
    toks: list[str] = []
    n_lat = n_cyr = 0
    for tok in _TOKEN_RE.findall(text)[:_MAX_TOKENS]:
        lat = len(_LATIN_LETTER_RE.findall(tok))
        cyr = len(_CYR_LETTER_RE.findall(tok))
        if lat and cyr:
            # A homoglyph-mixed word: read it in its majority script.
            tok = tok.translate(_LAT2CYR_HOMO if cyr >= lat else _CYR2LAT_HOMO)
        n_lat += lat
        n_cyr += cyr
        toks.append(tok)
    return toks, n_lat, n_cyr


# --------------------------------------------------------------------------- statistical model

_model = None
_model_lock = threading.Lock()
_LOGIT_CLIP = 8.0


def _identifier() -> LanguageIdentifier:
    """Load the py3langid model once (about 0.6 s); it ships inside the package, no network."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                # Raw scores, so one pass gives any pairwise logit and the full distribution.
                _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    return _model


def warm_up() -> None:
    """Load the model now (e.g. at worker start) instead of on the first message."""
    _identifier()


def _scores(text: str) -> tuple[dict[str, float], float]:
    """Raw py3langid scores per language and the temperature that calibrates them."""
    scores = dict(_identifier().rank(text))
    # Same temperature as py3langid's norm_probs: keeps logits comparable across lengths.
    return scores, math.sqrt(len(text.encode("utf-8", "surrogatepass")) or 1)


def _logit(scores: dict[str, float], temp: float, a: str, b: str) -> float:
    """Clipped log-odds of language a over b, as py3langid restricted to {a, b} would give."""
    diff = (scores.get(a, -1e9) - scores.get(b, -1e9)) / temp
    return max(-_LOGIT_CLIP, min(_LOGIT_CLIP, diff))


# --------------------------------------------------------------------------- decision

# Minimum margin (log-odds) between the best and second language for a confident answer.
_CONF_MARGIN = 2.0
# A winner also needs this much word/letter evidence, or enough text for the model to be
# trusted: _CONF_LETTERS letters, or _CONF_SHORT_LETTERS with a margin of _CONF_SHORT_MARGIN.
_CONF_EVIDENCE = 2.5
_CONF_LETTERS = 12
_CONF_SHORT_LETTERS = 6
_CONF_SHORT_MARGIN = 4.0
# Evidence for Uzbek when, among all ~100 languages, py3langid's top pick for the Latin reading
# of a Cyrillic message is Uzbek.
_LATIN_READING_BONUS = 1.5


def _decide_cyrillic(toks: list[str]) -> tuple[str, float, float, int]:
    """Return (lang, margin, winner's rule evidence, letters) for Cyrillic tokens."""
    ev, letters = cyrillic_evidence(toks)
    text = " ".join(toks)
    scores, temp = _scores(text)
    model = _logit(scores, temp, "ru", "uz")
    # The Latin reading helps Uzbek typed on a Russian keyboard (к for қ, х for ҳ, у for ў).
    lat_scores, _ = _scores(" ".join(cyrillic_to_latin(t) for t in toks))
    lat_bonus = _LATIN_READING_BONUS if max(lat_scores, key=lat_scores.__getitem__) == "uz" else 0.0
    r = model + ev["ru"] - ev["uz"] - lat_bonus
    lang = "ru" if r > 0 else "uz"
    return lang, abs(r), ev[lang], letters


def _decide_latin(toks: list[str]) -> tuple[str, float, float, int]:
    """Return (lang, margin, winner's rule evidence, letters) for Latin tokens."""
    ev, letters = latin_evidence(toks)
    text = " ".join(toks)
    scores, temp = _scores(text)
    en_uz = _logit(scores, temp, "en", "uz")
    cyr_scores, cyr_temp = _scores(" ".join(translit_to_cyrillic(t) for t in toks))
    ru_uz = _logit(cyr_scores, cyr_temp, "ru", "uz")
    total = {
        "uz": ev["uz"],
        "en": en_uz + ev["en"],
        "ru": ru_uz + ev["ru"],
    }
    # English read as Cyrillic is noise the ru/uz model may still call Russian: let the English
    # model veto the Cyrillic reading when it is sure the Latin text is English.
    if en_uz > 0:
        total["ru"] -= en_uz
    ranked = sorted(total, key=lambda k: total[k], reverse=True)
    lang = ranked[0]
    return lang, total[lang] - total[ranked[1]], ev[lang], letters


def _decide(script: str, toks: list[str]) -> tuple[str, bool, float]:
    """Return (lang, confident, weight) for tokens of one script; weight ranks mixed scripts."""
    if all(is_neutral(t) for t in toks):
        # Only "ok", "lol", "ага"…: borrowed chat words, so guess by script, never confident.
        return ("ru" if script == "cyrl" else "en"), False, 0.0
    decide = _decide_cyrillic if script == "cyrl" else _decide_latin
    lang, margin, evidence, letters = decide(toks)
    confident = margin >= _CONF_MARGIN and (
        evidence >= _CONF_EVIDENCE
        or letters >= _CONF_LETTERS
        or (letters >= _CONF_SHORT_LETTERS and margin >= _CONF_SHORT_MARGIN)
    )
    return lang, confident, 2 * evidence + 0.25 * letters


def detect(text: str) -> Detection | None:
    """Detect language and script of a message; None when it has no letters to go on."""
    if not isinstance(text, str) or not text:
        return None
    if len(text) <= _MAX_CHARS:
        # Callers often ask twice about one message (choose_language, then detect for the script).
        return _detect_cached(text)
    return _detect(text)


def _detect(text: str) -> Detection | None:
    """Uncached detect(); never raises."""
    try:
        toks, n_lat, n_cyr = _tokens(_normalise(text))
        if not n_lat and not n_cyr:
            return None
        cyr = [t for t in toks if _CYR_LETTER_RE.search(t)]
        lat = [t for t in toks if not _CYR_LETTER_RE.search(t) and _LATIN_LETTER_RE.search(t)]
        parts = [(sc, tk) for sc, tk in (("cyrl", cyr), ("latn", lat)) if tk]
        results = [(*_decide(sc, tk), sc) for sc, tk in parts]
        # Mixed scripts ("Здравствуйте, narxi qancha?"): the part with more word evidence is the
        # language the customer writes in; bare letters count little, because the minority
        # script is mostly brand and product names ("Есть iPhone 15 Pro Max?").
        lang, confident, _, script = max(results, key=lambda r: r[2])
        return Detection(lang, script, confident)
    except Exception:  # a detector must never break the reply path
        logger.exception("language detection failed")
        return None


_detect_cached = functools.lru_cache(maxsize=1024)(_detect)


def choose_language(text: str, current: str | None, default: str) -> str:
    """Language to reply in: a clear detection, else the conversation's language, else default."""
    found = detect(text)
    if found is not None and found.confident:
        return found.lang
    return current or default
