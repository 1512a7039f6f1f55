"""Telegram adapter: webhook secret, Update parsing and the Bot API client against the fake."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

import httpx
import pytest

from channels import telegram
from channels.telegram_client import TelegramClient, TelegramError
from channels.types import InboundEvent, SendResult
from tests.channels.adapters import (
    BOT_ID,
    BOT_TOKEN,
    MALFORMED,
    TEXTS,
    Sleeps,
    _one,
    _one_dict,
)
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
