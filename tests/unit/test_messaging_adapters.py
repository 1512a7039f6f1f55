"""Channel adapters: webhook parsing, signatures, text splitting and clients against local fakes."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

import httpx
import pytest

from channels import base, instagram, telegram, whatsapp
from channels.base import InboundEvent, SendResult, sign_body, split_text
from channels.instagram import InstagramClient
from channels.telegram import TelegramClient, TelegramError
from channels.whatsapp import WhatsAppClient
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
    sign,
    signed,
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
from tests.fakes.telegram import (
    FakeTelegram,
    telegram_callback_update,
    telegram_channel_post_update,
    telegram_edited_update,
    telegram_media_update,
    telegram_message,
    telegram_my_chat_member_update,
    telegram_start_update,
    telegram_text_update,
    telegram_update,
)

BOT_TOKEN = "7012345678:AAHsecretPartOfTheTokenXYZ_abc-123"
BOT_ID = 7012345678
WA_TOKEN = "EAAGwaTokenForTests"
WA_PHONE_ID = "106540352242922"
IG_TOKEN = "EAAGigPageTokenForTests"
IG_ACCOUNT = "17841400000000001"
IG_PAGE = "110000000000001"
APP_SECRET = "0123456789abcdef0123456789abcdef"

TEXTS = {
    "uz": "Assalomu alaykum! Yetkazib berish narxi qancha? O‘zbekiston bo‘ylab bormi?",
    "ru": "Здравствуйте! Сколько стоит доставка по Ташкенту?",
    "en": "Hello, do you deliver to Samarkand on weekends?",
}


class Sleeps(list):
    """An injectable sleep that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tg_server():
    server = FakeTelegram().start()
    server.add_bot(BOT_TOKEN, BOT_ID, "bilim_shop_bot", "Bilim Shop")
    yield server
    server.stop()


@pytest.fixture
def tg(tg_server: FakeTelegram) -> FakeTelegram:
    tg_server.reset()
    return tg_server


@pytest.fixture(scope="module")
def graph_server():
    server = FakeGraph().start()
    server.add_whatsapp_number(WA_PHONE_ID, WA_TOKEN, "+998 71 200 00 00", "Bilim Shop")
    server.add_instagram_account(IG_ACCOUNT, IG_TOKEN, "bilim_shop", "Bilim Shop", IG_PAGE)
    yield server
    server.stop()


@pytest.fixture
def graph(graph_server: FakeGraph) -> FakeGraph:
    graph_server.reset()
    return graph_server


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


def _one(events: list[InboundEvent]) -> InboundEvent:
    assert len(events) == 1, events
    return events[0]


MALFORMED = [
    None,
    [],
    "update",
    42,
    {},
    {"entry": "x"},
    {"entry": [None, 1, "x", []]},
    {"entry": [{"changes": "x", "messaging": 5}]},
    {"entry": [{"changes": [None, {"value": []}, {"value": {"metadata": 5}}]}]},
    {"entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "1"}, "messages": "x"}}]}]},
    {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": "1"},
                            "messages": [None, 1, {"from": [], "id": {}}],
                            "statuses": [{"id": 5}],
                        }
                    }
                ]
            }
        ]
    },
    {"entry": [{"id": "1", "messaging": [None, {"sender": "x"}, {"sender": {"id": []}}]}]},
    {"entry": [{"id": "1", "messaging": [{"sender": {"id": "2"}, "message": "hi"}]}]},
    {"entry": [{"id": "1", "messaging": [{"sender": {"id": "2"}, "message": {"text": "no mid"}}]}]},
    {"entry": [{"id": ["1"], "messaging": [{"sender": {"id": "2"}, "message": {"mid": "m"}}]}]},
]


# --- Telegram: webhook secret and parsing --------------------------------------------------------
class TestTelegramParse:
    @pytest.mark.parametrize("lang", ["uz", "ru", "en"])
    def test_text_in_each_language(self, lang: str) -> None:
        update = telegram_text_update(TEXTS[lang], chat_id=42, date=1_700_000_000,
                                      first_name="Aziz", last_name="Karimov",
                                      language_code=lang)  # fmt: skip
        event = _one(telegram.parse_update(update, str(BOT_ID)))
        assert event.platform == "telegram"
        assert event.account_key == str(BOT_ID)
        assert event.kind == "text"
        assert event.is_question
        assert event.text == TEXTS[lang]
        assert event.sender_id == "42"
        assert event.sender_name == "Aziz Karimov"
        assert event.language_code == lang
        assert event.external_id == str(update["update_id"])
        assert event.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)
        assert event.timestamp.tzinfo is not None

    def test_sender_name_falls_back_to_username(self) -> None:
        update = telegram_text_update("hi", first_name=None, username="aziz_k")
        assert _one(telegram.parse_update(update, "1")).sender_name == "@aziz_k"

    @pytest.mark.parametrize("payload", [None, "promo42"])
    def test_start(self, payload: str | None) -> None:
        event = _one(telegram.parse_update(telegram_start_update(7, payload), "1"))
        assert event.kind == "start"
        assert not event.is_question
        assert event.text.startswith("/start")

    def test_start_addressed_to_the_bot(self) -> None:
        update = telegram_text_update("/start@bilim_shop_bot")
        assert _one(telegram.parse_update(update, "1")).kind == "start"

    def test_other_commands_are_text(self) -> None:
        assert _one(telegram.parse_update(telegram_text_update("/help"), "1")).kind == "text"

    def test_photo_caption_is_a_question(self) -> None:
        update = telegram_media_update("photo", caption="Bu qancha turadi?")
        event = _one(telegram.parse_update(update, "1"))
        assert (event.kind, event.text, event.media_type) == ("text", "Bu qancha turadi?", "photo")

    @pytest.mark.parametrize(
        "kind", ["photo", "voice", "sticker", "document", "video", "location", "contact"]
    )
    def test_media_without_text(self, kind: str) -> None:
        event = _one(telegram.parse_update(telegram_media_update(kind, chat_id=9), "1"))
        assert (event.kind, event.text, event.media_type, event.sender_id) == (
            "media", None, kind, "9",
        )  # fmt: skip
        assert not event.is_question

    def test_callback(self) -> None:
        update = telegram_callback_update("lang:ru", chat_id=77, callback_id="cbq-1")
        event = _one(telegram.parse_update(update, "1"))
        assert event.kind == "callback"
        assert event.callback_id == "cbq-1"
        assert event.callback_data == "lang:ru"
        assert event.sender_id == "77"
        assert event.external_id == str(update["update_id"])
        assert telegram.parse_language_callback(event.callback_data) == "ru"

    def test_callback_without_message_uses_the_user(self) -> None:
        update = telegram_callback_update("lang:en", chat_id=78)
        del update["callback_query"]["message"]
        assert _one(telegram.parse_update(update, "1")).sender_id == "78"

    @pytest.mark.parametrize(
        "update",
        [
            telegram_edited_update("edited text"),
            telegram_channel_post_update("channel news"),
            telegram_update(edited_channel_post={"message_id": 1, "text": "x"}),
            telegram_update(poll={"id": "1"}),
        ],
        ids=["edited_message", "channel_post", "edited_channel_post", "poll"],
    )
    def test_not_questions(self, update: dict) -> None:
        assert telegram.parse_update(update, "1") == []

    @pytest.mark.parametrize(("status", "kind"), [("kicked", "blocked"), ("member", "unblocked")])
    def test_my_chat_member(self, status: str, kind: str) -> None:
        update = telegram_my_chat_member_update(status, chat_id=55, date=1_700_000_000)
        event = _one(telegram.parse_update(update, "1"))
        assert (event.kind, event.sender_id, event.status) == (kind, "55", status)
        assert event.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)

    def test_my_chat_member_other_status_ignored(self) -> None:
        assert telegram.parse_update(telegram_my_chat_member_update("administrator"), "1") == []

    def test_group_and_service_messages_ignored(self) -> None:
        group = telegram_update(
            message=telegram_message(chat_id=-100, chat_type="group", text="hi")
        )
        service = telegram_update(message=telegram_message(new_chat_members=[{"id": 1}]))
        assert telegram.parse_update(group, "1") == []
        assert telegram.parse_update(service, "1") == []

    @pytest.mark.parametrize(
        "update",
        [
            *MALFORMED,
            {"message": {"text": "no update id", "chat": {"id": 1}}},
            {"update_id": True, "message": {"text": "x", "chat": {"id": 1}}},
            {"update_id": 1, "message": ["not", "a", "dict"]},
            {"update_id": 1, "message": {"text": 12345, "chat": {"id": 1, "type": "private"}}},
            {"update_id": 1, "message": {"text": "x", "chat": "x"}},
            {"update_id": 1, "message": {"text": "x", "chat": {"id": True}}},
            {"update_id": 1, "message": {"text": "x", "chat": {"id": None}}},
            {"update_id": 1, "message": {"text": "x", "chat": {"id": 1}, "from": "me"}},
            {"update_id": 1, "callback_query": {"id": 5}},
            {"update_id": 1, "callback_query": {"id": None, "from": {"id": 1}}},
            {"update_id": 1, "callback_query": "x"},
            {"update_id": 1, "my_chat_member": {"chat": {"id": 1}, "new_chat_member": "kicked"}},
        ],
    )
    def test_malformed_never_raises(self, update: object) -> None:
        events = telegram.parse_update(update, "1")
        assert isinstance(events, list)
        assert all(isinstance(e, InboundEvent) for e in events)

    def test_wrong_types_that_still_carry_a_question(self) -> None:
        update = {"update_id": 5, "message": {"text": "hi", "date": "yesterday",
                                              "chat": {"id": "12", "type": "private"},
                                              "from": "me"}}  # fmt: skip
        event = _one(telegram.parse_update(update, "1"))
        assert (event.text, event.sender_id, event.sender_name) == ("hi", "12", None)
        assert event.timestamp.tzinfo is not None

    def test_number_as_text_is_not_a_question(self) -> None:
        update = {"update_id": 1, "message": {"text": 12345, "chat": {"id": 1, "type": "private"}}}
        assert telegram.parse_update(update, "1") == []

    def test_events_are_frozen(self) -> None:
        event = _one(telegram.parse_update(telegram_text_update("hi"), "1"))
        with pytest.raises(AttributeError):
            event.text = "changed"  # type: ignore[misc]


class TestTelegramSecret:
    def test_right_secret(self) -> None:
        assert telegram.verify_secret("s3cr3t-Token_1", "s3cr3t-Token_1")

    @pytest.mark.parametrize("header", [None, "", "wrong", "s3cr3t-Token_", "s3cr3t-Token_12"])
    def test_wrong_or_missing(self, header: str | None) -> None:
        assert not telegram.verify_secret(header, "s3cr3t-Token_1")

    def test_empty_expected_never_matches(self) -> None:
        assert not telegram.verify_secret("", "")
        assert not telegram.verify_secret("x", "")

    def test_non_ascii_header(self) -> None:
        assert not telegram.verify_secret("сек", "s3cr3t")


# --- Telegram: client against the fake -----------------------------------------------------------
class TestTelegramClient:
    def test_get_me(self, bot: TelegramClient) -> None:
        me = bot.get_me()
        assert me["id"] == BOT_ID
        assert me["username"] == "bilim_shop_bot"
        assert bot.bot_id == str(BOT_ID)

    def test_get_me_bad_token(self, tg: FakeTelegram) -> None:
        bad = "999999:WRONGtokenValue_abc"
        with pytest.raises(TelegramError) as info:
            TelegramClient(bad, base_url=tg.url).get_me()
        assert info.value.code == 401
        assert "401" in str(info.value)
        self._assert_no_token(info.value, bad)

    def test_network_error_raises_without_token(self) -> None:
        with pytest.raises(TelegramError) as info:
            TelegramClient(BOT_TOKEN, base_url="http://127.0.0.1:9", timeout=2).get_me()
        assert info.value.code is None
        assert "could not reach Telegram" in str(info.value)
        self._assert_no_token(info.value, BOT_TOKEN)

    @staticmethod
    def _assert_no_token(exc: TelegramError, token: str) -> None:
        rendered = [str(exc), repr(exc), exc.message, *map(str, exc.args),
                    "".join(traceback.format_exception(exc))]  # fmt: skip
        for text in rendered:
            assert token not in text
            assert token.split(":", 1)[1] not in text
        assert exc.__cause__ is None

    def test_repr_hides_token(self, bot: TelegramClient) -> None:
        assert BOT_TOKEN not in repr(bot)

    def test_httpx_request_log_is_redacted(
        self, bot: TelegramClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            bot.get_me()
            bot.send_message(1, "hi")
        assert caplog.records, "httpx logs each request at INFO"
        assert BOT_TOKEN not in caplog.text
        assert BOT_TOKEN.split(":", 1)[1] not in caplog.text

    def test_set_webhook_sends_secret_and_options(self, bot: TelegramClient, tg: FakeTelegram):
        url = f"https://bot.example.test/webhooks/telegram/{BOT_ID}"
        assert bot.set_webhook(url, "sec_ret-123", ["message", "callback_query"])
        call = tg.requests_to(r"/setWebhook$")[-1]
        assert call.headers["content-type"].startswith("application/json")
        body = call.json()
        assert body == {
            "url": url,
            "secret_token": "sec_ret-123",
            "allowed_updates": ["message", "callback_query"],
            "drop_pending_updates": True,
        }
        state = tg.webhook(BOT_TOKEN)
        assert (state.webhook_url, state.secret_token) == (url, "sec_ret-123")

    def test_set_webhook_default_updates(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        bot.set_webhook("https://bot.example.test/tg", "abc", drop_pending_updates=False)
        body = tg.calls("setWebhook")[-1]
        assert body["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
        assert body["drop_pending_updates"] is False

    @pytest.mark.parametrize(
        ("url", "secret", "fragment"),
        [
            ("http://bot.example.test/tg", "abc", "HTTPS"),
            ("https://bot.example.test:5000/tg", "abc", "ports"),
            ("https://bot.example.test/tg", "bad secret!", "unallowed"),
        ],
    )
    def test_set_webhook_rejected(self, bot: TelegramClient, url: str, secret: str, fragment: str):
        with pytest.raises(TelegramError) as info:
            bot.set_webhook(url, secret)
        assert info.value.code == 400
        assert fragment in str(info.value)
        assert BOT_TOKEN not in str(info.value)

    def test_webhook_info_and_delete(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        bot.set_webhook("https://bot.example.test/tg", "abc")
        tg.set_webhook_state(BOT_TOKEN, pending_update_count=3,
                             last_error_message="Wrong response from the webhook: 500")  # fmt: skip
        info = bot.get_webhook_info()
        assert info["url"] == "https://bot.example.test/tg"
        assert info["pending_update_count"] == 3
        assert info["last_error_message"] == "Wrong response from the webhook: 500"
        assert bot.delete_webhook()
        assert bot.get_webhook_info()["url"] == ""

    def test_send_plain_text(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        result = bot.send_message(42, "Salom! <b>narx</b> & chegirma")
        assert result.ok and result == SendResult(True, external_ids=result.external_ids)
        assert len(result.external_ids) == 1
        sent = _one_dict(tg.sent_messages(chat_id=42))
        assert sent["text"] == "Salom! <b>narx</b> & chegirma"
        assert "parse_mode" not in sent

    def test_send_long_text_is_split(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        text = " ".join(f"so‘z{i}" for i in range(2000))  # ~14 000 characters
        result = bot.send_message(42, text, reply_markup=telegram.language_picker_markup())
        parts = tg.sent_texts(42)
        assert result.ok and len(result.external_ids) == len(parts) >= 3
        assert all(len(p) <= 4096 for p in parts)
        assert " ".join(parts).split() == text.split()
        markups = ["reply_markup" in m for m in tg.sent_messages(42)]
        assert markups == [False] * (len(parts) - 1) + [True]

    def test_429_then_success_honours_retry_after(
        self, bot: TelegramClient, tg: FakeTelegram, sleeps: Sleeps
    ) -> None:
        tg.rate_limit(retry_after=3)
        result = bot.send_message(42, "hi")
        assert result.ok
        assert sleeps == [3.0]
        assert len(tg.requests_to(r"/sendMessage$")) == 2
        assert tg.sent_texts(42) == ["hi"]

    def test_429_sleep_is_capped(self, bot: TelegramClient, tg: FakeTelegram, sleeps: Sleeps):
        tg.rate_limit(retry_after=120)
        assert bot.send_message(42, "hi").ok
        assert sleeps == [5.0]

    def test_429_retries_are_bounded(self, bot: TelegramClient, tg: FakeTelegram, sleeps: Sleeps):
        tg.rate_limit(retry_after=2, times=10)
        result = bot.send_message(42, "hi")
        assert not result.ok
        assert result.retryable and not result.blocked
        assert result.error_code == 429
        assert result.retry_after == 2
        assert sleeps == [2.0, 2.0]  # max_retries=2
        assert len(tg.requests_to(r"/sendMessage$")) == 3

    def test_403_blocked(self, bot: TelegramClient, tg: FakeTelegram, sleeps: Sleeps) -> None:
        tg.block(42)
        result = bot.send_message(42, "hi")
        assert not result.ok
        assert result.blocked and not result.retryable
        assert result.error_code == 403
        assert "blocked by the user" in result.error
        assert sleeps == []
        assert tg.sent_messages(42) == []

    def test_other_error_in_words(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        tg.fail_send(400, "Bad Request: chat not found")
        result = bot.send_message(42, "hi")
        assert (result.ok, result.error_code, result.retryable) == (False, 400, False)
        assert result.error == "Bad Request: chat not found"

    def test_second_part_failure_keeps_first_ids(self, bot: TelegramClient, tg: FakeTelegram):
        tg.fail_send(403, after=1)
        result = bot.send_message(42, "a" * 4000 + " " + "b" * 100)
        assert not result.ok and result.blocked
        assert len(result.external_ids) == 1
        assert tg.sent_texts(42) == ["a" * 4000]

    def test_network_error_on_send(self, sleeps: Sleeps) -> None:
        client = TelegramClient(BOT_TOKEN, base_url="http://127.0.0.1:9", timeout=2, sleep=sleeps)
        result = client.send_message(1, "hi")
        assert not result.ok and result.retryable
        assert result.error_code == "network"
        assert BOT_TOKEN not in (result.error or "")
        assert len(sleeps) == 2

    def test_empty_text_is_not_sent(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        result = bot.send_message(42, "   ")
        assert not result.ok and result.error_code == "empty"
        assert tg.requests_to(r"/sendMessage$") == []

    def test_answer_callback_query(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        assert bot.answer_callback_query("cbq-1", "Til: Русский")
        assert tg.answered_callbacks() == [{"callback_query_id": "cbq-1", "text": "Til: Русский"}]

    def test_answer_callback_without_text_omits_it(self, bot: TelegramClient, tg: FakeTelegram):
        bot.answer_callback_query("cbq-2")
        assert tg.answered_callbacks() == [{"callback_query_id": "cbq-2"}]

    def test_language_picker(self, bot: TelegramClient, tg: FakeTelegram) -> None:
        markup = telegram.language_picker_markup()
        buttons = [b for row in markup["inline_keyboard"] for b in row]
        assert [b["text"] for b in buttons] == ["O‘zbekcha", "Русский", "English"]
        assert [b["callback_data"] for b in buttons] == ["lang:uz", "lang:ru", "lang:en"]
        assert all(1 <= len(b["callback_data"].encode()) <= 64 for b in buttons)
        assert TelegramClient.language_picker_markup() == markup
        assert bot.send_message(42, "Tilni tanlang", reply_markup=markup).ok
        assert tg.sent_messages(42)[0]["reply_markup"] == markup
        assert telegram.parse_language_callback("lang:xx") is None
        assert telegram.parse_language_callback(None) is None

    def test_fake_accepts_form_bodies(self, tg: FakeTelegram) -> None:
        markup = json.dumps(telegram.language_picker_markup())
        form = {"chat_id": "42", "text": "form", "reply_markup": markup}
        resp = httpx.post(f"{tg.url}/bot{BOT_TOKEN}/sendMessage", data=form)
        assert resp.json()["ok"] is True
        assert tg.sent_messages(42)[0]["reply_markup"]["inline_keyboard"][0][0]["text"]

    def test_from_config(self, tg: FakeTelegram) -> None:
        config = {"TELEGRAM_API_BASE": tg.url, "MESSAGING_TIMEOUT_SECONDS": 3.0}
        client = TelegramClient.from_config(config, BOT_TOKEN)
        assert (client.base_url, client.timeout) == (tg.url, 3.0)
        assert client.get_me()["id"] == BOT_ID


def _one_dict(items: list[dict]) -> dict:
    assert len(items) == 1, items
    return items[0]


# --- Meta signatures -----------------------------------------------------------------------------
class TestSignatures:
    body = json.dumps(whatsapp_text_payload("Salom")).encode()

    @pytest.mark.parametrize("module", [base, whatsapp, instagram])
    def test_right_signature(self, module) -> None:
        assert module.verify_signature(self.body, sign(self.body, APP_SECRET), APP_SECRET)

    def test_fake_and_adapter_agree(self) -> None:
        assert sign(self.body, APP_SECRET) == sign_body(self.body, APP_SECRET)
        raw, headers = signed({"object": "instagram"}, APP_SECRET)
        assert instagram.verify_signature(raw, headers["X-Hub-Signature-256"], APP_SECRET)

    def test_uppercase_hex_accepted(self) -> None:
        header = "sha256=" + sign(self.body, APP_SECRET).split("=", 1)[1].upper()
        assert whatsapp.verify_signature(self.body, header, APP_SECRET)

    def test_wrong_secret(self) -> None:
        assert not whatsapp.verify_signature(self.body, sign(self.body, "other"), APP_SECRET)

    def test_right_signature_over_different_body(self) -> None:
        other = self.body.replace(b"Salom", b"Salam")
        assert not whatsapp.verify_signature(other, sign(self.body, APP_SECRET), APP_SECRET)

    @pytest.mark.parametrize(
        "header",
        [None, "", "sha256=", "sha256", "=abc", "sha256=zz", "sha1=" + "0" * 40, "garbage",
         "sha256=" + "0" * 64, "sha256=ййй", 12345, b"sha256=abc"],
    )  # fmt: skip
    def test_missing_or_garbage_header(self, header) -> None:
        assert not whatsapp.verify_signature(self.body, header, APP_SECRET)
        assert not instagram.verify_signature(self.body, header, APP_SECRET)

    def test_empty_secret_never_verifies(self) -> None:
        assert not whatsapp.verify_signature(self.body, sign(self.body, ""), "")

    def test_body_must_be_bytes(self) -> None:
        header = sign(self.body, APP_SECRET)
        assert not whatsapp.verify_signature(self.body.decode(), header, APP_SECRET)  # type: ignore[arg-type]


# --- splitting -----------------------------------------------------------------------------------
class TestSplitText:
    def test_short_text_is_one_part(self) -> None:
        assert split_text("  Salom!  ", max_chars=4096) == ["Salom!"]

    @pytest.mark.parametrize("text", ["", "   \n ", None])
    def test_nothing_to_send(self, text) -> None:
        assert split_text(text, max_chars=4096) == []

    def test_4096_characters_keeps_words(self) -> None:
        text = " ".join(["Yetkazib", "berish", "bepul,", "narxi", "arzon."] * 800)
        parts = split_text(text, max_chars=4096)
        assert len(parts) >= 4
        assert all(len(p) <= 4096 for p in parts)
        assert " ".join(parts).split() == text.split()

    def test_exactly_at_the_limit_is_one_part(self) -> None:
        assert split_text("x" * 4096, max_chars=4096) == ["x" * 4096]

    def test_1000_bytes_of_cyrillic(self) -> None:
        text = " ".join(["Здравствуйте", "доставка", "бесплатная", "по", "Ташкенту."] * 120)
        parts = split_text(text, max_bytes=1000)
        assert len(parts) >= 5
        assert all(len(p.encode("utf-8")) <= 1000 for p in parts)
        assert all(len(p) < 1000 for p in parts)  # bytes, not characters, were the limit
        assert " ".join(parts).split() == text.split()

    def test_prefers_paragraphs_then_sentences(self) -> None:
        para = "Birinchi gap. Ikkinchi gap!"
        text = "\n\n".join([para * 30] * 3)
        parts = split_text(text, max_chars=len(para * 30) + 50)
        assert parts == [para * 30] * 3
        sentences = "Bu birinchi gap. " * 40
        parts = split_text(sentences, max_chars=100)
        assert all(p.endswith(".") for p in parts)

    def test_single_long_word_is_cut(self) -> None:
        word = "https://example.test/" + "a" * 5000
        parts = split_text(f"Havola: {word} rahmat", max_chars=4096)
        assert all(len(p) <= 4096 for p in parts)
        assert "".join(parts).replace(" ", "") == f"Havola:{word}rahmat"

    def test_multibyte_never_cut_inside_a_character(self) -> None:
        text = "😀" * 600  # 4 bytes each, no spaces
        parts = split_text(text, max_bytes=1000)
        assert all(len(p.encode()) <= 1000 for p in parts)
        assert "".join(parts) == text

    def test_utf16_limit_counts_emoji_twice(self) -> None:
        parts = split_text("😀" * 3000, max_utf16=4096)
        assert [len(p) for p in parts] == [2048, 952]

    def test_both_limits(self) -> None:
        parts = split_text("ж" * 3000, max_chars=1200, max_bytes=1000)
        assert [len(p) for p in parts] == [500] * 6


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
