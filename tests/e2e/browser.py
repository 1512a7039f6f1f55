"""Helpers of the browser tests: screenshots for a person to look at, the navbar menus."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.factories import ROOT

ARTIFACTS = ROOT / "test-artifacts"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_menu(page, toggle: str) -> None:
    """Open a navbar dropdown once Bootstrap is listening.

    After a form posts and the browser lands on a new page, the navbar exists before the
    scripts at the end of <body> have run; a click in that gap opens nothing.  Waiting for
    the load event, and then for the menu itself, makes the click count.
    """
    page.wait_for_load_state("load")
    page.locator(f"#{toggle}").click()
    expect(page.locator(f"[aria-labelledby={toggle}]")).to_be_visible()


def switch_language(page, lang: str) -> None:
    """Choose a language in the navbar switcher and wait for the page to come back in it."""
    open_menu(page, "lang-menu")
    page.locator(f"button[data-lang={lang}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
