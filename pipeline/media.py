"""A voice note or a photo as a question: fetch it from the platform, have the AI transcribe or
describe it, keep that text on the message, and answer it like a typed question.

Fetching and reading take seconds, so they run outside any database transaction, and the
worker checks it still holds the conversation (pipeline/queue.holds) before it goes on, as it
does before every send. The transcript is committed before the answer is asked for: a
redelivered webhook stores nothing new, and a worker taking over a crashed one's message reads
the stored transcript instead of fetching and transcribing the voice note again. The bytes live
in memory only while they are read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from ai import AIError, MediaRequest
from channels import CHANNELS
from channels.media import Media, MediaError, MediaTooLarge, duration_seconds, host_allowed
from core.crypto import SecretError
from extensions import db
from models.ai_config import AIConfig
from models.conversation import Conversation, Message
from pipeline import providers, queue, replies
from pipeline.language import reply_language
from pipeline.send import ChannelMissing, channel_account

log = logging.getLogger(__name__)

AUDIO = frozenset({"voice", "audio", "video_note"})
IMAGES = frozenset({"photo", "image"})
MEDIA_TYPES = ("audio/", "video/", "image/")

# Stored on the message for the owner's and the admin's views (English, like platform errors).
TOO_LONG = "voice message too long ({seconds} s; the limit is {limit} s): not transcribed"
NOT_FETCHED = "could not download the media: {detail}"
NOT_READ = "the AI could not read the media: {detail}"


@dataclass
class Heard:
    """What a media message comes to: the question it asks, or the reply it gets instead."""

    text: str | None = None
    reply: Callable[[str, str], str] | None = None  # (language, script) → the text to send
    error: str | None = None
    status: str | None = None  # the question's status once that reply is sent


def readable(msg: Message, cfg: AIConfig) -> bool:
    """Whether this media message can become a question: read already, or a voice note or photo
    we can fetch and a provider to read it (offline, the canned "please type" reply stays)."""
    if msg.transcript is not None:
        return True
    kind_known = msg.media_type in AUDIO or msg.media_type in IMAGES
    return bool(kind_known and msg.media_ref) and bool(providers.attempts(cfg))


def read(conv: Conversation, msg: Message, cfg: AIConfig) -> Heard:
    """The question a voice note or photo asks (stored on the message), or the reply to send
    instead. Raises queue.LeaseLost when another worker took the conversation meanwhile."""
    if msg.transcript is not None:
        return Heard(msg.transcript)
    audio = msg.media_type in AUDIO
    limit = current_app.config["MEDIA_MAX_SECONDS"]
    if audio and (msg.media_duration or 0) > limit:  # Telegram tells the length: no download
        return _too_long(msg.media_duration, limit)
    language, script = reply_language(conv, None, cfg.default_language)
    try:
        client = CHANNELS[conv.platform].client(current_app.config, channel_account(conv))
        db.session.commit()  # no transaction (nor connection) held while fetching and reading
        media = fetch(client, conv.platform, msg)
    except MediaTooLarge as exc:
        too_large = Heard(reply=replies.file_too_large, status="answered")
        heard = _too_long(None, limit) if audio else too_large
        heard.error = NOT_FETCHED.format(detail=exc)
        return heard
    except (MediaError, ChannelMissing, SecretError) as exc:
        log.info("media of message %s not fetched: %s", msg.id, exc)
        return Heard(
            reply=replies.unreadable, error=NOT_FETCHED.format(detail=exc), status="failed"
        )
    if audio and (seconds := duration_seconds(media)) > limit:
        return _too_long(round(seconds), limit)
    request = MediaRequest(
        media.data,
        media.mime_type,
        "audio" if audio else "image",
        language,
        script,
        transcribe_model=current_app.config["OPENAI_TRANSCRIBE_MODEL"] or None,
    )
    del media  # only the request holds the bytes now, until the AI has read them
    heard = _ask(cfg, request)
    if heard.text is None:
        return heard
    msg.transcript = heard.text[:4000]
    held = queue.holds(conv.id)
    db.session.commit()  # kept even if the lease went: whoever answers reads it, not the AI
    if not held:
        raise queue.LeaseLost(conv.id)
    return Heard(msg.transcript)


def fetch(client, platform: str, msg: Message) -> Media:
    """The media's bytes from the platform, with the conversation's channel client (no database
    access here); raises MediaError (MediaTooLarge)."""
    cfg = current_app.config
    limit = cfg["MEDIA_MAX_BYTES"]
    if platform == "telegram":
        media = client.download_file(msg.media_ref, limit)
    elif platform == "whatsapp":
        media = client.download_media(msg.media_ref, limit)
    elif platform == "instagram":
        if not host_allowed(msg.media_ref, cfg["INSTAGRAM_MEDIA_HOSTS"].split(",")):
            raise MediaError("the attachment URL is not on an Instagram media host")
        media = client.download_attachment(msg.media_ref, limit)
    else:
        raise MediaError(f"no media on {platform}")
    if not media.mime_type.startswith(MEDIA_TYPES):  # file servers often say octet-stream
        guess = "audio/ogg" if msg.media_type in AUDIO else "image/jpeg"
        media = Media(media.data, (msg.media_mime or guess).split(";")[0].strip().lower())
    return media


def _ask(cfg: AIConfig, request: MediaRequest) -> Heard:
    """Transcribe or describe with the providers in the engine's order: the owner's own key
    (skipped when it is broken), then the platform's."""
    owner = providers.owner_settings(cfg)
    failure: AIError | None = None
    for settings in providers.attempts(cfg, owner):
        is_owner = settings is owner
        try:
            result = providers.read_media(settings, request)
        except AIError as err:
            failure = err
            if err.kind == "auth":
                providers.note_failure(cfg, settings, err, is_owner)
            log.warning("reading media failed (%s, %s): %s", settings.provider, err.kind, err)
            if is_owner and err.kind in ("auth", "model_not_found"):
                continue  # the owner's key (or its transcription model) fails: the platform's
            break
        else:
            text = result.text.strip()
            log.info(
                "read %s media with %s in %d ms", request.kind, result.model, result.latency_ms
            )
            if text:
                return Heard(text)
            failure = AIError("empty", "nothing could be read", settings.provider)
            break
    if failure is not None and failure.kind == "empty":
        return Heard(reply=replies.unreadable, error=NOT_READ.format(detail=failure))
    detail = failure or "no AI provider answered"
    return Heard(reply=replies.apology, error=NOT_READ.format(detail=detail), status="failed")


def _too_long(seconds: int | None, limit: int) -> Heard:
    def reply(language: str, script: str) -> str:
        return replies.shorter_please(language, script, minutes=max(1, limit // 60))

    error = TOO_LONG.format(seconds=seconds or "?", limit=limit)
    return Heard(reply=reply, error=error, status="answered")
