"""Every catalogue is complete: no empty or fuzzy entries, and nothing marked is missing."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("uz", "ru", "en")


def _catalog(locale: str):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "ngettext:1,2",
            "-k",
            "lazy_ngettext:1,2",
            "--ignore-dirs",
            ".* ._ .venv node_modules tests bench",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with open(pot, "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_no_empty_or_fuzzy_entries(locale):
    catalog = _catalog(locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            problems.append(message.id)
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_marked_string_is_in_the_catalogue(locale, extracted):
    ids = {m.id for m in _catalog(locale) if m.id}
    assert sorted(map(str, extracted - ids)) == []


@pytest.mark.parametrize("locale", ["uz", "ru"])
def test_uzbek_and_russian_are_really_translated(locale):
    """Not left equal to the English msgid (brand names and symbols excepted)."""
    catalog = _catalog(locale)
    same = [
        m.id
        for m in catalog
        if m.id
        and isinstance(m.id, str)
        and m.string == m.id
        and any(c.isalpha() for c in m.id)
        and len(m.id) > 12
    ]
    assert same == []


def test_russian_plural_forms():
    catalog = _catalog("ru")
    assert catalog.num_plurals == 3
    plurals = [m for m in catalog if isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == 3 for m in plurals)
