"""Small but well-formed media files for the media tests: an Ogg/Opus voice note of any length
(the pages a real encoder writes, with silent packets) and a tiny PNG."""

from __future__ import annotations

import struct
import zlib

from mutagen.ogg import OggPage

OPUS_RATE = 48_000
PRE_SKIP = 312


def ogg_opus(seconds: float, *, serial: int = 7, padding: int = 0) -> bytes:
    """An Ogg/Opus stream whose header says it lasts `seconds` (what a duration check reads);
    `padding` bytes of extra packet data make it as large as a test needs."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, PRE_SKIP, OPUS_RATE, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"fake" + struct.pack("<I", 0)
    pages = []
    for sequence, (packet, position) in enumerate(
        [
            (head, 0),
            (tags, 0),
            (b"\xf8\xff\xfe" + b"\0" * padding, PRE_SKIP + int(seconds * OPUS_RATE)),
        ]
    ):
        page = OggPage()
        page.serial, page.sequence, page.position = serial, sequence, position
        page.packets = [packet]
        page.first = sequence == 0
        page.last = sequence == 2
        pages.append(page.write())
    return b"".join(pages)


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG of solid grey."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
