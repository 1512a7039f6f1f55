"""Word evidence for language detection: weighted word lists, endings and letter rules."""

from __future__ import annotations

import re

from text.alphabet import RU_ONLY_CYRILLIC, UZ_ONLY_CYRILLIC

# Laughter, fillers and universal chat words carry no language.
_NEUTRAL_RE = re.compile(
    r"(?:[hx]a){2,}h?|(?:ха){2,}х?|(?:ах){2,}а?|(?:he){2,}|(?:хе){2,}|aha+|ha{2,}|m+|h+m+|"
    r"ok|okay|okey|oki|okk|ок|окей|оке|lol|лол|ага|aha|ugu|угу|ого|wow|вау|xd|"
    r"plus|минус|minus|super|супер|like|лайк|top|топ|class|klass|класс|ммм|hmm|э+|e+"
)

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


def is_neutral(tok: str) -> bool:
    """Fillers, laughter and letter-mashing ("ооооо", "ахахах") say nothing about language."""
    return bool(_NEUTRAL_RE.fullmatch(tok)) or (len(tok) >= 4 and len(set(tok)) <= 2)


def latin_evidence(toks: list[str]) -> tuple[dict[str, float], int]:
    """Word, letter and ending evidence per language for Latin tokens; also letters counted."""
    ev = {"uz": 0.0, "ru": 0.0, "en": 0.0}
    letters = 0
    for tok in toks:
        if is_neutral(tok):
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


def cyrillic_evidence(toks: list[str]) -> tuple[dict[str, float], int]:
    """Letter, word and ending evidence for uz vs ru in Cyrillic tokens; also letters counted."""
    ev = {"uz": 0.0, "ru": 0.0}
    letters = 0
    for tok in toks:
        if is_neutral(tok):
            continue
        letters += len(tok)
        chars = set(tok)
        uz_w = _UZ_CYRL.get(tok, 0.0)
        ru_w = _RU_CYRL.get(tok, 0.0)
        if chars & UZ_ONLY_CYRILLIC:
            uz_w = max(uz_w, 3.0)
        if chars & RU_ONLY_CYRILLIC:
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
