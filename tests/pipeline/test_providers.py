"""Answering threads are many; calls to one AI provider at once from a process are bounded."""

import threading

from ai import AIRequest, ChatTurn, ProviderSettings
from pipeline import providers
from tests.engine_helpers import configured
from tests.fakes.gemini import DEFAULT_KEY, FakeGemini


def test_calls_to_one_provider_never_exceed_its_limit(app):
    with FakeGemini() as gemini, configured(app, AI_CONCURRENCY=2):
        gemini.delay = 0.3
        settings = ProviderSettings("gemini", DEFAULT_KEY, "gemini-test", gemini.url, 10.0)
        request = AIRequest(system="Be brief.", turns=[ChatTurn("user", "Salom")])
        answers = []

        def ask():
            with app.app_context():
                answers.append(providers.call(settings, request).text)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(answers) == 6  # every caller got its answer, two at a time
        assert gemini.max_in_flight == 2
