"""Password rules: length limits from configuration, argon2id hashing, verification, rehash."""

import pytest
from argon2 import PasswordHasher
from wtforms.validators import ValidationError

from forms.auth import PasswordLength
from models.user import User


class _Field:
    def __init__(self, data):
        self.data = data


def _check(password) -> str | None:
    """The validator's message for a password, or None when it is accepted."""
    try:
        PasswordLength()(None, _Field(password))
    except ValidationError as exc:
        return str(exc)
    return None


@pytest.fixture
def en(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield app


@pytest.mark.parametrize(
    "password,problem",
    [
        ("", "at least 8 characters"),
        (None, "at least 8 characters"),
        ("1234567", "at least 8 characters"),
        ("12345678", None),
        ("пароль-ёж", None),  # length is counted in characters, not bytes
        ("x" * 256, None),
        ("x" * 257, "too long"),
    ],
)
def test_password_length_rules(en, password, problem):
    message = _check(password)
    if problem is None:
        assert message is None
    else:
        assert problem in message


def test_minimum_length_follows_configuration(en):
    en.config["PASSWORD_MIN_LENGTH"] = 12
    try:
        assert "at least 12 characters" in _check("elevenchars")
        assert _check("twelve-chars") is None
    finally:
        en.config["PASSWORD_MIN_LENGTH"] = 8


def test_message_is_translated(app):
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert "8" in _check("short") and "at least" not in _check("short")


def test_hash_is_argon2id_salted_and_verifies(ctx):
    a, b = User(password_hash=""), User(password_hash="")
    a.set_password("correct-horse-42")
    b.set_password("correct-horse-42")
    assert a.password_hash.startswith("$argon2id$")
    assert a.password_hash != b.password_hash  # a fresh salt each time
    assert a.check_password("correct-horse-42")
    assert not a.check_password("correct-horse-43")
    assert not a.check_password("")


def test_production_parameters_meet_owasp_minimums():
    from models.user import _HASHER

    params = _HASHER._parameters
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


def test_a_corrupt_hash_is_a_failed_check_not_an_error(ctx):
    assert not User(password_hash="not-a-hash").check_password("anything")


def test_weaker_hashes_are_upgraded_on_a_successful_check(ctx):
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, salt_len=8)
    user = User(password_hash=old.hash("correct-horse-42"))
    before = user.password_hash
    assert user.check_password("correct-horse-42")
    assert user.password_hash != before and user.check_password("correct-horse-42")
