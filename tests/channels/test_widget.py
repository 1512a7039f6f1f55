"""The website chat's values: allowed sites normalised and checked, visitor and message ids,
the CSP sources, and the client whose send only records the reply."""

import pytest

from channels import CHANNELS
from channels.widget import (
    MAX_ORIGINS,
    OriginError,
    WidgetClient,
    client_id_of,
    external_id,
    frame_ancestors,
    normalise_origin,
    origin_allowed,
    parse_origins,
    valid_client_id,
    valid_visitor,
)


@pytest.mark.parametrize(
    "typed,origin",
    [
        ("shop.uz", "https://shop.uz"),
        ("  Shop.UZ/ ", "https://shop.uz"),
        ("https://www.shop.uz", "https://www.shop.uz"),
        ("https://www.shop.uz/contacts?x=1", "https://www.shop.uz"),
        ("https://shop.uz:443", "https://shop.uz"),
        ("https://shop.uz:8443", "https://shop.uz:8443"),
        ("localhost:8080", "http://localhost:8080"),
        ("http://localhost:8080/test.html", "http://localhost:8080"),
        ("127.0.0.1:5500", "http://127.0.0.1:5500"),
        ("https://localhost", "https://localhost"),
        ("my-shop.toshkent.uz", "https://my-shop.toshkent.uz"),
    ],
)
def test_a_typed_site_becomes_the_origin_browsers_send(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize(
    "typed,code",
    [
        ("http://shop.uz", "not_https"),
        ("ftp://shop.uz", "invalid"),
        ("javascript:alert(1)", "invalid"),
        ("shop", "invalid"),
        ("https://user:pw@shop.uz", "invalid"),
        ("https://shop.uz:99999", "invalid"),
        ("sh op.uz", "invalid"),
        ("*.shop.uz", "invalid"),
        ("https://-shop.uz", "invalid"),
        ("'none'", "invalid"),
        ("https://shop.uz;script-src", "invalid"),
    ],
)
def test_what_is_not_a_site_is_refused_with_a_reason(typed, code):
    with pytest.raises(OriginError) as caught:
        normalise_origin(typed)
    assert caught.value.code == code


def test_the_list_is_split_deduplicated_and_bounded():
    text = "shop.uz\nhttps://shop.uz, www.shop.uz  localhost:8080\n\n"
    assert parse_origins(text) == [
        "https://shop.uz",
        "https://www.shop.uz",
        "http://localhost:8080",
    ]
    assert parse_origins("") == []
    with pytest.raises(OriginError) as caught:
        parse_origins(" ".join(f"s{i}.uz" for i in range(MAX_ORIGINS + 1)))
    assert caught.value.code == "too_many"


def test_origin_check_accepts_our_own_pages_and_the_owners_sites_only():
    allowed = ["https://shop.uz"]
    assert origin_allowed("https://shop.uz", allowed, {"bot.example.test"})
    assert origin_allowed("https://bot.example.test", allowed, {"bot.example.test"})
    assert not origin_allowed("https://evil.uz", allowed, {"bot.example.test"})
    assert not origin_allowed("https://shop.uz.evil.uz", allowed, {"bot.example.test"})
    assert not origin_allowed(None, allowed, {"bot.example.test"})
    assert not origin_allowed("null", allowed, {"bot.example.test"})


def test_frame_ancestors_lists_the_sites_or_none():
    assert frame_ancestors(["https://shop.uz", "http://localhost:8080"]) == (
        "https://shop.uz http://localhost:8080"
    )
    assert frame_ancestors([]) == "'none'"


def test_ids_are_checked_and_joined_into_the_message_key():
    visitor, client = "v" * 24, "abc12345"
    assert valid_visitor(visitor) == visitor
    assert valid_visitor("short") is None
    assert valid_visitor(["v" * 24]) is None
    assert valid_visitor("v" * 23 + "/") is None
    assert valid_client_id(client) == client
    assert valid_client_id(12345678) is None
    key = external_id(visitor, client)
    assert len(external_id("v" * 48, "c" * 40)) <= 128
    assert client_id_of(key) == client
    assert client_id_of("12345") is None


def test_sending_records_the_reply_and_refuses_when_switched_off():
    assert WidgetClient(enabled=True).send("visitor", "Salom").ok
    off = WidgetClient(enabled=False).send("visitor", "Salom")
    assert not off.ok and "switched off" in off.error


def test_the_registry_knows_the_website_chat():
    channel = CHANNELS["web-widget"]
    assert channel.model_name == "WebWidget"
    assert channel.verify is None  # no webhook: the API checks the Origin instead
