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

# Every character people use for the Uzbek o‘/g‘ sign and the tutuq belgisi; folded to ASCII.
_APOSTROPHES = "ʻʼ`’‘′´ʹʽ"
_APOS_TABLE = str.maketrans({c: "'" for c in _APOSTROPHES})

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

# Laughter, fillers and universal chat words carry no language.
_NEUTRAL_RE = re.compile(
    r"(?:[hx]a){2,}h?|(?:ха){2,}х?|(?:ах){2,}а?|(?:he){2,}|(?:хе){2,}|aha+|ha{2,}|m+|h+m+|"
    r"ok|okay|okey|oki|okk|ок|окей|оке|lol|лол|ага|aha|ugu|угу|ого|wow|вау|xd|"
    r"plus|минус|minus|super|супер|like|лайк|top|топ|class|klass|класс|ммм|hmm|э+|e+"
)


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


# --------------------------------------------------------------------------- transliteration

_LAT_VOWELS = frozenset("aeiouy")
_LAT2CYR_MULTI = {
    "shch": "щ", "sch": "щ", "yo'": "йў", "o'": "ў", "g'": "ғ", "zh": "ж", "kh": "х",
    "ts": "ц", "ch": "ч", "sh": "ш", "yu": "ю", "ya": "я", "yo": "ё", "iy": "ий", "yy": "ый",
}  # fmt: skip
_LAT2CYR_ONE = dict(zip("abvgdzijklmnoprstufhxcwq'", "абвгдзижклмнопрстуфххцвқь", strict=True))
_LAT2CYR_RE = re.compile(r"shch|sch|yo'|[og]'|zh|kh|ts|ch|sh|y[uaoe]|iy|yy|.", re.DOTALL)

_CYR2LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "x", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "'", "ы": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ў": "o'",
    "қ": "q", "ғ": "g'", "ҳ": "h",
}  # fmt: skip


def _to_cyrillic(word: str) -> str:
    """Read a Latin word the way Russian translit and Uzbek Latin both map to Cyrillic."""

    def sub(m: re.Match[str]) -> str:
        s = m.group()
        pos = m.start()
        prev = word[pos - 1] if pos else ""
        if s == "ye":
            # "novye" is ые, "yest"/"moye" is е.
            return "ые" if prev and prev not in _LAT_VOWELS and prev != "'" else "е"
        if s in _LAT2CYR_MULTI:
            return _LAT2CYR_MULTI[s]
        if s == "y":
            return "ы" if prev and prev not in _LAT_VOWELS and prev != "'" else "й"
        if s == "e":
            # Both Russian ("eto") and Uzbek ("emas") write a word-initial e as э.
            return "э" if not prev else "е"
        if s == "j":
            nxt = word[pos + 1 : pos + 2]
            # Russian translit writes й as j after a vowel ("dobryj", "moj").
            return "й" if prev in _LAT_VOWELS and prev and nxt not in _LAT_VOWELS else "ж"
        return _LAT2CYR_ONE.get(s, s)

    return _LAT2CYR_RE.sub(sub, word)


def _to_latin(word: str) -> str:
    """Transliterate a Cyrillic word to Uzbek Latin (Russian comes out as plain translit)."""
    out = "".join(_CYR2LAT.get(c, c) for c in word)
    return "y" + out if word.startswith("е") else out


# --------------------------------------------------------------------------- lexicons
# Hand-written lists of frequent function words and customer-chat words. Weights are evidence in
# log-odds units: 3 = a word that on its own identifies the language, 1 = a hint.


def _lex(spec: str) -> dict[str, float]:
    """Parse 'weight: word word ...' lines into a word -> weight map."""
    out: dict[str, float] = {}
    for line in spec.strip().splitlines():
        weight, words = line.split(":", 1)
        for w in words.split():
            out[w] = float(weight)
    return out


def _with_bare_apostrophes(lex: dict[str, float]) -> dict[str, float]:
    """Add each o'/g' word also without the apostrophe, as people type it ("yoq", "togri")."""
    out = dict(lex)
    for w, weight in lex.items():
        out.setdefault(w.replace("'", ""), weight)
    return out


_UZ_LATN = _with_bare_apostrophes(
    _lex("""
3: assalomu rahmat raxmat qancha narxi narx bormi kerak kerakmi yo'q yo'qmi iltimos uchun bilan
3: qachon qayerda qaerda qanday qaysi nechta necha yaxshi yaxshimi menga sizga sizlar mumkin
3: mumkinmi buyurtma mahsulot yetkazib chegirma to'lov juda emas lekin chunki faqat nima nimaga
3: tushundim tushunarli ertaga bugun bo'ladi bo'ladimi bo'lsa bo'lib bo'lgan mayli xo'p ekan
3: beraman bering ayting yozing yuboring kerakli hozir keyin boshqa hamma agar balki salom
3: qilib qilish qiling manzil manzilingiz narxlar so'm sotib tayyor o'zbek o'zbekcha ruscha
3: assalom vaalaykum nechi nechchi pul
2: va ham edi bor yo'qmi yoki ammo endi hali oldin yangi katta zo'r dona biz siz ular shu bu
2: nega kim kecha soat kun hafta yil ish savol javob aka uka xop alaykum mening sizning
2: bizning uning qilsa olsam olish bersa men sen biror hech ko'p kam tez tezroq sekin qani
1: ha xa ta som opa
""")
)

_RU_LATN = _lex("""
3: privet zdravstvuyte zdravstvuite zdrastvuyte zdrasti zdravstvujte spasibo pozhaluysta
3: pojaluysta pozhalujsta pozhalusta pojalusta skolko mozhno mojno nuzhno nujno kogda pochemu
3: ochen horosho khorosho xorosho ladno seychas sejchas segodnya zavtra vchera hochu khochu
3: xochu dlya nichego zdes tozhe tolko uzhe esche eshche eshe dobryy dobryj dobriy dobryi
3: menya tebya rabotaete mozhet mojet podskazhite podskajite kakoy kakaya kakie kakoe kakoi
2: stoit stoimost tsena cena kak gde chto shto eto budet byl bylo byli byla mne vam vas vy ty
1: ona
2: oni zakaz zakazat oplata oplatit nalichie nalichii utro vecher nado mogu kto vsego vse
2: chem vot bolshoe tak bez mnogo malo pryamo skazhite skajite otvet otvette ne
1: da net est na po za ot iz nu ego ih dostavka den pri tam tut v s k
""")

_EN = _lex("""
3: the please thanks thank hello what how does you your would could available delivery
3: this that with have about which there where when want need sorry
2: is are was were of and much many price cost did our can will pls plz thx hi hey yes not
2: has for from why who here order send good great nice just get know an if or am deliver
1: be me my we in at by info more call to do so it
""")

_UZ_CYRL = _lex("""
3: ассалому рахмат раҳмат қанча канча нархи нарх борми керак керакми йўқ йук йок илтимос учун
3: билан қачон качон қаерда каерда қандай кандай қайси кайси нечта неча яхши яхшими менга сизга
3: сизлар мумкин мумкинми буюртма маҳсулот махсулот етказиб чегирма тўлов тулов жуда эмас лекин
3: чунки фақат факат нима нимага тушундим тушунарли эртага бугун бўлади булади бўладими буладими
3: бўлса булса майли хўп хоп экан беринг айтинг ёзинг юборинг ҳозир хозир кейин бошқа бошка
3: ҳамма хамма агар балки салом манзил сўм ўзбек ўзбекча русча ёки эди
3: ассалом ваалайкум нечи нечча пул аммо
2: ва ҳам хам бор ҳали хали энди олдин янги катта зўр зур дона биз сиз улар шу бу нега ким кеча
2: соат кун ҳафта хафта йил иш савол жавоб ака опа ука алайкум менинг сизнинг мен сен кўп куп
1: ҳа ха
""")

_RU_CYRL = _lex("""
3: что это привет спасибо здравствуйте пожалуйста сколько можно нужно когда почему очень хорошо
3: ладно сейчас сегодня завтра вчера хочу для ничего здесь тоже только уже еще ещё добрый мне
3: меня тебя работаете может подскажите какой какая какие какое если или вообще есть всё все
3: вам вас нас мы вы они будет был была было были кто скажите почем
2: стоит цена как где не но же так без при чем вот тут там заказ оплата день его их нет много
2: мало прямо ответ от из за на по он я наш ваш мой твой свой этот эта эти тот
1: да и в с к ну доставка скидка она
""")

# Word endings: (suffix, weight, minimum word length). Weak hints; the model does most work.
_UZ_LATN_SUFFIXES = (
    ("larni", 2.0, 7), ("larga", 2.0, 7), ("lardan", 2.0, 8), ("larda", 2.0, 7),
    ("laringiz", 2.5, 9), ("ingiz", 2.0, 7), ("ning", 1.5, 6), ("dagi", 1.5, 6),
    ("moqchiman", 3.0, 10), ("moqchi", 2.5, 8), ("yapti", 2.0, 7), ("yapman", 2.5, 8),
    ("yapsiz", 2.5, 8), ("ganman", 2.0, 8), ("siz", 1.0, 5), ("miz", 1.0, 5),
    ("lar", 1.0, 5), ("mi", 1.0, 5), ("dan", 0.5, 5), ("ga", 0.5, 5), ("di", 0.3, 5),
)  # fmt: skip
_RU_LATN_SUFFIXES = (
    ("skiy", 2.0, 6), ("skaya", 2.0, 7), ("skoe", 2.0, 6), ("skie", 2.0, 6),
    ("ogo", 2.0, 5), ("ego", 1.0, 5), ("tsya", 2.5, 6), ("tsa", 1.0, 5), ("aya", 1.0, 5),
    ("yye", 2.0, 5), ("oye", 1.5, 5), ("ykh", 2.0, 5), ("ovat", 1.5, 6), ("enie", 2.0, 6),
    ("eniye", 2.0, 7), ("nost", 1.5, 6), ("stvo", 1.5, 6), ("yut", 1.0, 5), ("ete", 1.0, 6),
    ("ite", 1.0, 6), ("yy", 1.5, 4), ("yj", 1.5, 4), ("oy", 0.5, 4),
)  # fmt: skip
_UZ_CYRL_SUFFIXES = (
    ("ларни", 2.0, 7), ("ларга", 2.0, 7), ("лардан", 2.0, 8), ("ларда", 2.0, 7),
    ("ларингиз", 2.5, 9), ("ингиз", 2.0, 7), ("нинг", 1.5, 6), ("даги", 1.5, 6),
    ("моқчиман", 3.0, 10), ("мокчиман", 3.0, 10), ("япти", 2.0, 6), ("япман", 2.5, 7),
    ("япсиз", 2.5, 7), ("ганман", 2.0, 8), ("сиз", 1.0, 5), ("миз", 1.0, 5),
    ("лар", 1.0, 5), ("дан", 0.5, 5), ("ди", 0.3, 5),
)  # fmt: skip
_RU_CYRL_SUFFIXES = (
    ("ский", 2.0, 6), ("ская", 2.0, 6), ("ское", 2.0, 6), ("ские", 2.0, 6),
    ("ого", 2.0, 5), ("его", 1.0, 5), ("ться", 2.5, 6), ("тся", 2.0, 5), ("ая", 1.0, 4),
    ("ые", 1.5, 4), ("ое", 1.0, 4), ("ых", 2.0, 4), ("ешь", 2.0, 5), ("ишь", 1.5, 5),
    ("ение", 2.0, 6), ("ость", 2.0, 6), ("ство", 1.5, 6), ("ют", 1.0, 5), ("ает", 1.0, 5),
    ("ете", 1.0, 5), ("ите", 1.0, 5), ("ый", 1.5, 4),
)  # fmt: skip

# Uzbek is agglutinative: "qayerdasiz" is "qayerda" + "siz", "manzilga" is "manzil" + "ga".
# Stripping up to two of these endings lets the word lists cover inflected forms.
_UZ_LATN_STRIP = (
    "sizlarmi", "misiz", "mizmi", "sizmi", "larmi", "lardan", "larda", "larga", "larni", "lari",
    "ingiz", "ngiz", "imiz", "ning", "dagi", "lar", "dan", "siz", "miz", "man", "dir", "chi",
    "roq", "da", "ga", "ni", "mi", "si", "gi",
)  # fmt: skip
_UZ_CYRL_STRIP = (
    "сизларми", "мисиз", "мизми", "сизми", "ларми", "лардан", "ларда", "ларга", "ларни", "лари",
    "ингиз", "нгиз", "имиз", "нинг", "даги", "лар", "дан", "сиз", "миз", "ман", "дир", "чи",
    "роқ", "рок", "да", "га", "ни", "ми", "си", "ги",
)  # fmt: skip
_STEM_FACTOR = 0.7
_MIN_STEM = 3

_UZ_OG_RE = re.compile(r"[og]'[^\W\d_]")
_UZ_CYR_LETTERS = frozenset("ўқғҳ")
_RU_CYR_LETTERS = frozenset("ыщ")
_EN_EXCEPTIONS = frozenset({"o'clock"})


def _suffix_weight(tok: str, table: tuple[tuple[str, float, int], ...]) -> float:
    """Weight of the first (longest-listed) matching ending, else 0."""
    for suf, weight, min_len in table:
        if len(tok) >= min_len and tok.endswith(suf):
            return weight
    return 0.0


def _stem_weight(tok: str, lex: dict[str, float], endings: tuple[str, ...]) -> float:
    """Weight of a lexicon word found by stripping one or two Uzbek endings, else 0."""
    stems = [tok]
    for _ in range(2):
        nxt = []
        for stem in stems:
            for end in endings:
                if stem.endswith(end) and len(stem) - len(end) >= _MIN_STEM:
                    base = stem[: -len(end)]
                    if lex.get(base, 0.0) >= 2.0:
                        return _STEM_FACTOR * lex[base]
                    nxt.append(base)
        stems = nxt
    return 0.0


def _is_neutral(tok: str) -> bool:
    """Fillers, laughter and letter-mashing ("ооооо", "ахахах") say nothing about language."""
    return bool(_NEUTRAL_RE.fullmatch(tok)) or (len(tok) >= 4 and len(set(tok)) <= 2)


def _latin_evidence(toks: list[str]) -> tuple[dict[str, float], int]:
    """Word, letter and ending evidence per language for Latin tokens; also letters counted."""
    ev = {"uz": 0.0, "ru": 0.0, "en": 0.0}
    letters = 0
    for tok in toks:
        if _is_neutral(tok):
            continue
        letters += len(tok)
        if tok in _EN_EXCEPTIONS:
            ev["en"] += 2.0
            continue
        uz_w = _UZ_LATN.get(tok, 0.0)
        ru_w = _RU_LATN.get(tok, 0.0)
        en_w = _EN.get(tok, 0.0)
        if _UZ_OG_RE.search(tok):
            # o‘/g‘ is the Uzbek Latin letter; nothing else writes a letter-apostrophe-letter so.
            uz_w = max(uz_w, 3.0)
        elif "q" in tok and "qu" not in tok:
            uz_w = max(uz_w, 2.0)
        if "zh" in tok or "shch" in tok:
            ru_w = max(ru_w, 2.0)
        if "w" in tok or "th" in tok:
            en_w = max(en_w, 1.0)
        if not (uz_w or ru_w or en_w):
            uz_w = _stem_weight(tok, _UZ_LATN, _UZ_LATN_STRIP)
        if not (uz_w or ru_w or en_w):
            uz_w = _suffix_weight(tok, _UZ_LATN_SUFFIXES)
            ru_w = _suffix_weight(tok, _RU_LATN_SUFFIXES)
        ev["uz"] += uz_w
        ev["ru"] += ru_w
        ev["en"] += en_w
    return ev, letters


def _cyrillic_evidence(toks: list[str]) -> tuple[dict[str, float], int]:
    """Letter, word and ending evidence for uz vs ru in Cyrillic tokens; also letters counted."""
    ev = {"uz": 0.0, "ru": 0.0}
    letters = 0
    for tok in toks:
        if _is_neutral(tok):
            continue
        letters += len(tok)
        chars = set(tok)
        uz_w = _UZ_CYRL.get(tok, 0.0)
        ru_w = _RU_CYRL.get(tok, 0.0)
        if chars & _UZ_CYR_LETTERS:
            uz_w = max(uz_w, 3.0)
        if chars & _RU_CYR_LETTERS:
            ru_w = max(ru_w, 3.0)
        if not (uz_w or ru_w):
            uz_w = _stem_weight(tok, _UZ_CYRL, _UZ_CYRL_STRIP)
        if not (uz_w or ru_w):
            uz_w = _suffix_weight(tok, _UZ_CYRL_SUFFIXES)
            ru_w = _suffix_weight(tok, _RU_CYRL_SUFFIXES)
            if tok.endswith("ми") and len(tok) >= 5 and tok[-3] not in "аяь":
                # Uzbek question particle; Russian -ами/-ями/-ьми are instrumental plurals.
                uz_w = max(uz_w, 1.0)
        ev["uz"] += uz_w
        ev["ru"] += ru_w
    return ev, letters


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
    ev, letters = _cyrillic_evidence(toks)
    text = " ".join(toks)
    scores, temp = _scores(text)
    model = _logit(scores, temp, "ru", "uz")
    # The Latin reading helps Uzbek typed on a Russian keyboard (к for қ, х for ҳ, у for ў).
    lat_scores, _ = _scores(" ".join(_to_latin(t) for t in toks))
    lat_bonus = _LATIN_READING_BONUS if max(lat_scores, key=lat_scores.__getitem__) == "uz" else 0.0
    r = model + ev["ru"] - ev["uz"] - lat_bonus
    lang = "ru" if r > 0 else "uz"
    return lang, abs(r), ev[lang], letters


def _decide_latin(toks: list[str]) -> tuple[str, float, float, int]:
    """Return (lang, margin, winner's rule evidence, letters) for Latin tokens."""
    ev, letters = _latin_evidence(toks)
    text = " ".join(toks)
    scores, temp = _scores(text)
    en_uz = _logit(scores, temp, "en", "uz")
    cyr_scores, cyr_temp = _scores(" ".join(_to_cyrillic(t) for t in toks))
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
    if all(_is_neutral(t) for t in toks):
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


def detect_language(text: str) -> str | None:
    """Return "uz", "ru" or "en" for the message, or None when there is no signal."""
    found = detect(text)
    return found.lang if found else None


def choose_language(text: str, current: str | None, default: str) -> str:
    """Language to reply in: a clear detection, else the conversation's language, else default."""
    found = detect(text)
    if found is not None and found.confident:
        return found.lang
    return current or default
