"""Shared by the demo generators: explicit ids, the owner filled in, bulk INSERTs, random picks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from commands.demo.data import FIRST_NAMES, LAST_NAMES, feminine_surname
from extensions import db


@dataclass
class Ids:
    """Next free primary key per table: rows get explicit ids so children can refer to them."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, model, n: int = 1) -> int:
        table = model.__tablename__
        if table not in self.next:
            self.next[table] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        first = self.next[table]
        self.next[table] += n
        return first


@dataclass
class Owner:
    id: int
    language: str
    created_at: datetime
    status: str
    channels: dict[str, str] = field(default_factory=dict)  # platform -> account_ref


def bulk(model, rows: list[dict], batch: int) -> None:
    for i in range(0, len(rows), batch):
        db.session.execute(insert(model), rows[i : i + batch])


def person(rng: random.Random, lang: str) -> str:
    """A full name whose surname agrees with the first name's gender."""
    gender = rng.choice(("m", "f"))
    surname = rng.choice(LAST_NAMES[lang])
    if gender == "f":
        surname = feminine_surname(surname, lang)
    return f"{rng.choice(FIRST_NAMES[lang][gender])} {surname}"


def pick_language(rng: random.Random) -> str:
    return rng.choices(("uz", "ru", "en"), weights=(6, 3, 1))[0]


def ago(rng: random.Random, now: datetime, days: int) -> datetime:
    """A moment in the last `days` days, more often recent (a growing platform)."""
    return now - timedelta(days=rng.triangular(0, days, 0), seconds=rng.randint(0, 3600))
