"""Downloading a customer's media (voice notes, photos) from the platforms, bounded in size.

The bytes stay in memory only for as long as the caller needs them: nothing is written to disk.
Telegram (`getFile` + the file URL) and WhatsApp (media id → short-lived URL) are methods of
their clients, built on `download` here; an Instagram attachment is a plain URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .http import network_error_text

# Telegram bots may download at most 20 MB; Gemini takes inline requests of at most 20 MB.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Only for a file whose length cannot be read: audio at 128 kbit/s, a generous bitrate for a
# voice note (Opus voice notes are 16-32 kbit/s), so the estimate errs on the long side.
BYTES_PER_SECOND_ESTIMATE = 16_000


class MediaError(Exception):
    """The media could not be fetched; the message is safe to store (no URL, no token)."""


class MediaTooLarge(MediaError):
    """The platform says, or the download showed, the file is over the limit."""

    def __init__(self, size: int | None, limit: int) -> None:
        shown = f"{size / 1048576:.1f} MB" if size else "more"
        super().__init__(f"the file is too large ({shown}; the limit is {limit // 1048576} MB)")
        self.size, self.limit = size, limit


@dataclass(frozen=True, repr=False)
class Media:
    """Downloaded bytes and their type (repr leaves the bytes out of logs)."""

    data: bytes
    mime_type: str

    def __repr__(self) -> str:
        return f"<Media {self.mime_type} {len(self.data)} bytes>"


def download(
    client: httpx.Client,
    url: str,
    *,
    service: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    headers: dict[str, str] | None = None,
    mime_type: str | None = None,
    declared_size: object = None,
) -> Media:
    """GET `url` into memory, stopping as soon as it is over `max_bytes` (or before, when the
    platform's `declared_size` is); raises MediaError, whose words never include the URL (it
    may hold a bot token)."""
    if isinstance(declared_size, int) and declared_size > max_bytes:
        raise MediaTooLarge(declared_size, max_bytes)
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise MediaError(f"{service} answered HTTP {resp.status_code} for the file")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaTooLarge(int(declared), max_bytes)
            buffer = io.BytesIO()
            for chunk in resp.iter_bytes():
                buffer.write(chunk)
                if buffer.tell() > max_bytes:
                    raise MediaTooLarge(None, max_bytes)
            ctype = resp.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise MediaError(network_error_text(service, exc)) from None
    data = buffer.getvalue()
    if not data:
        raise MediaError(f"{service} sent an empty file")
    kind = mime_type or _useful(ctype) or "application/octet-stream"
    return Media(data, kind.split(";")[0].strip().lower())  # "audio/ogg; codecs=opus" → audio/ogg


def _useful(ctype: str) -> str | None:
    """A content type that says what the file is (CDNs often answer octet-stream)."""
    return ctype if ctype and ctype != "application/octet-stream" else None


def host_allowed(url: str, hosts: tuple[str, ...] | list[str]) -> bool:
    """Whether an attachment URL from a webhook points at one of the platform's media hosts (a
    host or a subdomain of one), so a webhook can never make us fetch anything else."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in (h.strip().lower() for h in hosts) if h)


def duration_seconds(media: Media) -> float | None:
    """The length of an audio file (Ogg/Opus, MP4/AAC, MP3, ...) read from its headers, or an
    estimate from its size when the format says nothing."""
    import mutagen

    try:
        found = mutagen.File(io.BytesIO(media.data))
        length = getattr(getattr(found, "info", None), "length", None)
    except Exception:  # a malformed file: fall back to the estimate
        length = None
    if isinstance(length, int | float) and length > 0:
        return float(length)
    return len(media.data) / BYTES_PER_SECOND_ESTIMATE
