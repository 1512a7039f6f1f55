"""Fixtures of the answer tests: the fake Gemini server (one per module) wired into the app, with
the translation cache emptied, so each test sees its own translation calls."""

import pytest

from pipeline import translate
from tests.engine_helpers import configured
from tests.fakes.gemini import DEFAULT_KEY as GEMINI_KEY
from tests.fakes.gemini import FakeGemini


@pytest.fixture(scope="module")
def gemini_server():
    with FakeGemini() as server:
        yield server


@pytest.fixture
def gemini(app, gemini_server):
    gemini_server.reset()
    translate.clear_cache()
    with configured(app, GEMINI_API_KEY=GEMINI_KEY, GEMINI_BASE_URL=gemini_server.url):
        yield gemini_server
