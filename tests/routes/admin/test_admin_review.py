"""Admin panel fixes from the review of issue 7: translated log, broadcasts claimed per recipient
and sent in batches, older messages of a conversation, owner search by name or phone, the
dashboard's Tashkent day and links, and admin messages through the fake Graph API."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models.admin_log import AdminLog
from models.base import utcnow
from models.broadcast import Broadcast, BroadcastRecipient
from models.conversation import Conversation, Message
from models.queries.common import day_start, local_today
from outreach import broadcast
from tests.channel_fixtures import connect_all
from tests.engine_helpers import add_kb, configured
from tests.fakes import graph as g
from tests.routes.admin.helpers import add_conversation, login, rows

WA = g.DEFAULT_PHONE_NUMBER_ID


@pytest.fixture
def admin_client(app, user_factory):
    admin = user_factory(name="Admin Adminov", is_admin=True, language="en")
    return login(app, admin.email)


def _wa_customers(owner_id: int, n: int) -> list[str]:
    refs = [f"99890777{i:04d}" for i in range(n)]
    for i, ref in enumerate(refs):
        add_conversation(
            owner_id, "whatsapp", account_ref=WA, customer_ref=ref, name=f"Mijoz {i}", hours_ago=1
        )
    return refs


def _summaries() -> list[dict]:
    return [
        log.details
        for log in db.session.scalars(
            select(AdminLog).where(AdminLog.action == "message_all_customers_result")
        )
    ]


def _admin_messages() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Message).where(Message.sender == "admin")
    )


# --- 1. the admin log in the admin's language ------------------------------------------------
def test_admin_log_shows_translated_actions_details_and_results(app, user_factory):
    admin = user_factory(name="Admin Rus", is_admin=True, language="ru")
    owner = user_factory(name="Dilnoza Ergasheva")
    with app.app_context():
        AdminLog.record(admin.id, "ban_user", owner.id, reason="spam")
        AdminLog.record(
            admin.id,
            "message_all_customers_result",
            owner.id,
            platform="whatsapp",
            total=2,
            sent=1,
            outside_window=1,
            recipients=[
                {"customer": "Ali", "result": "sent"},
                {"customer": "Vali", "result": "outside_window"},
            ],
        )
        AdminLog.record(admin.id, "custom_thing", owner.id, some_key="x")
        db.session.commit()
    client = login(app, admin.email)
    html = client.get("/admin/logs").data.decode()
    for label in (
        "Заблокировал владельца",  # ban_user
        "Рассылка всем клиентам завершена",  # message_all_customers_result
        "Причина",  # reason
        "Вне 24-часового окна",  # outside_window, as a count and as a recipient's result
        "Отправлено",  # sent
        "Всего",  # total
        "custom_thing",  # unknown ids are shown as they are
        "some_key",
    ):
        assert label in html, label
    for raw in ("ban_user</", ">reason:", "outside_window<", "— sent<", "— outside_window"):
        assert raw not in html, raw
    # the filter offers the same labels, keeping the ids as values
    assert '<option value="ban_user">Заблокировал владельца</option>' in html
    page = client.get(f"/admin/users/{owner.id}").data.decode()
    assert "Рассылка всем клиентам завершена" in page and "Вне 24-часового окна" in page
    assert 'data-result="outside_window">Вне 24-часового окна<' in page


# --- 2. message all customers: claimed, batched, resumable -----------------------------------
@pytest.fixture
def fast_broadcasts(app):
    with configured(app, BROADCAST_RATES={"whatsapp": 1000.0}, BROADCAST_BATCH_SIZE=2):
        yield


def test_broadcast_larger_than_a_batch_finishes_and_never_sends_twice(
    app, admin_client, user_factory, fakes, fast_broadcasts
):
    _tg, graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        refs = _wa_customers(owner.id, 5)
    r = admin_client.post(
        f"/admin/users/{owner.id}/message-customers",
        data={"platform": "whatsapp", "text": "Yangi narxlar!"},
    )
    assert r.status_code == 302
    assert sorted(m["to"] for m in graph.whatsapp_sent()) == sorted(refs)
    with app.app_context():
        (summary,) = _summaries()
        assert (summary["total"], summary["sent"], summary["failed"]) == (5, 5, 0)
        assert len(summary["recipients"]) == 5
        run_id = summary["broadcast_id"]
        assert db.session.get(Broadcast, run_id).finished_at is not None
        # a retry or a second enqueue of the same broadcast sends nothing and logs nothing
        assert broadcast.message_all_customers(run_id) is None
        assert _admin_messages() == 5 and len(_summaries()) == 1
    assert len(graph.whatsapp_sent()) == 5


def test_one_job_sends_one_batch_then_hands_over(app, user_factory, fakes, fast_broadcasts):
    _tg, graph = fakes
    owner = user_factory()
    pauses = []
    with app.app_context():
        connect_all(owner.id)
        _wa_customers(owner.id, 5)
        run = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Salom")
        db.session.commit()
        broadcast.message_all_customers(run.id, sleep=pauses.append)
        # the first job paused after its own two sends only; the follow-up jobs sent the rest
        assert len(pauses) == 2
        (summary,) = _summaries()
        assert (summary["total"], summary["sent"]) == (5, 5)
    assert len(graph.whatsapp_sent()) == 5


def test_a_later_run_resumes_and_never_resends_a_claimed_recipient(
    app, user_factory, fakes, fast_broadcasts
):
    _tg, graph = fakes
    owner = user_factory()
    with app.app_context(), configured(app, BROADCAST_BATCH_SIZE=100):
        connect_all(owner.id)
        refs = _wa_customers(owner.id, 5)
        run = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Salom")
        db.session.commit()
        recipients = db.session.scalars(
            select(BroadcastRecipient).order_by(BroadcastRecipient.id)
        ).all()
        by_ref = {
            db.session.get(Conversation, r.conversation_id).customer_ref: r for r in recipients
        }
        # An earlier run sent to one customer, died while sending to a second, and a third run
        # is sending to a third customer right now.
        earlier, died, in_flight = by_ref[refs[0]], by_ref[refs[1]], by_ref[refs[2]]
        earlier.result = "sent"
        died.result, died.claimed_at = "sending", utcnow() - timedelta(hours=1)
        in_flight.result, in_flight.claimed_at = "sending", utcnow()
        db.session.commit()
        assert broadcast.message_all_customers(run.id) is None  # the run in flight finishes
        assert sorted(m["to"] for m in graph.whatsapp_sent()) == sorted(refs[3:])
        assert _summaries() == []
        db.session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.id == in_flight.id)
            .values(result="sent")
        )
        db.session.commit()
        summary = broadcast.message_all_customers(run.id)
        assert (summary["total"], summary["sent"], summary["interrupted"]) == (5, 4, 1)
        assert len(_summaries()) == 1
    assert len(graph.whatsapp_sent()) == 2


def test_two_runs_at_once_send_exactly_once_per_customer(app, user_factory, fakes):
    _tg, graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        refs = _wa_customers(owner.id, 8)
        run = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Salom")
        db.session.commit()
        run_id = run.id
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                broadcast.message_all_customers(run_id, sleep=lambda _s: time.sleep(0.01))
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with configured(app, BROADCAST_RATES={"whatsapp": 1000.0}, BROADCAST_BATCH_SIZE=100):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors
    assert Counter(m["to"] for m in graph.whatsapp_sent()) == Counter(refs)
    with app.app_context():
        assert _admin_messages() == 8
        (summary,) = _summaries()
        assert (summary["total"], summary["sent"]) == (8, 8)


# --- 3. a long conversation, page by page ----------------------------------------------------
def test_conversation_view_pages_back_to_the_oldest_message(app, admin_client, user_factory):
    owner = user_factory()
    texts = tuple(f"Savol {i}" for i in range(7))
    with app.app_context():
        conv_id = add_conversation(owner.id, "telegram", texts=texts, reply=None)
    url = f"/admin/conversations/{conv_id}"
    with configured(app, ADMIN_MESSAGES_PER_PAGE=3):
        seen = []
        html = admin_client.get(url).data.decode()
        while True:
            seen = [m for m in re.findall(r'class="message-text"[^>]*>([^<]*)<', html)] + seen
            older = re.search(r'class="older-messages" href="([^"]+)"', html)
            if older is None:
                break
            html = admin_client.get(older.group(1).replace("&amp;", "&")).data.decode()
        assert seen == list(texts)
        assert "3 of 7 messages shown." not in html and "1 of 7 messages shown." in html
        newer = re.search(r'class="newer-messages" href="([^"]+)"', html).group(1)
        html = admin_client.get(newer.replace("&amp;", "&")).data.decode()
        assert re.findall(r'class="message-text"[^>]*>([^<]*)<', html) == list(texts[1:4])


# --- 4. the conversations' owner filter ------------------------------------------------------
def test_conversation_owner_filter_takes_a_name_or_a_phone(app, admin_client, user_factory):
    dilnoza = user_factory(name="Dilnoza Ergasheva", phone="+998905551234")
    bobur = user_factory(name="Bobur Toshmatov", phone="+998935550000")
    with app.app_context():
        hers = add_conversation(dilnoza.id, "telegram", name="Ali")
        his = add_conversation(bobur.id, "telegram", name="Vali")
    for typed, expected in (
        ("dilnoza", [hers]),
        ("Toshmatov", [his]),
        ("+998 90 555 12 34", [hers]),
        ("905551234", [hers]),
        ("93 555 00 00", [his]),
        (str(bobur.id), [his]),
    ):
        html = admin_client.get("/admin/conversations", query_string={"owner": typed})
        assert rows(html.data.decode(), "data-conversation-id") == [str(c) for c in expected], typed


# --- 5. the dashboard --------------------------------------------------------------------------
def _traffic(html: str, key: str) -> tuple[int, int]:
    row = re.search(rf'id="traffic-{key}">(.*?)</tr>', html, re.S).group(1)
    conversations, messages = re.findall(r'class="text-end">(\d+)<', row)
    return int(conversations), int(messages)


def test_dashboard_today_is_the_tashkent_calendar_day(app, admin_client, user_factory):
    owner = user_factory()
    with app.app_context():
        midnight = day_start(local_today())
        # one conversation a minute before local midnight (yesterday, but within 24 hours),
        # one a minute after it; each has one customer message and no reply
        for at in (midnight - timedelta(minutes=1), midnight + timedelta(minutes=1)):
            conv_id = add_conversation(owner.id, "telegram", name=str(at), reply=None)
            conv = db.session.get(Conversation, conv_id)
            conv.created_at = conv.last_message_at = at
            db.session.execute(
                update(Message).where(Message.conversation_id == conv_id).values(created_at=at)
            )
        week_start = day_start(local_today(), days=-6)
        add_conversation(owner.id, "telegram", name="week", reply=None)
        for name, at in (("in", week_start), ("out", week_start - timedelta(minutes=1))):
            conv_id = add_conversation(owner.id, "telegram", name=name, reply=None)
            db.session.get(Conversation, conv_id).created_at = at
            db.session.execute(
                update(Message).where(Message.conversation_id == conv_id).values(created_at=at)
            )
        db.session.commit()
    html = admin_client.get("/admin/").data.decode()
    now_in_today = 2 if utcnow() - midnight > timedelta(hours=1) else 1
    assert _traffic(html, "today") == (now_in_today, now_in_today)
    assert _traffic(html, "week") == (4, 4)


def test_dashboard_counts_link_to_the_matching_owners(app, admin_client, user_factory):
    with_kb = user_factory(name="Bilimli Biznes")
    user_factory(name="Bo‘sh Biznes")
    with app.app_context():
        connect_all(with_kb.id)
        add_kb(with_kb.id)
    html = admin_client.get("/admin/").data.decode()
    kb_link = re.search(r'href="([^"]+)" id="kb-link"', html).group(1)
    wa_link = re.search(r'href="([^"]+)" id="channel-link-whatsapp"', html).group(1)
    assert re.search(r'id="count-kb">1<', html)
    for link in (kb_link, wa_link):
        listing = admin_client.get(link.replace("&amp;", "&")).data.decode()
        assert "Bilimli Biznes" in listing and "Bo‘sh Biznes" not in listing, link
    listing = admin_client.get("/admin/users?kb=no").data.decode()
    assert "Bo‘sh Biznes" in listing and "Bilimli Biznes" not in listing


# --- 6. an admin message through the fake Graph API ------------------------------------------
@pytest.mark.parametrize("platform", ["whatsapp", "instagram"])
def test_admin_messages_a_meta_customer_inside_the_window(
    app, admin_client, user_factory, fakes, platform
):
    _tg, graph = fakes
    owner = user_factory()
    account = WA if platform == "whatsapp" else g.DEFAULT_IG_ACCOUNT_ID
    customer = "998901234567" if platform == "whatsapp" else "6543210987654321"
    with app.app_context():
        connect_all(owner.id)
        conv_id = add_conversation(
            owner.id, platform, account_ref=account, customer_ref=customer, hours_ago=3
        )
    text = "Sizning botingizga yangi savollar qo‘shildi"
    page = admin_client.get(f"/admin/conversations/{conv_id}").data.decode()
    assert 'id="admin-message-form"' in page
    r = admin_client.post(
        f"/admin/conversations/{conv_id}/message", data={"text": text}, follow_redirects=True
    )
    assert b"Message sent." in r.data
    if platform == "whatsapp":
        (sent,) = graph.whatsapp_sent(WA, to=customer)
        assert sent["text"]["body"] == text and sent["messaging_product"] == "whatsapp"
    else:
        assert graph.instagram_texts(customer) == [text]
    with app.app_context():
        msg = db.session.scalar(select(Message).where(Message.sender == "admin"))
        assert (msg.direction, msg.status, msg.text, msg.platform) == (
            "out",
            "sent",
            text,
            platform,
        )
        assert msg.external_id  # Meta's message id, kept to match delivery statuses
        log = db.session.scalar(select(AdminLog).where(AdminLog.action == "message_customer"))
        assert log.details["status"] == "sent" and log.target_user_id == owner.id
    assert text in r.data.decode()  # shown in the conversation, sent by the admin


def test_owner_page_names_a_failed_model_without_the_internal_marker(
    app, admin_client, user_factory
):
    from models.ai_config import AIConfig

    owner = user_factory(name="Model Egasi")
    with app.app_context():
        AIConfig.for_user(owner.id).mark_model_failed("gpt-9-nano", "The model does not exist")
        db.session.commit()
    html = admin_client.get(f"/admin/users/{owner.id}").data.decode()
    assert "Model not available: gpt-9-nano" in html and "The model does not exist" in html
    assert "[model:" not in html


def test_a_broadcast_whose_job_was_lost_is_resumed_by_the_recovery_job(
    app, user_factory, fakes, fast_broadcasts
):
    """The in-process queue dies with its worker: the scheduler's recovery job restarts idle
    broadcasts, and one still moving is left alone."""
    from scheduler import run_job

    _tg, graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        refs = _wa_customers(owner.id, 3)
        lost = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Yangi narxlar!")
        lost.created_at = utcnow() - timedelta(minutes=6)
        fresh = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Hali navbatda")
        db.session.commit()
        lost_id, fresh_id = lost.id, fresh.id
    assert run_job(app, "messages-requeue-stale")["broadcasts_resumed"] == 1
    assert sorted(m["to"] for m in graph.whatsapp_sent()) == sorted(refs)
    assert {m["text"]["body"] for m in graph.whatsapp_sent()} == {"Yangi narxlar!"}
    with app.app_context():
        assert db.session.get(Broadcast, lost_id).finished_at is not None
        assert db.session.get(Broadcast, fresh_id).finished_at is None
        (summary,) = _summaries()
        assert (summary["total"], summary["sent"]) == (3, 3)
    # Finished now: the next sweep has nothing to do.
    assert run_job(app, "messages-requeue-stale")["broadcasts_resumed"] == 0


def test_only_one_chain_of_jobs_sends_a_broadcast(app, user_factory, fakes, fast_broadcasts):
    """Two workers' recovery jobs resume the same idle broadcast at once: one chain takes the
    lease and sends; the other finds it taken and stops, so the send rate is kept."""
    _tg, graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        refs = _wa_customers(owner.id, 3)
        run = broadcast.start_customer_broadcast(None, owner.id, "whatsapp", "Salom")
        db.session.commit()
        first = broadcast._take_lease(run.id, None)  # a chain is running this broadcast
        assert first is not None
        assert broadcast._take_lease(run.id, None) is None  # a second chain is refused
        assert broadcast.message_all_customers(run.id) is None  # ... and sends nothing
        assert graph.whatsapp_sent() == []
        assert broadcast._take_lease(run.id, first) == first  # the chain itself renews it
        # The chain's lease runs out (its worker died): a new chain may take over.
        db.session.execute(
            update(Broadcast)
            .where(Broadcast.id == run.id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        broadcast.message_all_customers(run.id)
        assert db.session.get(Broadcast, run.id).finished_at is not None
    assert sorted(m["to"] for m in graph.whatsapp_sent()) == sorted(refs)
