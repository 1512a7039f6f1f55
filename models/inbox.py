"""The webhook inbox: each delivery a platform signed, kept as it came until it is stored.

A webhook verifies the delivery's signature, writes it here in one INSERT and answers 200; the
answering processes then parse it and store its messages (pipeline/inbox.py), a batch at a time,
and delete it. Nothing is lost between the two: the row is committed before the platform is
acknowledged, and deleted in the transaction that stored what it said. A delivery that cannot
be stored keeps its error and, after its tries, waits for the admin (the failed-jobs page).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow


class WebhookDelivery(db.Model):
    """One signed delivery for one connected account. Only the primary key is indexed: rows are
    read in arrival order and live a fraction of a second."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # The account the signature verified (no foreign keys: an account or owner deleted meanwhile
    # must not make the delivery fail to be written).
    user_id: Mapped[int] = mapped_column(Integer)
    account_ref: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(1000))
