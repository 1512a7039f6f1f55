"""WhatsApp adapter: webhook parsing and the Cloud API client against the fake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels import whatsapp
from channels.whatsapp import WhatsAppClient
from tests.channels.adapters import (
    MALFORMED,
    TEXTS,
    WA_PHONE_ID,
    WA_TOKEN,
    Sleeps,
    _one,
    _one_dict,
)
from tests.fakes.graph import (
    FakeGraph,
    merge_payloads,
    whatsapp_batch,
    whatsapp_button_payload,
    whatsapp_interactive_payload,
    whatsapp_location_payload,
    whatsapp_media_payload,
    whatsapp_message_payload,
    whatsapp_reaction_payload,
    whatsapp_status_payload,
    whatsapp_text_payload,
    whatsapp_unsupported_payload,
)
from tests.fakes.server import Reply


# --- WhatsApp: parsing ---------------------------------------------------------------------------
class TestWhatsAppParse:
    @pytest.mark.parametrize("lang", ["uz", "ru", "en"])
    def test_text(self, lang: str) -> None:
        payload = whatsapp_text_payload(TEXTS[lang], wamid="wamid.ABC", wa_id="998901112233",
                                        name="Dilnoza", timestamp=1_700_000_000)  # fmt: skip
        event = _one(whatsapp.parse_payload(payload))
        assert event.platform == "whatsapp"
        assert event.account_key == WA_PHONE_ID
        assert (event.kind, event.text, event.external_id) == ("text", TEXTS[lang], "wamid.ABC")
        assert (event.sender_id, event.sender_name) == ("998901112233", "Dilnoza")
        assert event.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)

    @pytest.mark.parametrize("kind", ["image", "video", "document"])
    def test_caption_is_a_question(self, kind: str) -> None:
        event = _one(whatsapp.parse_payload(whatsapp_media_payload(kind, caption="Narxi?")))
        assert (event.kind, event.text, event.media_type) == ("text", "Narxi?", kind)

    @pytest.mark.parametrize("kind", ["image", "audio", "video", "document", "sticker"])
    def test_media(self, kind: str) -> None:
        event = _one(whatsapp.parse_payload(whatsapp_media_payload(kind)))
        assert (event.kind, event.text, event.media_type) == ("media", None, kind)

    @pytest.mark.parametrize("reply_type", ["button_reply", "list_reply"])
    def test_interactive_reply_title(self, reply_type: str) -> None:
        payload = whatsapp_interactive_payload("Yetkazib berish", reply_type)
        event = _one(whatsapp.parse_payload(payload))
        assert (event.kind, event.text) == ("text", "Yetkazib berish")

    def test_template_button(self) -> None:
        event = _one(whatsapp.parse_payload(whatsapp_button_payload("Ha, qiziqaman")))
        assert (event.kind, event.text) == ("text", "Ha, qiziqaman")

    def test_reaction_ignored(self) -> None:
        assert whatsapp.parse_payload(whatsapp_reaction_payload("❤")) == []

    @pytest.mark.parametrize(
        ("payload", "media_type"),
        [
            (whatsapp_location_payload(), "location"),
            (whatsapp_message_payload({"type": "contacts", "contacts": [{"name": {}}]}),
             "contacts"),
            (whatsapp_unsupported_payload(), "unsupported"),
        ],
    )  # fmt: skip
    def test_other_types_are_media(self, payload: dict, media_type: str) -> None:
        event = _one(whatsapp.parse_payload(payload))
        assert (event.kind, event.media_type) == ("media", media_type)

    def test_system_message_ignored(self) -> None:
        payload = whatsapp_message_payload({"type": "system", "system": {"body": "changed"}})
        assert whatsapp.parse_payload(payload) == []

    @pytest.mark.parametrize("status", ["sent", "delivered", "read"])
    def test_status(self, status: str) -> None:
        payload = whatsapp_status_payload("wamid.OURS", status, recipient_id="998901112233")
        event = _one(whatsapp.parse_payload(payload))
        assert (event.kind, event.external_id, event.status) == ("status", "wamid.OURS", status)
        assert event.recipient_id == "998901112233"
        assert event.error is None
        assert not event.is_question

    def test_failed_status_carries_the_error(self) -> None:
        payload = whatsapp_status_payload("wamid.OURS", "failed", error_code=131047)
        event = _one(whatsapp.parse_payload(payload))
        assert event.status == "failed"
        assert "131047" in event.error and "24 hours" in event.error

    def test_batch_of_entries_and_changes(self) -> None:
        other_phone = "200000000000002"
        payload = merge_payloads(
            whatsapp_batch(
                whatsapp_text_payload("Salom", wamid="wamid.1"),
                whatsapp_status_payload("wamid.OURS", "read"),
            ),
            whatsapp_text_payload("Привет", wamid="wamid.2", phone_number_id=other_phone),
            whatsapp_reaction_payload(),
        )
        events = whatsapp.parse_payload(payload)
        assert [(e.kind, e.external_id, e.account_key) for e in events] == [
            ("text", "wamid.1", WA_PHONE_ID),
            ("status", "wamid.OURS", WA_PHONE_ID),
            ("text", "wamid.2", other_phone),
        ]
        assert whatsapp.phone_number_ids(payload) == {WA_PHONE_ID, other_phone}

    def test_messages_and_statuses_in_one_value(self) -> None:
        payload = whatsapp_text_payload("a", wamid="wamid.in")
        status = whatsapp_status_payload("wamid.out", "delivered")
        statuses = status["entry"][0]["changes"][0]["value"]["statuses"]
        payload["entry"][0]["changes"][0]["value"]["statuses"] = statuses
        assert [e.kind for e in whatsapp.parse_payload(payload)] == ["text", "status"]

    def test_message_echoes(self) -> None:
        payload = whatsapp_text_payload("x")
        value = payload["entry"][0]["changes"][0]["value"]
        del value["messages"]
        value["message_echoes"] = [{"from": "998712000000", "to": "998901234567", "id": "wamid.E",
                                    "timestamp": "1700000000", "type": "text",
                                    "text": {"body": "Owner reply"}}]  # fmt: skip
        event = _one(whatsapp.parse_payload(payload))
        assert (event.kind, event.recipient_id, event.text) == ("echo", "998901234567",
                                                                "Owner reply")  # fmt: skip

    def test_other_object_ignored(self) -> None:
        payload = whatsapp_text_payload("x") | {"object": "instagram"}
        assert whatsapp.parse_payload(payload) == []

    @pytest.mark.parametrize("payload", MALFORMED)
    def test_malformed_never_raises(self, payload: object) -> None:
        assert whatsapp.parse_payload(payload) == []
        assert isinstance(whatsapp.phone_number_ids(payload), set)

    def test_wrong_types_inside_a_good_batch(self) -> None:
        payload = whatsapp_text_payload("ok", wamid="wamid.ok")
        value = payload["entry"][0]["changes"][0]["value"]
        value["messages"].insert(0, {"from": "1", "id": "wamid.bad", "type": "text", "text": 5})
        value["contacts"] = "nobody"
        event = _one(whatsapp.parse_payload(payload))
        assert (event.external_id, event.sender_name) == ("wamid.ok", None)


# --- WhatsApp: client ----------------------------------------------------------------------------
class TestWhatsAppClient:
    def test_send_text(self, wa: WhatsAppClient, graph: FakeGraph) -> None:
        result = wa.send_text("998901234567", "Salom! Narxi 50 000 so‘m.")
        assert result.ok
        assert result.external_ids[0].startswith("wamid.")
        call = graph.requests_to(rf"/v26.0/{WA_PHONE_ID}/messages$")[-1]
        assert call.headers["authorization"] == f"Bearer {WA_TOKEN}"
        body = _one_dict(graph.whatsapp_sent(to="998901234567"))
        assert body["messaging_product"] == "whatsapp"
        assert body["type"] == "text"
        assert body["text"]["body"] == "Salom! Narxi 50 000 so‘m."

    def test_long_text_split(self, wa: WhatsAppClient, graph: FakeGraph) -> None:
        text = "Narxlar ro‘yxati. " * 400  # 7 200 characters
        result = wa.send_text("998901234567", text)
        texts = graph.whatsapp_texts()
        assert result.ok and len(result.external_ids) == len(texts) == 2
        assert all(len(t) <= 4096 for t in texts)
        assert " ".join(texts).split() == text.split()

    def test_outside_window(self, wa: WhatsAppClient, graph: FakeGraph, sleeps: Sleeps) -> None:
        graph.fail_next(131047)
        result = wa.send_text("998901234567", "hi")
        assert not result.ok
        assert result.outside_window and not result.retryable
        assert result.error_code == 131047
        assert "outside the 24-hour window" in result.error
        assert sleeps == []
        assert len(graph.requests_to("/messages$")) == 1

    def test_throughput_retried_then_ok(
        self, wa: WhatsAppClient, graph: FakeGraph, sleeps: Sleeps
    ) -> None:
        graph.fail_next(130429)
        result = wa.send_text("998901234567", "hi")
        assert result.ok
        assert sleeps == [1.0]
        assert graph.whatsapp_texts() == ["hi"]

    def test_throughput_retries_bounded(
        self, wa: WhatsAppClient, graph: FakeGraph, sleeps: Sleeps
    ) -> None:
        graph.fail_next(130429, times=5)
        result = wa.send_text("998901234567", "hi")
        assert not result.ok and result.retryable
        assert result.error_code == 130429
        assert sleeps == [1.0, 2.0]
        assert len(graph.requests_to("/messages$")) == 3

    def test_http_429_and_5xx_retried(
        self, wa: WhatsAppClient, graph: FakeGraph, sleeps: Sleeps
    ) -> None:
        graph.fail_next_raw(Reply(502, "<html>Bad Gateway</html>"))
        graph.fail_next(4, http_status=429)
        assert wa.send_text("998901234567", "hi").ok
        assert len(sleeps) == 2

    def test_token_expired(self, wa: WhatsAppClient, graph: FakeGraph, sleeps: Sleeps) -> None:
        graph.expire_token(WA_TOKEN)
        result = wa.send_text("998901234567", "hi")
        assert not result.ok and not result.retryable
        assert result.token_invalid
        assert result.error_code == 190
        assert "expired" in result.error and "System User" in result.error
        assert sleeps == []

    def test_failure_on_second_part(self, wa: WhatsAppClient, graph: FakeGraph) -> None:
        graph.fail_next(131047, after=1)
        result = wa.send_text("998901234567", "x" * 4096 + " tail")
        assert not result.ok and result.outside_window
        assert len(result.external_ids) == 1

    def test_other_graph_error_in_words(self, wa: WhatsAppClient, graph: FakeGraph) -> None:
        graph.fail_next(131030)
        result = wa.send_text("998901234567", "hi")
        assert (result.ok, result.error_code, result.outside_window) == (False, 131030, False)
        assert "Recipient phone number not in allowed list" in result.error

    def test_network_error(self, sleeps: Sleeps) -> None:
        client = WhatsAppClient(WA_TOKEN, WA_PHONE_ID, base_url="http://127.0.0.1:9",
                                timeout=2, sleep=sleeps)  # fmt: skip
        result = client.send_text("998901234567", "hi")
        assert not result.ok and result.retryable and result.error_code == "network"
        assert WA_TOKEN not in result.error
        ok, detail = client.check()
        assert not ok and "could not reach" in detail

    def test_check_ok(self, wa: WhatsAppClient, graph: FakeGraph) -> None:
        assert wa.check() == (True, "+998 71 200 00 00 (Bilim Shop)")
        call = graph.requests_to(rf"/v26.0/{WA_PHONE_ID}$")[-1]
        assert call.query["fields"] == ["display_phone_number,verified_name"]

    def test_check_bad_token(self, graph: FakeGraph) -> None:
        ok, detail = WhatsAppClient("bad", WA_PHONE_ID, base_url=graph.url).check()
        assert not ok
        assert "190" in detail and "invalid" in detail

    def test_check_wrong_phone_number_id(self, graph: FakeGraph) -> None:
        ok, detail = WhatsAppClient(WA_TOKEN, "999", base_url=graph.url).check()
        assert not ok and "does not exist" in detail

    def test_version_is_configurable(self, graph: FakeGraph) -> None:
        client = WhatsAppClient(WA_TOKEN, WA_PHONE_ID, base_url=graph.url, version="v27.0")
        assert client.send_text("998901234567", "hi").ok
        assert graph.requests_to(rf"/v27.0/{WA_PHONE_ID}/messages$")

    def test_from_config_and_repr(self, graph: FakeGraph) -> None:
        config = {"GRAPH_API_BASE": graph.url, "GRAPH_API_VERSION": "v26.0"}
        client = WhatsAppClient.from_config(config, WA_TOKEN, WA_PHONE_ID)
        assert client.check()[0]
        assert WA_TOKEN not in repr(client)
