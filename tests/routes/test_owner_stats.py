"""The owner's statistics page and CSV export: their own figures only, by Tashkent day and hour,
a validated date range, and a streamed, Excel-safe file."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from models.base import utcnow
from models.conversation import Conversation, Message
from models.queries.common import day_start, local_today
from models.queries.owner_stats import owner_stats
from routes.conversation_export import safe_cell
from tests.routes.admin.helpers import add_conversation

OWNER_LANGUAGE = "en"


def _msg(conv: Conversation, at: datetime, sender="customer", text="Salom", **kw) -> Message:
    msg = Message(
        conversation_id=conv.id,
        user_id=conv.user_id,
        platform=conv.platform,
        account_ref=conv.account_ref,
        direction="in" if sender == "customer" else "out",
        sender=sender,
        text=text,
        status="answered" if sender == "customer" else "sent",
        created_at=at,
        **kw,
    )
    db.session.add(msg)
    return msg


def _conv(user_id: int, ref: str, created: datetime, platform="telegram", **kw) -> Conversation:
    conv = Conversation(
        user_id=user_id,
        platform=platform,
        account_ref="42",
        customer_ref=ref,
        customer_name=kw.pop("name", "Ali"),
        language="uz",
        created_at=created,
        last_message_at=created,
        last_inbound_at=created,
    )
    db.session.add(conv)
    db.session.flush()
    return conv


def _charts(html: str) -> dict:
    data = json.loads(re.search(r'id="stats-data">(.*?)</script>', html, re.S).group(1))
    return {c["id"]: c for c in data["charts"]}


def test_figures_by_tashkent_day_channel_customer_and_who_answered(app, owner, user_factory):
    other = user_factory()
    with app.app_context():
        today = local_today()
        # 20:30 UTC yesterday is 01:30 today in Tashkent: counted today, at hour 1.
        late = day_start(today) + timedelta(minutes=90)
        old = _conv(owner.id, "old", late - timedelta(days=40))  # a returning customer
        _msg(old, late, text="Dostavka bormi?")
        _msg(old, late + timedelta(seconds=5), sender="bot", text="Ha")
        new = _conv(owner.id, "new", late, platform="whatsapp")
        _msg(new, late, text="dostavka bormi")
        _msg(new, late + timedelta(seconds=5), sender="bot", text="?", dont_know=True)
        _msg(new, late + timedelta(minutes=1), sender="owner", text="Ha, bor")
        web = _conv(owner.id, "web", late, platform="web")  # the owner's test chat: left out
        _msg(web, late, text="test savol")
        theirs = _conv(other.id, "x", late)
        _msg(theirs, late, text="Boshqa egasi")
        db.session.commit()
        stats = owner_stats(owner.id, today - timedelta(days=6), today)
    assert len(stats.days) == 7 and stats.days[-1] == today.isoformat()
    assert stats.messages["telegram"][-1] == 2 and stats.messages["whatsapp"][-1] == 3
    assert stats.conversations["telegram"][-1] == 1 and stats.conversations["whatsapp"][-1] == 1
    assert (stats.new_customers[-1], stats.returning_customers[-1]) == (1, 1)
    assert stats.customers == {"total": 2, "new": 1, "returning": 1}
    assert stats.answered_by == {"bot": 1, "owner": 1, "dont_know": 1}
    assert stats.share("dont_know") == pytest.approx(1 / 3)
    assert stats.hours[1] == 2 and sum(stats.hours) == 2 and stats.busiest_hour == 1
    assert stats.top_questions == [("dostavka bormi", 2)]  # one question, its latest wording


def test_the_page_shows_only_the_owners_own_data(app, client, owner, user_factory):
    other = user_factory()
    with app.app_context():
        add_conversation(other.id, texts=("Begona savol",), customer_ref="theirs")
        add_conversation(
            owner.id, texts=("Yetkazib berish bormi?", "yetkazib berish bormi"), customer_ref="mine"
        )
    html = client.get("/statistics").get_data(as_text=True)
    assert "Begona" not in html and "yetkazib berish bormi" in html.lower()
    charts = _charts(html)
    messages = charts["chart-messages"]["datasets"]
    assert sum(sum(s["data"]) for s in messages) == 3  # two questions and the bot's reply
    assert len(charts["chart-conversations"]["labels"]) == 30  # the last 30 days by default
    assert 'id="total-customers">1<' in html and "stats_charts.js" in html
    assert "2 times" in html  # the question asked most, linked to the inbox's search
    assert re.search(r'href="/conversations\?q=[Yy]etkazib\+berish\+bormi', html)


def test_locale_formats_the_figures(app, client, auth, user_factory):
    user = user_factory(language="ru")
    auth.login(user.email)
    client.set_cookie("lang", "ru")
    with app.app_context():
        conv = _conv(user.id, "c", utcnow() - timedelta(hours=1))
        for i in range(1200):
            _msg(conv, utcnow() - timedelta(minutes=30), text=f"savol {i}")
        db.session.commit()
    html = client.get("/statistics").get_data(as_text=True)
    assert 'id="total-messages">1\xa0200<' in html
    assert "Статистика" in html


@pytest.mark.parametrize(
    "query,error",
    [
        ("date_from=2026-05-10&date_to=2026-05-01", "The start date is after the end date."),
        ("date_from=2024-01-01&date_to=2026-01-01", "Choose at most 366 days."),
        ("date_from=bad&date_to=2026-01-01", "Enter a date like m/d/yyyy."),
    ],
)
def test_a_bad_range_is_explained_and_the_default_shown(client, owner, query, error):
    response = client.get(f"/statistics?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and error in html and 'id="range-errors"' in html
    assert len(_charts(html)["chart-messages"]["labels"]) == 30


def test_a_chosen_range_is_used(client, owner):
    html = client.get("/statistics?date_from=2026-01-01&date_to=2026-01-31").get_data(as_text=True)
    assert len(_charts(html)["chart-hours"]["labels"]) == 24
    assert len(_charts(html)["chart-customers"]["labels"]) == 31 and "range-errors" not in html


def test_a_bad_range_in_russian_is_translated(client, auth, user_factory):
    user = user_factory(language="ru")
    auth.login(user.email)
    client.set_cookie("lang", "ru")
    html = client.get("/statistics?date_from=2026-05-10&date_to=2026-05-01").get_data(as_text=True)
    assert "The start date" not in html and 'id="range-errors"' in html


# --- CSV export ------------------------------------------------------------------------------
def test_csv_export_streams_the_owners_messages_safely(app, client, owner, user_factory):
    other = user_factory()
    at = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 01:30 on 2 March in Tashkent
    with app.app_context():
        conv = _conv(owner.id, "c1", at, name='=HYPERLINK("http://x")')
        _msg(conv, at, text="Привет, доставка есть?")
        _msg(conv, at + timedelta(seconds=2), sender="bot", text="+998 90 123 45 67, @shop")
        _msg(conv, at + timedelta(seconds=3), text="-1+2")
        theirs = _conv(other.id, "c2", at)
        _msg(theirs, at, text="Begona")
        _msg(conv, at + timedelta(days=5), text="outside the range")
        db.session.commit()
    response = client.get("/statistics/export.csv?date_from=2026-03-02&date_to=2026-03-02")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads Cyrillic right
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Conversation", "Channel", "Customer"]
    assert rows[0][5] == "Time (Tashkent)"
    assert len(rows) == 4  # the header and this owner's three messages of that day
    assert rows[1][2] == '\'=HYPERLINK("http://x")'  # a formula is written as text
    assert rows[1][5] == "2026-03-02 01:30:00" and rows[1][6] == "Customer"
    assert rows[1][7] == "Привет, доставка есть?"
    assert rows[2][7] == "'+998 90 123 45 67, @shop" and rows[2][6] == "Bot"
    assert rows[3][7] == "'-1+2"
    assert "Begona" not in body.decode("utf-8-sig")


def test_csv_headers_follow_the_owners_language(app, client, auth, user_factory):
    user = user_factory(language="uz")
    auth.login(user.email)
    client.set_cookie("lang", "uz")
    body = client.get("/statistics/export.csv").get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(body)))
    assert header[0] != "Conversation" and len(header) == 9


@pytest.mark.parametrize(
    "value,expected",
    [("=1+1", "'=1+1"), ("+998", "'+998"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("Salom", "Salom"), (None, ""), (5, "5")],
)  # fmt: skip
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_anonymous_gets_the_login_page(client):
    assert "/auth/login" in client.get("/statistics").headers["Location"]
    assert "/auth/login" in client.get("/statistics/export.csv").headers["Location"]
