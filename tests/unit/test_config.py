"""Configuration: one parser for booleans and numbers, database URLs, production safety."""

import pytest

import config
from config import DEV_SECRET_KEY, ProductionConfig, env, normalize_db_url


@pytest.mark.parametrize(
    "raw,expected",
    [("1", True), ("true", True), ("Yes", True), ("off", False), ("0", False), ("", False)],
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env("X_FLAG", None, bool) is expected


def test_bad_values_are_reported(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ValueError, match="X_FLAG"):
        env("X_FLAG", None, bool)
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ValueError, match="X_NUM"):
        env("X_NUM", 1, int)


def test_numbers_and_defaults(monkeypatch):
    monkeypatch.setenv("X_NUM", " 42 ")
    assert env("X_NUM", 1, int) == 42
    assert env("X_MISSING", 7, int) == 7


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls(url, expected):
    assert normalize_db_url(url) == expected


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "", "short"])
def test_production_refuses_a_weak_secret_key(monkeypatch, secret):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", secret)
    monkeypatch.setattr(ProductionConfig, "FERNET_KEY", "x")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig.validate()


def test_production_needs_a_fernet_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(ProductionConfig, "FERNET_KEY", "")
    with pytest.raises(RuntimeError, match="FERNET_KEY"):
        ProductionConfig.validate()


def test_app_env_selects_the_class(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    assert config.config_from_env() is ProductionConfig
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(RuntimeError):
        config.config_from_env()
