"""Voice notes and photos at the channel level: what the parsers keep to fetch them, and the
downloads from the fake Telegram and Graph servers (bounded, in memory, no token in errors)."""

from __future__ import annotations

import pytest

from channels import instagram, telegram, whatsapp
from channels.instagram import InstagramClient
from channels.media import Media, MediaError, MediaTooLarge, duration_seconds, host_allowed
from channels.telegram_client import TelegramClient
from channels.whatsapp import WhatsAppClient
from tests.fakes import graph as g
from tests.fakes.graph import FakeGraph
from tests.fakes.media_files import ogg_opus, png
from tests.fakes.telegram import FakeTelegram, telegram_media_update

TOKEN = "123456789:AAH-media-test-token-abcdefghijklmnopq"
WA_TOKEN = "EAAG-media-test-token"


@pytest.fixture(scope="module")
def tg():
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="module")
def graph():
    with FakeGraph() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(tg, graph):
    tg.reset()
    graph.reset()
    tg.add_bot(TOKEN, 123456789, "media_bot")
    graph.add_whatsapp_number(g.DEFAULT_PHONE_NUMBER_ID, WA_TOKEN)


# --- parsing -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "file_id", "mime", "duration"),
    [
        ("voice", "AwAC-voice", "audio/ogg", 3),
        ("audio", "CQAC-audio", "audio/mpeg", 4),
        ("video_note", "DQAC-round", "video/mp4", 5),
        ("photo", "AgAC-big", "image/jpeg", None),  # the largest of the photo's sizes
    ],
)
def test_telegram_keeps_what_the_worker_fetches(kind, file_id, mime, duration) -> None:
    (event,) = telegram.parse_update(telegram_media_update(kind), "1")
    assert (event.kind, event.media_type, event.media_ref) == ("media", kind, file_id)
    assert (event.media_mime, event.media_duration) == (mime, duration)


def test_telegram_photo_with_a_caption_is_the_caption_question() -> None:
    (event,) = telegram.parse_update(telegram_media_update("photo", caption="Narxi?"), "1")
    assert (event.kind, event.text, event.media_ref) == ("text", "Narxi?", None)


@pytest.mark.parametrize("kind", ["sticker", "document", "location"])
def test_telegram_media_it_cannot_read_has_no_reference(kind) -> None:
    (event,) = telegram.parse_update(telegram_media_update(kind), "1")
    assert (event.kind, event.media_ref) == ("media", None)


@pytest.mark.parametrize(("kind", "readable"), [("audio", True), ("image", True), ("video", False)])
def test_whatsapp_keeps_the_media_id(kind, readable) -> None:
    payload = g.whatsapp_media_payload(kind, media_id="4490709327384033")
    (event,) = whatsapp.parse_payload(payload)
    assert event.media_ref == ("4490709327384033" if readable else None)
    if kind == "audio":
        assert event.media_mime == "audio/ogg; codecs=opus"


@pytest.mark.parametrize(("kind", "readable"), [("audio", True), ("image", True), ("share", False)])
def test_instagram_keeps_the_attachment_url(kind, readable) -> None:
    url = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x"
    (event,) = instagram.parse_payload(g.instagram_attachment_payload(kind, url=url))
    assert (event.kind, event.media_ref) == ("media", url if readable else None)


# --- downloads ---------------------------------------------------------------------------------
def test_telegram_download_uses_get_file_then_the_file_url(tg) -> None:
    voice = ogg_opus(3)
    tg.add_file("AwAC-voice", voice, content_type="audio/ogg")
    media = TelegramClient(TOKEN, base_url=tg.url).download_file("AwAC-voice", 1_000_000)
    assert (media.data, media.mime_type) == (voice, "audio/ogg")
    assert [c["file_id"] for c in tg.calls("getFile")] == ["AwAC-voice"]
    assert tg.downloads()[0].path == f"/file/bot{TOKEN}/voice/file_1.oga"


def test_telegram_download_over_the_limit_stops(tg) -> None:
    tg.add_file("big", b"x" * 5000)
    with pytest.raises(MediaTooLarge):  # getFile's file_size says so: nothing downloaded
        TelegramClient(TOKEN, base_url=tg.url).download_file("big", 4000)
    assert tg.downloads() == []
    tg.add_file("lies", b"x" * 5000, file_size=100)
    with pytest.raises(MediaTooLarge):  # the bytes say so: the download stops
        TelegramClient(TOKEN, base_url=tg.url).download_file("lies", 4000)


def test_telegram_refusing_a_file_over_20_mb_is_too_large(tg) -> None:
    tg.add_file("huge", b"x", file_size=25 * 1024 * 1024)
    with pytest.raises(MediaTooLarge):
        TelegramClient(TOKEN, base_url=tg.url).download_file("huge", 30 * 1024 * 1024)
    assert tg.downloads() == []


@pytest.mark.parametrize("failure", ["unknown", "server"])
def test_telegram_download_failure_never_shows_the_token(tg, failure) -> None:
    if failure == "server":
        tg.add_file("broken", b"x", fail_download=502)
    with pytest.raises(MediaError) as err:
        TelegramClient(TOKEN, base_url=tg.url).download_file("broken", 1000)
    assert TOKEN not in str(err.value) and TOKEN.split(":")[1] not in str(err.value)


def test_whatsapp_download_looks_the_id_up_then_fetches_with_the_token(graph) -> None:
    voice = ogg_opus(6)
    graph.add_whatsapp_media("4490709327384033", voice, WA_TOKEN)
    client = WhatsAppClient(WA_TOKEN, g.DEFAULT_PHONE_NUMBER_ID, base_url=graph.url)
    media = client.download_media("4490709327384033", 1_000_000)
    assert (media.data, media.mime_type) == (voice, "audio/ogg")
    (download,) = graph.media_downloads()
    assert download.headers["authorization"] == f"Bearer {WA_TOKEN}"


def test_whatsapp_download_errors(graph) -> None:
    client = WhatsAppClient(WA_TOKEN, g.DEFAULT_PHONE_NUMBER_ID, base_url=graph.url)
    graph.add_whatsapp_media("111", b"x" * 3000, WA_TOKEN)
    with pytest.raises(MediaTooLarge):  # the lookup's file_size: no download
        client.download_media("111", 2000)
    assert graph.media_downloads() == []
    graph.add_whatsapp_media("222", b"x", "EAAG-someone-else")
    with pytest.raises(MediaError) as err:
        client.download_media("222", 2000)
    assert "190" in str(err.value) and WA_TOKEN not in str(err.value)
    graph.add_whatsapp_media("333", b"x", WA_TOKEN, fail_download=500)
    with pytest.raises(MediaError, match="HTTP 500"):
        client.download_media("333", 2000)


def test_instagram_attachment_is_fetched_without_the_token(graph) -> None:
    url = graph.add_instagram_attachment("voice.mp4", b"\0\0\0\x18ftypmp42", mime_type="audio/mp4")
    media = InstagramClient("EAAG-ig", "1", base_url=graph.url).download_attachment(url, 1000)
    assert media == Media(b"\0\0\0\x18ftypmp42", "audio/mp4")
    assert "authorization" not in graph.media_downloads()[0].headers


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1", True),
        ("https://scontent.cdninstagram.com/v/t1.jpg", True),
        ("https://fbsbx.com.evil.example/x", False),
        ("https://evilfbsbx.com/x", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_attachment_hosts(url, allowed) -> None:
    assert host_allowed(url, ["fbsbx.com", "cdninstagram.com"]) is allowed


def test_duration_is_read_from_the_file_or_estimated() -> None:
    assert duration_seconds(Media(ogg_opus(150.5), "audio/ogg")) == pytest.approx(150.5)
    assert duration_seconds(Media(ogg_opus(2), "audio/ogg")) == pytest.approx(2)
    # Not an audio file mutagen knows: estimated from the size (16 kB a second).
    assert duration_seconds(Media(png() + b"\0" * 160_000, "audio/x-unknown")) > 10
