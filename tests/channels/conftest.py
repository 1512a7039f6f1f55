"""Fixtures of the channel adapter tests: the fake Bot API and Graph API, and clients of them.

The servers are named adapter_* so they do not replace tests.channel_fixtures' tg_server and
graph_server, which the channels page tests in this folder use.
"""

from __future__ import annotations

import pytest

from channels.instagram import InstagramClient
from channels.telegram_client import TelegramClient
from channels.whatsapp import WhatsAppClient
from tests.channels.adapters import (
    BOT_ID,
    BOT_TOKEN,
    IG_ACCOUNT,
    IG_PAGE,
    IG_TOKEN,
    WA_PHONE_ID,
    WA_TOKEN,
    Sleeps,
)
from tests.fakes.graph import (
    FakeGraph,
)
from tests.fakes.telegram import (
    FakeTelegram,
)


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def adapter_tg_server():
    server = FakeTelegram().start()
    server.add_bot(BOT_TOKEN, BOT_ID, "bilim_shop_bot", "Bilim Shop")
    yield server
    server.stop()


@pytest.fixture
def tg(adapter_tg_server: FakeTelegram) -> FakeTelegram:
    adapter_tg_server.reset()
    return adapter_tg_server


@pytest.fixture(scope="module")
def adapter_graph_server():
    server = FakeGraph().start()
    server.add_whatsapp_number(WA_PHONE_ID, WA_TOKEN, "+998 71 200 00 00", "Bilim Shop")
    server.add_instagram_account(IG_ACCOUNT, IG_TOKEN, "bilim_shop", "Bilim Shop", IG_PAGE)
    yield server
    server.stop()


@pytest.fixture
def graph(adapter_graph_server: FakeGraph) -> FakeGraph:
    adapter_graph_server.reset()
    return adapter_graph_server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def bot(tg: FakeTelegram, sleeps: Sleeps) -> TelegramClient:
    return TelegramClient(BOT_TOKEN, base_url=tg.url, timeout=5.0, sleep=sleeps)


@pytest.fixture
def wa(graph: FakeGraph, sleeps: Sleeps) -> WhatsAppClient:
    return WhatsAppClient(WA_TOKEN, WA_PHONE_ID, base_url=graph.url, timeout=5.0, sleep=sleeps)


@pytest.fixture
def ig(graph: FakeGraph, sleeps: Sleeps) -> InstagramClient:
    return InstagramClient(IG_TOKEN, IG_ACCOUNT, base_url=graph.url, timeout=5.0, sleep=sleeps)
