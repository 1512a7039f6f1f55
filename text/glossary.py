"""Common small-business terms in Uzbek (Latin; Cyrillic is read in Latin), Russian and English.

Offline there is no translator: "muddatli to'lov" has to find "рассрочка", "is there parking?"
"Парковка есть", "доставка" "етказиб бериш". Each concept lists its terms in the three languages;
a term is one or more words, read through text.match (the retriever's normalisation: scripts,
apostrophes, stems, 4-grams); a word ending in "*" matches every word that starts with it
("yetkaz*": yetkazish, yetkazasizlarmi). A question mentioning a concept is searched with the
concept's other terms too, and a sentence holding any of its terms covers that part of the
question. City names are here because Russian and Uzbek spell them apart (Бухара, Buxoro).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from text.match import Word, words
from text.tokens import normalize

# name: terms separated by ";". Marked "#" when the concept asks for a number (a price, a phone
# number, opening hours): a sentence with digits then answers it better than one without.
_CONCEPTS = {
    "delivery": "доставка; доставить; доставляете; доставите; доставкой; yetkazib berish; "
    "yetkaz*; dostavka; delivery; deliver*; shipping; courier; курьер; kuryer",
    "price#": "цена; стоимость; стоит; почем; прайс; narx*; baho*; price*; cost*",
    "installment": "рассрочка; рассрочку; в кредит; кредит; nasiya; muddatli tolov; bolib tolash; "
    "kredit; installment*; instalment*; credit; pay later",
    "parking": "парковка; парковку; припарковаться; стоянка; parkovka; avtoturargoh; "
    "mashina qoyish; mashina qoyadigan; parking; park",
    "address#": "адрес; находитесь; находится; расположены; ориентир; manzil*; joylashgan; "
    "joylash*; address; location; located",
    "hours#": "часы работы; режим работы; график; работаете; работаем; открываетесь; открыты; "
    "ish vaqti; ish vaqt*; ishlaysiz*; ochilasiz*; ochiq; hours; open*; schedule; working",
    "return": "возврат; вернуть; обмен; обменять; qaytarish; qaytar*; almashtir*; return*; "
    "refund*; exchange",
    "warranty": "гарантия; гарантию; kafolat*; garantiya; warranty; guarantee",
    "discount": "скидка; скидки; скидку; акция; chegirma*; aksiya; skidka; discount*; sale",
    "payment": "оплата; оплатить; оплачивать; карта; картой; наличные; наличными; tolov; tola*; "
    "naqd; karta; plastik; payment; pay; paying; card; cash",
    "doctor": "врач; доктор; специалист; shifokor*; vrach; doktor; doctor*; physician",
    "appointment": "запись; записаться; прием; приём; qabul*; yozil*; appointment; booking; book",
    "order": "заказ; заказать; заказываю; buyurtma*; zakaz; order*",
    "phone#": "телефон; номер телефона; позвонить; телефон номер; telefon; telefon raqam*; "
    "qongiroq; raqam*; nomer; phone; call; number",
    "tracking": "отслеживание; отследить; трекинг; kuzat*; track*",
    "business": "бизнес; компания; организация; юрлицо; biznes; kompaniya; tashkilot; "
    "business*; company; corporate",
    "weight": "вес; весит; кг; килограмм; ogirlik*; ogirligi; kg; kilogramm; weight; weigh*",
    "tashkent": "Ташкент; Toshkent; Tashkent",
    "samarkand": "Самарканд; Samarqand; Samarkand",
    "bukhara": "Бухара; Buxoro; Bukhara",
    "fergana": "Фергана; Fargona; Fergana",
    "andijan": "Андижан; Andijon; Andijan",
    "namangan": "Наманган; Namangan",
    "nukus": "Нукус; Nukus",
    "khiva": "Хива; Xiva; Khiva",
    "urgench": "Ургенч; Urganch; Urgench",
    "karshi": "Карши; Qarshi; Karshi",
    "navoi": "Навои; Navoiy; Navoi",
    "jizzakh": "Джизак; Jizzax; Jizzakh",
    "termez": "Термез; Termiz; Termez",
    "kokand": "Коканд; Qoqon; Kokand",
}


@dataclass(frozen=True)
class _Pattern:
    word: Word | None  # matched as the retriever reads words
    prefix: str = ""  # or by its beginning ("yetkaz*")

    def matches(self, other: Word) -> bool:
        if self.prefix:
            return other.surface.startswith(self.prefix)
        # Exact words only: 4-gram likeness would take "Payme" for "payment".
        return self.word is not None and self.word.same(other)


@dataclass(frozen=True)
class Concept:
    """One business notion and its terms across languages."""

    name: str
    terms: tuple[tuple[_Pattern, ...], ...]
    texts: tuple[str, ...]  # the terms as written, for query expansion
    wants_number: bool

    def _term_at(self, term: tuple[_Pattern, ...], found: list[Word]) -> list[int] | None:
        at = []
        for pattern in term:
            hit = next((i for i, w in enumerate(found) if pattern.matches(w)), None)
            if hit is None:
                return None
            at.append(hit)
        return at

    def positions(self, found: list[Word]) -> list[int]:
        """Indexes of the words of `found` that its terms take up ([] when it is absent)."""
        out: set[int] = set()
        for term in self.terms:
            out.update(self._term_at(term, found) or ())
        return sorted(out)

    def in_words(self, found: list[Word]) -> bool:
        """Whether any of its terms occurs in the words."""
        return any(self._term_at(term, found) is not None for term in self.terms)


def _pattern(raw: str) -> _Pattern | None:
    if raw.endswith("*"):
        return _Pattern(None, normalize(raw[:-1]))
    read = [w for w in words(raw) if not w.stop]
    return _Pattern(read[0]) if read else None


@cache
def concepts() -> tuple[Concept, ...]:
    """The glossary, read once (stemming needs the stemmers loaded)."""
    out = []
    for key, spec in _CONCEPTS.items():
        texts = tuple(t.strip() for t in spec.split(";") if t.strip())
        terms = []
        for text in texts:
            patterns = [_pattern(w) for w in text.split()]
            terms.append(tuple(p for p in patterns if p is not None))
        out.append(Concept(key.rstrip("#"), tuple(terms), texts, key.endswith("#")))
    return tuple(out)


def mentioned(found: list[Word]) -> list[tuple[Concept, list[int]]]:
    """The concepts a question's words mention, each with the indexes of the words it takes."""
    out = []
    for concept in concepts():
        at = concept.positions(found)
        if at:
            out.append((concept, at))
    return out


def expand(text: str) -> str | None:
    """The question followed by the other-language terms of the concepts it mentions (for
    retrieval), or None when it mentions none."""
    found = mentioned(words(text))
    if not found:
        return None
    extra = [t.rstrip("*") for concept, _ in found for t in concept.texts]
    return f"{text} {' '.join(extra)}"
