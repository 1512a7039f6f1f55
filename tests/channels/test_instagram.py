"""Instagram adapter: webhook parsing and the messaging client against the fake."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from channels import instagram
from channels.instagram import InstagramClient
from tests.channels.adapters import (
    IG_ACCOUNT,
    IG_PAGE,
    IG_TOKEN,
    MALFORMED,
    TEXTS,
    _one,
)
from tests.fakes.graph import (
    FakeGraph,
    instagram_attachment_payload,
    instagram_changes_payload,
    instagram_deleted_payload,
    instagram_echo_payload,
    instagram_edit_payload,
    instagram_envelope,
    instagram_item,
    instagram_postback_payload,
    instagram_reaction_payload,
    instagram_read_payload,
    instagram_text_payload,
    merge_payloads,
)


# --- Instagram: parsing --------------------------------------------------------------------------
class TestInstagramParse:
    @pytest.mark.parametrize("lang", ["uz", "ru", "en"])
    def test_text(self, lang: str) -> None:
        payload = instagram_text_payload(TEXTS[lang], sender_id="IGSID9", mid="mid.1",
                                         timestamp_ms=1_700_000_000_123)  # fmt: skip
        event = _one(instagram.parse_payload(payload))
        assert event.platform == "instagram"
        assert event.account_key == IG_ACCOUNT
        assert (event.kind, event.text, event.external_id) == ("text", TEXTS[lang], "mid.1")
        assert (event.sender_id, event.recipient_id) == ("IGSID9", IG_ACCOUNT)
        assert event.timestamp == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)

    @pytest.mark.parametrize("kind", ["image", "audio", "video", "share", "story_mention"])
    def test_attachments_are_media(self, kind: str) -> None:
        event = _one(instagram.parse_payload(instagram_attachment_payload(kind)))
        assert (event.kind, event.text, event.media_type) == ("media", None, kind)

    def test_attachment_with_text_is_a_question(self) -> None:
        event = _one(instagram.parse_payload(instagram_attachment_payload("image", text="Narxi?")))
        assert (event.kind, event.text) == ("text", "Narxi?")

    def test_echo(self) -> None:
        payload = instagram_echo_payload("Javob", recipient_id="IGSID9", mid="mid.echo")
        event = _one(instagram.parse_payload(payload))
        assert (event.kind, event.external_id) == ("echo", "mid.echo")
        assert (event.sender_id, event.recipient_id) == (IG_ACCOUNT, "IGSID9")
        assert not event.is_question

    def test_message_from_the_account_itself_is_an_echo(self) -> None:
        item = instagram_item(echo=True, message={"mid": "mid.x", "text": "loop?"})
        assert _one(instagram.parse_payload(instagram_envelope(item))).kind == "echo"

    def test_postback(self) -> None:
        payload = instagram_postback_payload("Yetkazib berish bormi?", mid="mid.pb")
        event = _one(instagram.parse_payload(payload))
        assert (event.kind, event.text, event.external_id) == (
            "text", "Yetkazib berish bormi?", "mid.pb",
        )  # fmt: skip

    @pytest.mark.parametrize(
        "payload",
        [
            instagram_read_payload(),
            instagram_reaction_payload(),
            instagram_edit_payload("tuzatildi"),
            instagram_deleted_payload(),
        ],
        ids=["read", "reaction", "message_edit", "is_deleted"],
    )
    def test_ignored(self, payload: dict) -> None:
        assert instagram.parse_payload(payload) == []

    def test_changes_style(self) -> None:
        event = _one(
            instagram.parse_payload(instagram_changes_payload("Test xabar", timestamp="1700000000"))
        )
        assert (event.kind, event.text, event.external_id) == ("text", "Test xabar", "random_mid")
        assert (event.account_key, event.sender_id) == ("0", "12334")
        assert event.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)

    def test_batch(self) -> None:
        other = "17841400000000002"
        first = instagram_envelope(
            instagram_item(message={"mid": "m1", "text": "Salom"}),
            instagram_item(read={"mid": "m0"}),
            instagram_item(echo=True, message={"mid": "m2", "text": "Va alaykum", "is_echo": True}),
        )
        payload = merge_payloads(
            first,
            instagram_text_payload("Привет", account_id=other, mid="m3"),
            instagram_changes_payload("changes", account_id=other, mid="m4"),
        )
        events = instagram.parse_payload(payload)
        assert [(e.kind, e.external_id, e.account_key) for e in events] == [
            ("text", "m1", IG_ACCOUNT),
            ("echo", "m2", IG_ACCOUNT),
            ("text", "m3", other),
            ("text", "m4", other),
        ]
        assert instagram.account_ids(payload) == {IG_ACCOUNT, other}

    def test_other_object_ignored(self) -> None:
        payload = instagram_text_payload("x") | {"object": "page"}
        assert instagram.parse_payload(payload) == []
        assert instagram.account_ids(payload) == set()

    @pytest.mark.parametrize("payload", MALFORMED)
    def test_malformed_never_raises(self, payload: object) -> None:
        assert instagram.parse_payload(payload) == []
        assert isinstance(instagram.account_ids(payload), set)


# --- Instagram: client ---------------------------------------------------------------------------
class TestInstagramClient:
    def test_send_text(self, ig: InstagramClient, graph: FakeGraph) -> None:
        result = ig.send_text("IGSID9", "Salom!")
        assert result.ok and result.external_ids[0]
        call = graph.requests_to(r"/messages$")[-1]
        assert call.path == "/v26.0/me/messages"
        assert call.headers["authorization"] == f"Bearer {IG_TOKEN}"
        assert call.json() == {"recipient": {"id": "IGSID9"}, "message": {"text": "Salom!"}}
        assert [m["_path"] for m in graph.instagram_sent()] == ["/v26.0/me/messages"]

    def test_split_at_1000_bytes(self, ig: InstagramClient, graph: FakeGraph) -> None:
        text = "Доставка по Ташкенту бесплатная. " * 60  # ~3 700 bytes
        result = ig.send_text("IGSID9", text)
        texts = graph.instagram_texts("IGSID9")
        assert result.ok and len(result.external_ids) == len(texts) >= 4
        assert all(len(t.encode()) <= 1000 for t in texts)
        assert " ".join(texts).split() == text.split()

    @pytest.mark.parametrize("account", [IG_ACCOUNT, "me", IG_PAGE, ""])
    def test_sends_as_me_whatever_account_id_it_was_given(
        self, graph: FakeGraph, account: str
    ) -> None:
        client = InstagramClient(IG_TOKEN, account, base_url=graph.url)
        assert client.send_text("IGSID9", "hi").ok
        assert [r.path for r in graph.requests_to("/messages$")] == ["/v26.0/me/messages"]

    def test_fake_graph_refuses_sends_to_the_instagram_account_id(self, graph: FakeGraph) -> None:
        """The fake answers like Graph does with a Page token, so a wrong path cannot pass."""
        with httpx.Client(base_url=graph.url) as http:
            body = {"recipient": {"id": "IGSID9"}, "message": {"text": "hi"}}
            headers = {"Authorization": f"Bearer {IG_TOKEN}"}
            wrong = http.post(f"/v26.0/{IG_ACCOUNT}/messages", json=body, headers=headers)
            page = http.post(f"/v26.0/{IG_PAGE}/messages", json=body, headers=headers)
        assert wrong.status_code == 400
        assert wrong.json()["error"]["code"] == 100
        assert wrong.json()["error"]["error_subcode"] == 33
        assert page.status_code == 200
        assert [m["_path"] for m in graph.instagram_sent()] == [f"/v26.0/{IG_PAGE}/messages"]

    @pytest.mark.parametrize(("code", "subcode"), [(10, 2018278), (551, 1545041)])
    def test_outside_window(self, ig: InstagramClient, graph: FakeGraph, code: int, subcode: int):
        graph.fail_next(code, subcode=subcode)
        result = ig.send_text("IGSID9", "hi")
        assert not result.ok and result.outside_window and not result.retryable
        assert result.error_code == code

    def test_permission_error_is_not_a_window_error(self, ig: InstagramClient, graph: FakeGraph):
        graph.fail_next(10, "(#10) Application does not have permission for this action",
                        subcode=0)  # fmt: skip
        result = ig.send_text("IGSID9", "hi")
        assert not result.ok and not result.outside_window
        assert "permission" in result.error

    def test_token_expired(self, ig: InstagramClient, graph: FakeGraph) -> None:
        graph.expire_token(IG_TOKEN)
        result = ig.send_text("IGSID9", "hi")
        assert not result.ok and result.token_invalid and "expired" in result.error

    def test_check(self, ig: InstagramClient, graph: FakeGraph) -> None:
        assert ig.check() == (True, "@bilim_shop (Bilim Shop)")
        ok, detail = InstagramClient("bad", IG_ACCOUNT, base_url=graph.url).check()
        assert not ok and "190" in detail

    def test_from_config_prefers_instagram_host(self, graph: FakeGraph) -> None:
        config = {"INSTAGRAM_API_BASE": graph.url, "GRAPH_API_BASE": "http://127.0.0.1:9"}
        assert InstagramClient.from_config(config, IG_TOKEN, IG_ACCOUNT).check()[0]
