"""The owner's conversations as CSV: every message of the range, conversation by conversation.

Streamed: rows are read from the database in batches (a server-side cursor on PostgreSQL) and
written out one by one, so a year of messages never sits in memory. UTF-8 with a byte-order mark
so Excel opens Cyrillic and Uzbek text correctly; times in Asia/Tashkent; headers and labels in
the owner's language; a cell that starts like a formula is written as text (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from labels import LANGUAGE_NAMES, PLATFORM_LABELS
from models.conversation import Conversation, Message
from models.queries.common import day_start, local_zone
from routes.template_helpers import MESSAGE_STATUS_LABELS, SENDER_LABELS

BATCH = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell Excel and LibreOffice show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _headers() -> list[str]:
    return [
        _("Conversation"),
        _("Channel"),
        _("Customer"),
        _("Customer id"),
        _("Language"),
        _("Time (Tashkent)"),
        _("Written by"),
        _("Message"),
        _("Status"),
    ]


def _query(user_id: int, first: date, last: date):
    return (
        select(
            Message.conversation_id,
            Conversation.platform,
            Conversation.customer_name,
            Conversation.customer_ref,
            Conversation.language,
            Message.created_at,
            Message.sender,
            Message.text,
            Message.status,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.user_id == user_id,
            Conversation.user_id == user_id,
            Message.created_at >= day_start(first),
            Message.created_at < day_start(last, 1),
        )
        .order_by(Message.conversation_id, Message.id)
        .execution_options(yield_per=BATCH)
    )


def csv_rows(user_id: int, first: date, last: date) -> Iterator[str]:
    """The file, a line at a time: the byte-order mark and headers, then one row per message."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(c) for c in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(_headers())
    zone = local_zone()
    for conv_id, platform, name, ref, language, at, sender, text, status in db.session.execute(
        _query(user_id, first, last)
    ):
        yield line(
            [
                conv_id,
                PLATFORM_LABELS.get(platform, platform),
                name or "",
                ref,
                LANGUAGE_NAMES.get(language or "", language or ""),
                at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                SENDER_LABELS.get(sender, sender),
                text or "",
                MESSAGE_STATUS_LABELS.get(status, status),
            ]
        )
