"""The one definition of an owner's status, in Python and in SQL, with frozen time."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from extensions import db
from models.user import User

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _user(**kw) -> User:
    base = dict(
        full_name="T",
        email=f"{id(kw)}@x.uz",
        phone=f"+99890{abs(hash(str(kw))) % 10**7:07d}",
        password_hash="x",
        created_at=NOW - timedelta(days=5),
        trial_ends_at=NOW + timedelta(hours=1),
    )
    base.update(kw)
    return User(**base)


@pytest.mark.parametrize(
    "fields,expected",
    [
        ({}, "trial"),
        ({"trial_ends_at": NOW}, "expired"),  # the trial ends exactly now
        ({"trial_ends_at": NOW - timedelta(seconds=1)}, "expired"),
        ({"plan": "monthly", "plan_expires_at": NOW + timedelta(days=3)}, "paid"),
        (
            {
                "trial_ends_at": NOW - timedelta(days=40),
                "plan": "monthly",
                "plan_expires_at": NOW - timedelta(minutes=1),
            },
            "expired",
        ),
        ({"banned_at": NOW - timedelta(days=1)}, "banned"),
        (
            {"banned_at": NOW, "plan": "annual", "plan_expires_at": NOW + timedelta(days=300)},
            "banned",
        ),
    ],
)
def test_status_at(fields, expected, ctx):
    user = _user(**fields)
    assert user.status_at(NOW) == expected
    with freeze_time(NOW):
        assert user.status == expected
        assert user.can_be_served == (expected in ("trial", "paid"))


def test_sql_status_matches_python(ctx):
    cases = {
        "trial": _user(email="a@x.uz", phone="+998901000001"),
        "expired": _user(
            email="b@x.uz", phone="+998901000002", trial_ends_at=NOW - timedelta(days=1)
        ),
        "paid": _user(
            email="c@x.uz",
            phone="+998901000003",
            plan="monthly",
            plan_expires_at=NOW + timedelta(days=1),
        ),
        "banned": _user(email="d@x.uz", phone="+998901000004", banned_at=NOW),
    }
    db.session.add_all(cases.values())
    db.session.commit()
    for status, user in cases.items():
        ids = db.session.scalars(select(User.id).where(User.status_clause(status, NOW))).all()
        assert ids == [user.id]
        assert (
            db.session.scalar(select(User.status_expression(NOW)).where(User.id == user.id))
            == status
        )


def test_registration_starts_a_three_day_trial(ctx):
    with freeze_time(NOW):
        user = User.register(
            "Ali Valiyev", " Ali@Example.UZ ", "+998901234567", "long-password", "ru"
        )
    assert user.trial_ends_at == NOW + timedelta(days=3)
    assert user.email == "ali@example.uz"
    assert user.status_at(NOW + timedelta(days=2, hours=23)) == "trial"
    assert user.status_at(NOW + timedelta(days=3)) == "expired"


def test_password_is_hashed_with_argon2(ctx):
    user = _user()
    user.set_password("s3cret-password")
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret" not in user.password_hash
    assert user.check_password("s3cret-password")
    assert not user.check_password("wrong-password")
    user.password_hash = "garbage"
    assert not user.check_password("s3cret-password")


def test_production_hasher_meets_owasp_minimum():
    from models.user import _HASHER

    params = _HASHER
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
