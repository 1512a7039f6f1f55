"""Daily message figures of settled days, kept so the statistics page never rescans them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class MessageDayStat(db.Model):
    """Messages of one local (Tashkent) day, grouped as the statistics page reads them.

    Filled by the `stats-rollup` job for days that can no longer change (before yesterday);
    today and yesterday are always read live from `messages`.
    """

    __tablename__ = "message_day_stats"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" when none answered
    messages: Mapped[int] = mapped_column(Integer)
    tokens_in: Mapped[int] = mapped_column(BigInteger)
    tokens_out: Mapped[int] = mapped_column(BigInteger)
