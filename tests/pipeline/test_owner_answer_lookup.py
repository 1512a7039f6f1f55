"""The owner's pairs are matched through a per-owner index (pipeline.owner_answers): a bounded
lookup a message, the same pair as scoring every pair, and every change seen at once."""

import pytest
from sqlalchemy import event

from extensions import db
from models.owner_answer import OwnerAnswer
from pipeline import owner_answers
from text.alike import score

PRODUCTS = [f"{b} {m}" for b in ("Samsung", "Redmi", "Artel", "Honor") for m in ("A15", "Note 12")]
TEMPLATES = [
    "{p} narxi qancha?", "{p} nasiyaga olsa boladimi?", "Сколько стоит {p}?",
    "Доставка {p} в Самарканд", "Is {p} in stock?", "Warranty for {p}?",
]  # fmt: skip


@pytest.fixture
def shop(app, owner):
    owner_answers.clear_cache()
    with app.app_context():
        for t in TEMPLATES:
            for p in PRODUCTS:
                q = t.format(p=p)
                db.session.add(OwnerAnswer(user_id=owner.id, question=q, answer=f"A: {q}"))
        db.session.commit()
    return owner


def _scan(user_id, readings):
    """Every pair scored (how matching worked before): the best, the newest of equals."""
    best = None
    for pair in OwnerAnswer.for_user(user_id):
        found = max(score(r, pair.question) for r in readings)
        if found > 0 and (best is None or found > best[1]):
            best = (pair.id, found)
    return best


@pytest.mark.parametrize(
    "readings",
    [
        ["samsung a15 narxi qancha"],
        ["Самсунг А15 нархи қанча?"],
        ["сколько стоит redmi note 12", "skolko stoit redmi note 12"],
        ["Is Artel A15 in stock?"],
        ["Honor Note 12 nasiyaga olsa bo'ladimi"],
        ["Vertolyot sotasizmi?"],
        ["Delivery of Honor A15 to Samarkand?", "Доставка Honor A15 в Самарканд?"],
    ],
)
def test_the_index_finds_the_pair_scoring_every_pair_finds(app, shop, readings):
    with app.app_context():
        found = owner_answers.best_match(shop.id, readings)
        expected = _scan(shop.id, readings)
        assert (found and (found.pair_id, found.score)) == expected


def test_a_warm_lookup_is_two_small_queries_whatever_the_number_of_pairs(app, shop):
    with app.app_context():
        owner_answers.best_match(shop.id, ["is samsung a15 in stock"])  # builds the index
        statements = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            found = owner_answers.best_match(shop.id, ["is samsung a15 in stock"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        assert found.answer == "A: Is Samsung A15 in stock?"
        assert len(statements) == 2
        assert "count(" in statements[0].lower()  # the pairs' version
        assert "owner_answers.id = " in statements[1]  # the one pair found, by key


def test_added_edited_and_deleted_pairs_are_seen_by_the_next_message(app, owner):
    owner_answers.clear_cache()
    with app.app_context():
        assert owner_answers.best_match(owner.id, ["Kredit bormi?"]) is None
        pair = OwnerAnswer.create(owner.id, "Kredit bormi?", "Ha, 12 oyga.")
        db.session.commit()
        assert owner_answers.best_match(owner.id, ["kredit bormi"]).answer == "Ha, 12 oyga."
        pair.change("Parkovka bormi?", "Ha, do‘kon orqasida.")
        db.session.commit()
        assert owner_answers.best_match(owner.id, ["kredit bormi"]) is None
        assert owner_answers.best_match(owner.id, ["parkovka bormi"]).answer.startswith("Ha, do")
        newer = OwnerAnswer.create(owner.id, "Parkovka bormi?", "Ha, bepul.")
        db.session.commit()
        assert owner_answers.best_match(owner.id, ["parkovka bormi"]).pair_id == newer.id
        db.session.delete(newer)
        db.session.delete(pair)
        db.session.commit()
        assert owner_answers.best_match(owner.id, ["parkovka bormi"]) is None


def test_another_owners_pairs_never_match(app, shop, user_factory):
    other = user_factory()
    with app.app_context():
        assert owner_answers.best_match(other.id, ["samsung a15 narxi qancha"]) is None
