"""Voice notes and photos end to end: webhook → the worker fetches the media from the fake
platform → the fake AI transcribes or describes it → the text is answered like a typed
question, once, in the customer's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ai import clear_client_cache
from extensions import db
from models.ai_config import AIConfig
from models.base import utcnow
from models.conversation import Conversation, Message
from pipeline import media as pipeline_media
from pipeline import replies
from pipeline.worker import answer_conversation
from tests.channel_fixtures import WA_TOKEN, meta_post, tg_post
from tests.engine_helpers import answer_requests, configured
from tests.fakes import graph as g
from tests.fakes import telegram as t
from tests.fakes.gemini import inline_parts
from tests.fakes.media_files import ogg_opus, png
from tests.fakes.openai_fake import DEFAULT_KEY as OPENAI_KEY
from tests.fakes.openai_fake import FakeOpenAI

VOICE = ogg_opus(4)
QUESTION_UZ = "Yetkazib berish narxi qancha?"
QUESTION_RU = "Сколько стоит доставка по Ташкенту?"


@pytest.fixture(autouse=True)
def _hosts(app, fakes):
    """The fake CDN (127.0.0.1) is an Instagram media host for these tests."""
    with configured(app, INSTAGRAM_MEDIA_HOSTS="fbsbx.com,127.0.0.1"):
        yield


def _messages(app, direction: str) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(
            select(Message).where(Message.direction == direction).order_by(Message.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _canned(app, make, language="uz", **kw) -> str:
    with app.test_request_context():
        return make(language, **kw)


def _voice_update(chat_id: int, kind: str = "voice", file_id: str = "AwAC-v1", **kw) -> dict:
    return t.telegram_media_update(kind, chat_id=chat_id, file_id=file_id, **kw)


# --- each platform ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["voice", "audio", "video_note"])
def test_telegram_voice_note_is_transcribed_and_answered(client, app, fakes, shop, gemini, kind):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)  # the file server answers application/octet-stream
    gemini.media_text = QUESTION_UZ
    gemini.reply_text = "Yetkazib berish 15 000 so‘m."
    assert (
        tg_post(client, shop.id, _voice_update(31, kind), shop.telegram_secret).status_code == 200
    )
    (heard,) = gemini.media_requests()
    mime = {"voice": "audio/ogg", "audio": "audio/mpeg", "video_note": "video/mp4"}[kind]
    assert inline_parts(heard) == [(mime, VOICE)]  # the type from the update
    answering = answer_requests(gemini)[-1].json()
    assert QUESTION_UZ in str(answering["contents"])  # the transcript is the question
    assert "15 000" in str(answering["systemInstruction"])  # retrieval found the passage
    assert tg.sent_texts(chat_id=31) == ["Yetkazib berish 15 000 so‘m."]
    (question,) = _messages(app, "in")
    assert (question.kind, question.media_type, question.transcript) == ("media", kind, QUESTION_UZ)
    assert (question.status, question.media_marker) == ("answered", "voice")
    (reply,) = _messages(app, "out")
    assert (reply.provider, reply.reply_to_id) == ("gemini", question.id)


def test_whatsapp_voice_note_is_answered_in_the_language_spoken(client, app, fakes, shop, gemini):
    _, graph = fakes
    graph.add_whatsapp_media("4490709327384033", VOICE, WA_TOKEN)
    gemini.media_text = QUESTION_RU
    gemini.reply_text = "Доставка по Ташкенту стоит 15 000 сумов."
    meta_post(client, "whatsapp", g.whatsapp_media_payload("audio", media_id="4490709327384033"))
    assert graph.whatsapp_texts() == ["Доставка по Ташкенту стоит 15 000 сумов."]
    assert inline_parts(gemini.media_requests()[0]) == [("audio/ogg", VOICE)]
    assert "Russian" in str(answer_requests(gemini)[-1].json()["systemInstruction"])
    (reply,) = _messages(app, "out")
    assert reply.language == "ru"
    with app.app_context():
        assert db.session.scalar(select(Conversation.language)) == "ru"


def test_instagram_audio_attachment_is_transcribed(client, app, fakes, shop, gemini):
    _, graph = fakes
    url = graph.add_instagram_attachment("audioclip-1.mp4", VOICE, mime_type="audio/ogg")
    gemini.media_text = "Do you have a warranty on phones?"
    gemini.reply_text = "Yes, a one-year official warranty."
    meta_post(client, "instagram", g.instagram_attachment_payload("audio", url=url))
    assert graph.instagram_texts() == ["Yes, a one-year official warranty."]
    (question,) = _messages(app, "in")
    assert question.transcript == "Do you have a warranty on phones?"
    assert _messages(app, "out")[0].language == "en"


def test_an_attachment_url_off_the_media_hosts_is_never_fetched(client, app, fakes, shop, gemini):
    _, graph = fakes
    url = graph.add_instagram_attachment("audioclip-2.mp4", VOICE)
    with configured(app, INSTAGRAM_MEDIA_HOSTS="fbsbx.com"):
        meta_post(client, "instagram", g.instagram_attachment_payload("audio", url=url))
    assert graph.media_downloads() == [] and gemini.media_requests() == []
    assert graph.instagram_texts() == [_canned(app, replies.unreadable)]
    (question,) = _messages(app, "in")
    assert question.status == "failed" and "not on an Instagram media host" in question.error


# --- photos -------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["telegram", "whatsapp"])
def test_a_photo_without_caption_is_described_and_the_description_answered(
    client, app, fakes, shop, gemini, platform
):
    tg, graph = fakes
    picture = png()
    gemini.media_text = "Bu telefonning narxi qancha?"
    if platform == "telegram":
        tg.add_file("AgAC-big", picture)
        tg_post(client, shop.id, t.telegram_media_update("photo", chat_id=41), shop.telegram_secret)
        sent = tg.sent_texts(chat_id=41)
        mime = "image/jpeg"
    else:
        graph.add_whatsapp_media("778899", picture, WA_TOKEN, mime_type="image/png")
        meta_post(client, "whatsapp", g.whatsapp_media_payload("image", media_id="778899"))
        sent = graph.whatsapp_texts()
        mime = "image/png"
    assert sent == [gemini.reply_text]
    (described,) = gemini.media_requests()
    assert inline_parts(described) == [(mime, picture)]
    assert "Uzbek (Latin" in str(described.json())  # described in the conversation's language
    assert "Bu telefonning narxi qancha?" in str(answer_requests(gemini)[-1].json()["contents"])
    (question,) = _messages(app, "in")
    assert (question.transcript, question.media_marker) == ("Bu telefonning narxi qancha?", "photo")


def test_a_photo_with_a_caption_is_answered_from_the_caption(client, app, fakes, shop, gemini):
    tg, _ = fakes
    update = t.telegram_media_update("photo", chat_id=42, caption=QUESTION_UZ)
    tg_post(client, shop.id, update, shop.telegram_secret)
    assert tg.calls("getFile") == [] and gemini.media_requests() == []
    assert QUESTION_UZ in str(answer_requests(gemini)[-1].json()["contents"])
    assert tg.sent_texts(chat_id=42) == [gemini.reply_text]


# --- offline ------------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["telegram", "whatsapp", "instagram"])
def test_offline_media_keeps_the_translated_text_only_reply(client, app, fakes, shop, platform):
    tg, graph = fakes
    if platform == "telegram":
        tg_post(client, shop.id, _voice_update(51), shop.telegram_secret)
        sent = tg.sent_texts(chat_id=51)
    elif platform == "whatsapp":
        meta_post(client, "whatsapp", g.whatsapp_media_payload("audio", media_id="5151"))
        sent = graph.whatsapp_texts()
    else:
        url = graph.add_instagram_attachment("offline.mp4", VOICE)
        meta_post(client, "instagram", g.instagram_attachment_payload("audio", url=url))
        sent = graph.instagram_texts()
    assert sent == [_canned(app, replies.text_only)]
    assert tg.calls("getFile") == [] and graph.media_downloads() == []  # nothing fetched
    assert _messages(app, "in")[0].transcript is None


# --- bounds -------------------------------------------------------------------------------------
def test_a_long_telegram_voice_note_is_refused_before_any_download(
    client, app, fakes, shop, gemini
):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    tg_post(client, shop.id, _voice_update(61, duration=185), shop.telegram_secret)
    assert tg.calls("getFile") == [] and gemini.generate_requests() == []
    assert tg.sent_texts(chat_id=61) == [_canned(app, replies.shorter_please, minutes=2)]
    (question,) = _messages(app, "in")
    assert question.status == "answered" and "185 s" in question.error


def test_a_long_whatsapp_voice_note_is_measured_after_download(client, app, fakes, shop, gemini):
    _, graph = fakes
    graph.add_whatsapp_media("6262", ogg_opus(150), WA_TOKEN)
    meta_post(client, "whatsapp", g.whatsapp_media_payload("audio", media_id="6262"))
    assert len(graph.media_downloads()) == 1 and gemini.generate_requests() == []
    assert graph.whatsapp_texts() == [_canned(app, replies.shorter_please, minutes=2)]
    assert "150 s" in _messages(app, "in")[0].error


@pytest.mark.parametrize("kind", ["audio", "image"])
def test_too_large_media_gets_a_polite_reply(client, app, fakes, shop, gemini, kind):
    _, graph = fakes
    graph.add_whatsapp_media("7373", b"\0" * 5000, WA_TOKEN, mime_type=f"{kind}/x")
    with configured(app, MEDIA_MAX_BYTES=4000):
        meta_post(client, "whatsapp", g.whatsapp_media_payload(kind, media_id="7373"))
    expected = replies.shorter_please if kind == "audio" else replies.file_too_large
    kw = {"minutes": 2} if kind == "audio" else {}
    assert graph.whatsapp_texts() == [_canned(app, expected, **kw)]
    assert graph.media_downloads() == [] and gemini.generate_requests() == []
    assert "too large" in _messages(app, "in")[0].error


# --- failures -----------------------------------------------------------------------------------
def test_a_failing_download_gets_one_clear_reply_and_is_kept(client, app, fakes, shop, gemini):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE, fail_download=502)
    update = _voice_update(71)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert tg.sent_texts(chat_id=71) == [_canned(app, replies.unreadable)]
    assert gemini.generate_requests() == []
    (question,) = _messages(app, "in")
    assert question.status == "failed" and "could not download" in question.error
    assert "HTTP 502" in question.error and shop.telegram_secret not in question.error
    # Telegram retries the update: stored once, answered once.
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert len(tg.sent_texts(chat_id=71)) == 1 and len(_messages(app, "in")) == 1
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.answer_pending is False and conv.failed_count == 1  # the inbox shows it


def test_an_ai_failure_gets_the_apology_and_is_shown(client, app, fakes, shop, gemini):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    gemini.set_error(500, "internal")
    tg_post(client, shop.id, _voice_update(72), shop.telegram_secret)
    assert tg.sent_texts(chat_id=72) == [_canned(app, replies.apology)]
    (question,) = _messages(app, "in")
    assert question.status == "failed" and "the AI could not read" in question.error


def test_silence_gets_the_please_type_reply(client, app, fakes, shop, gemini):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    gemini.media_text = ""
    tg_post(client, shop.id, _voice_update(73), shop.telegram_secret)
    assert tg.sent_texts(chat_id=73) == [_canned(app, replies.unreadable)]
    assert _messages(app, "in")[0].transcript is None


# --- exactly once -------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["telegram", "whatsapp"])
def test_a_redelivered_media_webhook_is_never_transcribed_twice(
    client, app, fakes, shop, gemini, platform
):
    tg, graph = fakes
    gemini.media_text = QUESTION_UZ
    if platform == "telegram":
        tg.add_file("AwAC-v1", VOICE)
        update = _voice_update(81)
        for _ in range(3):
            tg_post(client, shop.id, update, shop.telegram_secret)
        assert len(tg.calls("getFile")) == 1 and len(tg.sent_texts(chat_id=81)) == 1
    else:
        graph.add_whatsapp_media("8181", VOICE, WA_TOKEN)
        payload = g.whatsapp_media_payload("audio", media_id="8181")
        for _ in range(3):
            meta_post(client, "whatsapp", payload)
        assert len(graph.media_downloads()) == 1 and len(graph.whatsapp_texts()) == 1
    assert len(gemini.media_requests()) == 1


class Crash(BaseException):
    """The worker process dying (not an error the worker would catch and record)."""


def test_a_worker_crash_after_transcription_reuses_the_stored_transcript(
    client, app, fakes, shop, gemini, monkeypatch
):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    gemini.media_text = QUESTION_UZ

    def crash(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr("pipeline.worker._answer_and_send", crash)
    with pytest.raises(Crash):
        tg_post(client, shop.id, _voice_update(91), shop.telegram_secret)
    monkeypatch.undo()
    (question,) = _messages(app, "in")
    assert (question.status, question.transcript) == ("processing", QUESTION_UZ)
    with app.app_context():  # the dead worker's lease runs out; another worker takes over
        db.session.execute(update(Conversation).values(lease_until=utcnow() - timedelta(1)))
        db.session.commit()
        assert answer_conversation(question.conversation_id) == 1
    assert len(gemini.media_requests()) == 1 and len(tg.calls("getFile")) == 1
    assert tg.sent_texts(chat_id=91) == [gemini.reply_text]
    assert _messages(app, "in")[0].status == "answered"


def test_the_download_runs_outside_any_transaction_and_respects_the_lease(
    client, app, fakes, shop, gemini
):
    """Another worker takes the conversation while the file downloads (a write the SQLite
    database would refuse if this worker still held a transaction): nothing is sent, and the
    transcript is kept for whoever answers."""
    tg, _ = fakes
    gemini.media_text = QUESTION_UZ

    def taken_over(rec, m):
        with app.app_context():
            db.session.execute(
                update(Conversation).values(
                    lease_owner="another-worker", lease_until=utcnow() + timedelta(minutes=1)
                )
            )
            db.session.commit()
        return t.Reply(200, VOICE)

    tg.add_file("AwAC-v1", VOICE)
    tg.route("GET", r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", taken_over)
    try:
        tg_post(client, shop.id, _voice_update(95), shop.telegram_secret)
    finally:
        tg.route("GET", r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", tg._download)
    assert tg.sent_texts(chat_id=95) == []
    (question,) = _messages(app, "in")
    assert question.transcript == QUESTION_UZ and question.status == "processing"


# --- the owner's own OpenAI key -----------------------------------------------------------------
@pytest.fixture
def openai_server(app):
    with (
        FakeOpenAI(keys={OPENAI_KEY, "sk-owner-key-abcdefghijklmnop1234"}) as server,
        configured(app, OPENAI_BASE_URL=f"{server.url}/v1"),
    ):
        clear_client_cache()
        yield server


def _own_key(app, user_id: int, key: str = "sk-owner-key-abcdefghijklmnop1234") -> None:
    with app.app_context():
        AIConfig.for_user(user_id).set_openai_key(key)
        db.session.commit()


def test_the_owners_openai_key_transcribes_first(client, app, fakes, shop, gemini, openai_server):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    _own_key(app, shop.id)
    openai_server.transcript_text = QUESTION_RU
    tg_post(client, shop.id, _voice_update(101), shop.telegram_secret)
    (heard,) = openai_server.transcription_requests()
    assert heard.headers["authorization"] == "Bearer sk-owner-key-abcdefghijklmnop1234"
    assert gemini.media_requests() == []
    assert _messages(app, "in")[0].transcript == QUESTION_RU
    assert tg.sent_texts(chat_id=101) == [openai_server.reply_text]


def test_a_rejected_owner_key_falls_back_to_the_platform(
    client, app, fakes, shop, gemini, openai_server
):
    tg, _ = fakes
    tg.add_file("AwAC-v1", VOICE)
    _own_key(app, shop.id, "sk-owner-key-revoked-000000000000")
    gemini.media_text = QUESTION_UZ
    tg_post(client, shop.id, _voice_update(102), shop.telegram_secret)
    assert len(openai_server.transcription_requests()) == 1
    assert len(gemini.media_requests()) == 1
    assert _messages(app, "in")[0].transcript == QUESTION_UZ
    with app.app_context():
        assert AIConfig.for_user(shop.id).key_problem == "key"  # the owner is told


def test_readable_needs_a_reference_and_a_provider(app, gemini):
    with app.app_context():
        cfg = AIConfig(user_id=1)
        voice = Message(media_type="voice", media_ref="AwAC", transcript=None)
        assert pipeline_media.readable(voice, cfg)
        assert not pipeline_media.readable(Message(media_type="sticker", media_ref="x"), cfg)
        assert not pipeline_media.readable(Message(media_type="voice", media_ref=None), cfg)
        with configured(app, GEMINI_API_KEY=""):
            assert not pipeline_media.readable(voice, cfg)
