"""The admin panel: access to every admin endpoint, users (search, filters, detail, ban, e-mail),
conversations (filters, search, messages to customers), announcements, statistics and the log."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy import text as sql

from extensions import db
from models.admin_log import AdminLog
from models.ai_config import AIConfig
from models.announcement import Announcement, AnnouncementDismissal
from models.base import utcnow
from models.billing import create_plan_request
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from models.conversation import Conversation, Message
from models.coupon import generate_coupon
from models.marketing import MarketingMessage
from models.queries.stats import platform_stats
from models.user import User
from outreach import admin_emails, broadcast
from tests.channel_fixtures import APP_SECRET, IG_TOKEN, TOKEN, WA_TOKEN, connect_all
from tests.engine_helpers import add_kb, configured
from tests.factories import PASSWORD
from tests.fakes import graph as g
from tests.routes.admin.helpers import add_conversation, login, rows

OPENAI_KEY = "sk-proj-owner-secret-key-1234567890abcdef"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- helpers ---------------------------------------------------------------------------------
@pytest.fixture
def admin_client(app, user_factory):
    admin = user_factory(name="Admin Adminov", is_admin=True, language="en")
    client = login(app, admin.email)
    client.admin = admin
    return client


# --- access: every admin endpoint ------------------------------------------------------------
def _url_for_rule(app, rule, ids: dict[str, int]) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{arg: ids.get(arg, 1) for arg in rule.arguments})


def test_every_admin_endpoint_is_guarded(app, user_factory):
    """Anonymous → login, owner → 403 on GET and POST; admin → 200 on every GET page."""
    owner = user_factory(email="owner@example.uz")
    admin = user_factory(name="Admin", is_admin=True, language="en")
    with app.app_context():
        conv_id = add_conversation(owner.id)
        announcement = Announcement(subject_uz="Salom", body_uz="Matn", audience="all")
        db.session.add(announcement)
        coupon = generate_coupon(percent=10)
        request = create_plan_request(db.session.get(User, owner.id), "monthly")
        db.session.commit()
        ids = {
            "user_id": owner.id,
            "conv_id": conv_id,
            "announcement_id": announcement.id,
            "coupon_id": coupon.id,
            "request_id": request.id,
        }
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert {
        "admin.users",
        "admin.user_detail",
        "admin.ban_user",
        "admin.message_customer",
        "admin.create_announcement",
        "admin.stats",
        "admin.logs",
    } <= {r.endpoint for r in rules}
    anonymous, as_owner, as_admin = (
        app.test_client(),
        login(app, owner.email),
        login(app, admin.email),
    )
    problems = []
    for rule in rules:
        url = _url_for_rule(app, rule, ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            send = getattr(anonymous, method.lower())
            r = send(url)
            if r.status_code != 302 or "/auth/login" not in r.headers.get("Location", ""):
                problems.append((method, url, "anonymous", r.status_code))
            r = getattr(as_owner, method.lower())(url)
            if r.status_code != 403:
                problems.append((method, url, "owner", r.status_code))
            if method == "GET":
                r = as_admin.get(url)
                if r.status_code != 200:
                    problems.append((method, url, "admin", r.status_code))
    assert problems == []


def test_banner_dismiss_needs_a_login(client):
    response = client.post("/announcements/1/dismiss")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- users list ------------------------------------------------------------------------------
@pytest.fixture
def people(app, user_factory):
    """Owners in every status, with distinct names, phones and channels."""
    made = {
        "trial": user_factory(name="Aziza Karimova", phone="+998901234567", email="aziza@shop.uz"),
        "expired": user_factory(name="Bobur Toshmatov", phone="+998935551122", status="expired"),
        "paid": user_factory(
            name="Dilnoza Yusupova", phone="+998977770011", status="paid", email="dilnoza@gullar.uz"
        ),
        "banned": user_factory(name="Eldor Spamov", phone="+998998887766", status="banned"),
    }
    with app.app_context():
        connect_all(made["paid"].id)
        bot = TelegramBot(
            user_id=made["trial"].id,
            bot_id="55501",
            username="aziza_bot",
            token_encrypted="x",
            token_hash="h" * 64,
            secret_encrypted="x",
        )
        db.session.add(bot)
        db.session.commit()
    return made


@pytest.mark.parametrize(
    "typed",
    ["90 123 45 67", "+998 (90) 123-45-67", "998901234567", "4567", "aziza@", "KARIMOVA", "Aziza"],
)
def test_users_search_by_name_email_or_phone_typed_any_way(admin_client, people, typed):
    html = admin_client.get("/admin/users", query_string={"q": typed}).data.decode()
    assert rows(html, "data-user-id") == [str(people["trial"].id)]


@pytest.mark.parametrize("typed", ["ДИЛНОЗА", "юсупова", "Дилноза Ю"])
def test_users_search_folds_cyrillic_case(admin_client, user_factory, typed):
    cyrillic = user_factory(name="Дилноза Юсупова")
    user_factory(name="Дилшод Каримов")
    html = admin_client.get("/admin/users", query_string={"q": typed}).data.decode()
    assert rows(html, "data-user-id") == [str(cyrillic.id)]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("free", {"trial", "expired"}),
        ("trial", {"trial"}),
        ("expired", {"expired"}),
        ("paid", {"paid"}),
        ("banned", {"banned"}),
        ("", {"trial", "expired", "paid", "banned"}),
    ],
)
def test_users_filter_by_status_never_lists_admins(admin_client, people, status, expected):
    html = admin_client.get("/admin/users", query_string={"status": status}).data.decode()
    assert set(rows(html, "data-user-id")) == {str(people[k].id) for k in expected}


def test_users_filter_by_platform_and_sort(admin_client, people):
    html = admin_client.get("/admin/users?platform=telegram&sort=name").data.decode()
    assert rows(html, "data-user-id") == [str(people["trial"].id), str(people["paid"].id)]
    html = admin_client.get("/admin/users?platform=whatsapp").data.decode()
    assert rows(html, "data-user-id") == [str(people["paid"].id)]
    html = admin_client.get("/admin/users?platform=none&sort=name").data.decode()
    assert rows(html, "data-user-id") == [str(people["expired"].id), str(people["banned"].id)]
    html = admin_client.get("/admin/users?sort=plan_expiry").data.decode()
    assert rows(html, "data-user-id")[0] == str(people["paid"].id)
    html = admin_client.get("/admin/users?sort=trial_end&status=free").data.decode()
    assert rows(html, "data-user-id") == [str(people["expired"].id), str(people["trial"].id)]


def test_users_list_paginates_with_a_constant_number_of_queries(app, admin_client, user_factory):
    for i in range(55):
        owner = user_factory(name=f"Owner {i:02d}")
        if i % 3 == 0:
            with app.app_context():
                add_conversation(owner.id, customer_ref=f"cust-{i}")
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = admin_client.get("/admin/users").data.decode()
        n_first = len(statements)
        statements.clear()
        second = admin_client.get("/admin/users?page=2").data.decode()
        n_second = len(statements)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows(first, "data-user-id")) == 50 and len(rows(second, "data-user-id")) == 5
    assert "55" in first and n_first == n_second <= 10  # no query per row


# --- user detail -----------------------------------------------------------------------------
def test_user_detail_shows_everything_but_never_a_secret(app, admin_client, people):
    paid = people["paid"]
    with app.app_context():
        kb = add_kb(paid.id, text="Narxlar: olma 12 000 so‘m. " * 200, name="narxlar.txt")
        cfg = AIConfig.for_user(paid.id)
        cfg.set_openai_key(OPENAI_KEY)
        cfg.openai_model = "gpt-test-own"
        add_conversation(paid.id, "telegram", name="Ali")
        add_conversation(paid.id, "whatsapp", name="Vali", account_ref=g.DEFAULT_PHONE_NUMBER_ID)
        AdminLog.record(admin_client.admin.id, "note", paid.id, text="called the owner")
        db.session.commit()
        secrets = [
            TOKEN,
            WA_TOKEN,
            IG_TOKEN,
            APP_SECRET,
            OPENAI_KEY,
            "verify-wa-123",
            "verify-ig-456",
            cfg.openai_key_encrypted,
            cfg.openai_key_hint,
        ]
        for model in (TelegramBot, WhatsAppAccount, InstagramAccount):
            row = db.session.scalar(select(model).where(model.user_id == paid.id))
            secrets += [v for k, v in vars(row).items() if k.endswith("_encrypted")]
        kb_id = kb.id
    html = admin_client.get(f"/admin/users/{paid.id}").data.decode()
    for expected in (
        "+998 97 777 00 11",
        "dilnoza@gullar.uz",
        "narxlar.txt",
        "TXT",
        "@gullar_shop_bot",
        g.DEFAULT_PHONE_NUMBER_ID,
        g.DEFAULT_IG_ACCOUNT_ID,
        "Graph 190: access token expired",
        "getMe ok",
        "gpt-test-own",
        "called the owner",
        "Narxlar: olma 12 000 so‘m.",
        f"/knowledge-base/{kb_id}/download",
        'id="payments-table"',
        'id="assign-plan-form"',
    ):
        assert expected in html, expected
    preview = re.search(r'id="kb-preview"[^>]*>(.*?)</pre>', html, re.S).group(1)
    assert 2000 <= len(preview) <= 2010
    leaked = [s for s in secrets if s and s in html]
    assert leaked == []


def test_user_detail_404_for_unknown_user_and_for_admins(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.get(f"/admin/users/{admin_client.admin.id}").status_code == 404


# --- ban / unban -----------------------------------------------------------------------------
def test_ban_blocks_login_session_and_bot_then_unban_restores(app, admin_client, user_factory):
    owner = user_factory(email="ban@example.uz")
    owner_session = login(app, owner.email)
    r = admin_client.post(f"/admin/users/{owner.id}/ban", data={"reason": "Spam reklama"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert user.is_banned and user.ban_reason == "Spam reklama" and not user.can_be_served
        log = db.session.scalar(select(AdminLog).where(AdminLog.action == "ban_user"))
        assert (log.admin_id, log.target_user_id, log.details) == (
            admin_client.admin.id,
            owner.id,
            {"reason": "Spam reklama"},
        )
    # the open session stops working and a new login is refused
    assert "/auth/login" in owner_session.get("/dashboard").headers["Location"]
    refused = app.test_client().post(
        "/auth/login",
        data={"login": owner.email, "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 200 and b"blocked" in refused.data
    # the bot does not answer a banned owner's customers
    from pipeline.worker import answer_conversation

    with app.app_context():
        conv_id = add_conversation(owner.id, reply=None)
        msg = db.session.scalar(select(Message).where(Message.conversation_id == conv_id))
        msg.status = "received"
        msg.conversation.mark_answer_pending()  # waiting in the answer queue
        db.session.commit()
        answer_conversation(conv_id)
        db.session.expire_all()
        assert db.session.get(Message, msg.id).status == "not_served"
    assert admin_client.post(f"/admin/users/{owner.id}/unban").status_code == 302
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert not user.is_banned and user.can_be_served
        assert (
            db.session.scalar(select(AdminLog.action).order_by(AdminLog.id.desc())) == "unban_user"
        )
    assert login(app, owner.email).get("/dashboard").status_code == 200


def test_ban_needs_a_reason_and_admins_cannot_be_banned(app, admin_client, user_factory):
    owner = user_factory()
    other_admin = user_factory(is_admin=True)
    admin_client.post(f"/admin/users/{owner.id}/ban", data={"reason": " "})
    assert (
        admin_client.post(f"/admin/users/{other_admin.id}/ban", data={"reason": "x"}).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(User, owner.id).banned_at is None
        assert db.session.scalar(select(func.count()).select_from(AdminLog)) == 0


# --- e-mail to an owner ----------------------------------------------------------------------
def test_admin_emails_an_owner_through_smtp(app, admin_client, user_factory, smtp_server):
    owner = user_factory(name="Nodira Ergasheva", email="nodira@example.uz", language="ru")
    r = admin_client.post(
        f"/admin/users/{owner.id}/email",
        data={"subject": "Yangi imkoniyat", "body": "Salom!\nBotingiz tayyor."},
        follow_redirects=True,
    )
    assert b"has been sent" in r.data
    [mail] = smtp_server.messages
    assert mail["To"] == "nodira@example.uz" and mail["Subject"] == "Yangi imkoniyat"
    assert "Botingiz tayyor." in mail.get_body(("plain",)).get_content()
    assert "Здравствуйте, Nodira Ergasheva!" in mail.get_body(("plain",)).get_content()
    with app.app_context():
        record = db.session.scalar(select(MarketingMessage))
        assert (record.kind, record.status, record.user_id) == ("admin_email", "sent", owner.id)
        log = db.session.scalar(select(AdminLog).where(AdminLog.action == "email_user"))
        assert log.details["subject"] == "Yangi imkoniyat"


def test_admin_email_without_smtp_is_recorded_as_not_sent(app, admin_client, user_factory):
    owner = user_factory()
    r = admin_client.post(
        f"/admin/users/{owner.id}/email", data={"subject": "S", "body": "B"}, follow_redirects=True
    )
    assert b"was not sent" in r.data
    with app.app_context():
        assert db.session.scalar(select(MarketingMessage.status)) == "logged"


# --- conversations ---------------------------------------------------------------------------
@pytest.fixture
def chats(app, user_factory):
    a = user_factory(name="Owner A", email="a@shop.uz")
    b = user_factory(name="Owner B", email="b@market.uz")
    with app.app_context():
        ids = {
            "tg_uz": add_conversation(a.id, "telegram", texts=("Yetkazib berish qancha?",)),
            "wa_ru": add_conversation(
                b.id,
                "whatsapp",
                texts=("Сколько стоит ДОСТАВКА?",),
                language="ru",
                account_ref="wa1",
                hours_ago=30,
            ),
            "ig_en_failed": add_conversation(
                b.id,
                "instagram",
                texts=("Is the shop open?",),
                language="en",
                account_ref="ig1",
                failed=True,
                hours_ago=24 * 10,
            ),
            "tg_unserved": add_conversation(
                a.id, "telegram", texts=("Payme bormi?",), reply=None, hours_ago=24 * 40
            ),
        }
    return a, b, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["tg_uz", "wa_ru", "ig_en_failed", "tg_unserved"]),
        ({"platform": "telegram"}, ["tg_uz", "tg_unserved"]),
        ({"owner": "b@market"}, ["wa_ru", "ig_en_failed"]),
        ({"language": "ru"}, ["wa_ru"]),
        ({"status": "failed"}, ["ig_en_failed"]),
        ({"status": "served"}, ["tg_uz", "wa_ru", "ig_en_failed"]),
        ({"q": "стоит"}, ["wa_ru"]),
        ({"q": "доставка"}, ["wa_ru"]),  # case folds in Cyrillic too, on SQLite as on PostgreSQL
        ({"q": "ДОСТАВКА?"}, ["wa_ru"]),
        ({"q": "YETKAZIB"}, ["tg_uz"]),
        ({"q": "Ha"}, ["tg_uz", "wa_ru"]),  # too short for the trigram index: LIKE answers
        ({"q": 'say "hi"'}, []),  # quotes are text, not query syntax
        ({"q": "kazib ber"}, ["tg_uz"]),  # any substring, across words
        ({"q": "15 000"}, ["tg_uz", "wa_ru"]),  # replies are searched too; 10 days ago is too old
        ({"q": "Payme"}, []),  # older than the default 7-day search window
        ({"q": "Payme", "date_from": "2000-01-01"}, ["tg_unserved"]),
        ({"q": "100%"}, []),  # LIKE wildcards are taken literally
    ],
)
def test_conversation_filters_and_search(admin_client, chats, query, expected):
    _a, _b, ids = chats
    html = admin_client.get("/admin/conversations", query_string=query).data.decode()
    assert rows(html, "data-conversation-id") == [str(ids[k]) for k in expected]


@pytest.mark.parametrize("q", ["доставка", "YETKAZIB", "15 000"])
def test_common_words_are_searched_with_like_and_find_the_same(admin_client, chats, monkeypatch, q):
    from models import search

    def found() -> list[str]:
        html = admin_client.get("/admin/conversations", query_string={"q": q}).data.decode()
        return rows(html, "data-conversation-id")

    by_index = found()
    monkeypatch.setattr(search, "FTS_MAX_IDS", 0)  # every word counts as common
    assert found() == by_index != []


def test_search_works_on_an_sqlite_without_fts5(app, admin_client, chats):
    from commands.db import rebuild_database

    _a, _b, ids = chats
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:  # as migration 5d2a9c1e7b34 leaves it where FTS5 is missing: no index, no triggers
        with app.app_context(), db.engine.begin() as conn:
            for name in ("insert", "delete", "update"):
                conn.execute(sql(f"DROP TRIGGER messages_fts_{name}"))
            conn.execute(sql("DROP TABLE messages_fts"))
    try:
        html = admin_client.get("/admin/conversations?q=доставка").data.decode()
        assert rows(html, "data-conversation-id") == [str(ids["wa_ru"])]
    finally:
        if sqlite:
            with app.app_context():
                db.session.remove()
                rebuild_database()


def test_sqlite_search_index_follows_inserts_updates_and_cascades(app, admin_client, chats):
    _a, b, ids = chats

    def found(q: str) -> list[str]:
        html = admin_client.get("/admin/conversations", query_string={"q": q}).data.decode()
        return rows(html, "data-conversation-id")

    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.text == "Is the shop open?"))
        message.text = "Yangi matn: qovun bormi?"
        message.created_at = message.conversation.last_message_at = utcnow()  # in the window
        db.session.commit()
    assert found("QOVUN") == [str(ids["ig_en_failed"])] and found("shop open") == []
    with app.app_context():
        db.session.delete(db.session.get(User, b.id))  # owner gone: conversations cascade
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.execute(
                sql("INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')")
            )
    assert found("qovun") == [] and found("доставка") == []
    assert found("yetkazib") == [str(ids["tg_uz"])]


def test_conversation_filters_by_owner_id_and_dates(app, admin_client, chats):
    a, _b, ids = chats
    html = admin_client.get(f"/admin/conversations?owner={a.id}").data.decode()
    assert rows(html, "data-conversation-id") == [str(ids["tg_uz"]), str(ids["tg_unserved"])]
    from models.queries.common import local_today

    with app.app_context():
        today = local_today()
    week = {"date_from": (today - timedelta(days=7)).isoformat(), "date_to": today.isoformat()}
    html = admin_client.get("/admin/conversations", query_string=week).data.decode()
    assert rows(html, "data-conversation-id") == [str(ids["tg_uz"]), str(ids["wa_ru"])]
    old = {"date_to": (today - timedelta(days=20)).isoformat()}
    html = admin_client.get("/admin/conversations", query_string=old).data.decode()
    assert rows(html, "data-conversation-id") == [str(ids["tg_unserved"])]


def test_conversation_view_shows_every_message_detail(admin_client, chats):
    _a, _b, ids = chats
    html = admin_client.get(f"/admin/conversations/{ids['ig_en_failed']}").data.decode()
    for expected in (
        "Is the shop open?",
        "gemini",
        "gemini-test-model",
        "812 → 64",
        "1,234 ms",
        "503 model overloaded",
        "Passages used",
        "Yetkazish",
        "EN",
        "Customer",
        "Bot",
        "Failed",
    ):
        assert expected in html, expected


# --- messages to customers -------------------------------------------------------------------
def test_admin_messages_a_telegram_customer_recorded_as_admin(
    app, admin_client, user_factory, fakes
):
    tg, _graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        conv_id = add_conversation(owner.id, "telegram", customer_ref="555001")
    text = "Sizning botingizga yangi savollar qo‘shildi"
    r = admin_client.post(
        f"/admin/conversations/{conv_id}/message", data={"text": text}, follow_redirects=True
    )
    assert b"Message sent." in r.data
    assert tg.sent_texts("555001") == [text]
    with app.app_context():
        msg = db.session.scalar(select(Message).order_by(Message.id.desc()))
        assert (msg.sender, msg.direction, msg.status, msg.text) == ("admin", "out", "sent", text)
        log = db.session.scalar(select(AdminLog).where(AdminLog.action == "message_customer"))
        assert log.details["conversation_id"] == conv_id and log.target_user_id == owner.id


def test_admin_message_outside_the_24_hour_window_is_refused(
    app, admin_client, user_factory, fakes
):
    _tg, graph = fakes
    owner = user_factory(language="en")
    with app.app_context():
        connect_all(owner.id)
        conv_id = add_conversation(
            owner.id,
            "whatsapp",
            account_ref=g.DEFAULT_PHONE_NUMBER_ID,
            customer_ref="998901112233",
            hours_ago=25,
        )
    page = admin_client.get(f"/admin/conversations/{conv_id}").data.decode()
    assert 'id="window-closed"' in page and 'id="admin-message-form"' not in page
    r = admin_client.post(
        f"/admin/conversations/{conv_id}/message", data={"text": "Salom"}, follow_redirects=True
    )
    assert b"more than 24 hours ago" in r.data
    assert graph.whatsapp_texts() == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Message).where(Message.sender == "admin")
            )
            == 0
        )


def test_message_all_customers_respects_window_blocks_and_rate(
    app, admin_client, user_factory, fakes
):
    _tg, graph = fakes
    owner = user_factory()
    with app.app_context():
        connect_all(owner.id)
        wa = g.DEFAULT_PHONE_NUMBER_ID
        fresh = add_conversation(
            owner.id,
            "whatsapp",
            account_ref=wa,
            customer_ref="998901110001",
            name="Fresh",
            hours_ago=2,
        )
        add_conversation(
            owner.id,
            "whatsapp",
            account_ref=wa,
            customer_ref="998901110002",
            name="Also fresh",
            hours_ago=5,
        )
        add_conversation(
            owner.id,
            "whatsapp",
            account_ref=wa,
            customer_ref="998901110003",
            name="Old",
            hours_ago=30,
        )
        blocked = add_conversation(
            owner.id,
            "whatsapp",
            account_ref=wa,
            customer_ref="998901110004",
            name="Blocked",
            hours_ago=1,
        )
        db.session.get(Conversation, blocked).blocked_at = db.session.get(
            Conversation, fresh
        ).created_at
        add_conversation(owner.id, "telegram", customer_ref="777", name="Other platform")
        db.session.commit()
    r = admin_client.post(
        f"/admin/users/{owner.id}/message-customers",
        data={"platform": "whatsapp", "text": "Yangi narxlar!"},
    )
    assert r.status_code == 302
    assert sorted(graph.whatsapp_texts()) == ["Yangi narxlar!", "Yangi narxlar!"]
    with app.app_context():
        result = db.session.scalar(
            select(AdminLog).where(AdminLog.action == "message_all_customers_result")
        )
        d = result.details
        assert (d["total"], d["sent"], d["outside_window"], d["blocked"], d["failed"]) == (
            4,
            2,
            1,
            1,
            0,
        )
        assert {r["customer"]: r["result"] for r in d["recipients"]} == {
            "Fresh": "sent",
            "Also fresh": "sent",
            "Old": "outside_window",
            "Blocked": "blocked",
        }
        assert result.target_user_id == owner.id and result.admin_id == admin_client.admin.id
        assert (
            db.session.scalar(
                select(func.count()).select_from(Message).where(Message.sender == "admin")
            )
            == 2
        )
    html = admin_client.get(f"/admin/users/{owner.id}").data.decode()
    assert "Message to all customers finished" in html and "Outside the 24-hour window" in html
    # the pause between sends keeps to the platform's per-bot rate
    pauses = []
    with app.app_context():
        run = broadcast.start_customer_broadcast(None, owner.id, "telegram", "Salom")
        db.session.commit()
        broadcast.message_all_customers(run.id, sleep=pauses.append)
    assert pauses == [pytest.approx(1 / broadcast.SEND_RATES["telegram"])]


def test_message_all_customers_needs_a_connected_channel(app, admin_client, user_factory):
    owner = user_factory()
    r = admin_client.post(
        f"/admin/users/{owner.id}/message-customers",
        data={"platform": "instagram", "text": "Salom"},
        follow_redirects=True,
    )
    assert b"has no Instagram channel" in r.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AdminLog)) == 0


# --- announcements ---------------------------------------------------------------------------
def _announce(client, **values):
    data = {
        "subject_uz": "Yangilik",
        "body_uz": "Botlar endi tezroq javob beradi.",
        "audience": "all",
        "send_email": "y",
    } | values
    return client.post("/admin/announcements", data=data)


def test_announcement_banner_reaches_the_right_audience_in_their_language(
    app, admin_client, user_factory
):
    trial_ru = user_factory(language="ru")
    trial_en = user_factory(language="en")
    paid = user_factory(status="paid")
    r = _announce(
        admin_client,
        audience="trial",
        subject_ru="Новости",
        body_ru="Боты теперь отвечают быстрее.",
        send_email="",
    )
    assert r.status_code == 302
    ru = login(app, trial_ru.email).get("/dashboard").data.decode()
    assert "Новости" in ru and "Боты теперь отвечают быстрее." in ru
    en = login(app, trial_en.email).get("/dashboard").data.decode()
    assert "Yangilik" in en  # no English text: Uzbek is shown
    assert "announcement-banner" not in login(app, paid.email).get("/dashboard").data.decode()
    with app.app_context():
        a = db.session.scalar(select(Announcement))
        assert (a.audience, a.send_email, a.recipients, a.created_by_id) == (
            "trial",
            False,
            0,
            admin_client.admin.id,
        )
        assert db.session.scalar(select(AdminLog.action)) == "create_announcement"


def test_dismissed_banner_stays_closed_and_deactivated_banner_disappears(
    app, admin_client, user_factory
):
    owner_a, owner_b = user_factory(), user_factory()
    _announce(admin_client, send_email="")
    with app.app_context():
        ann_id = db.session.scalar(select(Announcement.id))
    client_a, client_b = login(app, owner_a.email), login(app, owner_b.email)
    assert f'id="announcement-{ann_id}"' in client_a.get("/dashboard").data.decode()
    assert client_a.post(f"/announcements/{ann_id}/dismiss").status_code == 302
    assert client_a.post(f"/announcements/{ann_id}/dismiss").status_code == 302  # idempotent
    assert "announcement-banner" not in client_a.get("/dashboard").data.decode()
    assert "announcement-banner" in client_b.get("/dashboard").data.decode()
    assert client_a.post("/announcements/999999/dismiss").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnnouncementDismissal)) == 1
    assert admin_client.post(f"/admin/announcements/{ann_id}/deactivate").status_code == 302
    assert "announcement-banner" not in client_b.get("/dashboard").data.decode()
    with app.app_context():
        assert not db.session.get(Announcement, ann_id).active
        assert db.session.scalar(select(AdminLog.action).order_by(AdminLog.id.desc())) == (
            "deactivate_announcement"
        )


def test_announcement_emails_go_to_the_audience_with_counts(
    app, admin_client, user_factory, smtp_server
):
    ru = user_factory(language="ru", email="ru@example.uz", status="expired")
    uz = user_factory(language="uz", email="uz@example.uz")
    user_factory(status="banned", email="banned@example.uz")
    _announce(admin_client, subject_ru="Новости", body_ru="Текст по-русски")
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert set(by_to) == {ru.email, uz.email}  # never banned owners or admins
    assert by_to[ru.email]["Subject"] == "BilimBot: Новости"
    assert "Текст по-русски" in by_to[ru.email].get_body(("plain",)).get_content()
    assert by_to[uz.email]["Subject"] == "BilimBot: Yangilik"
    with app.app_context():
        a = db.session.scalar(select(Announcement))
        assert (a.recipients, a.emails_sent, a.emails_failed) == (2, 2, 0)
        kinds = db.session.scalars(select(MarketingMessage.kind)).all()
        assert kinds == ["announcement", "announcement"]
        # running the task again sends nothing twice
        assert admin_emails.send_announcement_emails(a.id) == {}
    assert len(smtp_server.messages) == 2
    history = admin_client.get("/admin/announcements").data.decode()
    assert 'class="text-end emails-sent">2<' in history


def test_announcement_needs_uzbek_and_whole_translations(app, admin_client):
    assert _announce(admin_client, subject_uz="").status_code == 400
    r = _announce(admin_client, subject_ru="Только тема")
    assert r.status_code == 400 and b"Fill in both the subject and the text." in r.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Announcement)) == 0


# --- statistics ------------------------------------------------------------------------------
def test_stats_figures_and_page(app, admin_client, user_factory):
    owner = user_factory(status="paid")
    user_factory(status="expired")
    with app.app_context():
        add_conversation(owner.id, "telegram", texts=("a", "b"))
        add_conversation(owner.id, "whatsapp", account_ref="wa1", failed=True)
        from models.base import utcnow
        from models.queries.common import local_today

        stats = platform_stats(local_today() - timedelta(days=29), local_today(), utcnow())
        assert stats.messages["telegram"][-1] + stats.messages["telegram"][-2] == 3
        assert sum(stats.messages["whatsapp"]) == 2 and stats.top_platform == "telegram"
        assert (sum(stats.answered), sum(stats.failed)) == (2, 2)
        assert stats.tokens == {"gemini": {"input": 1624, "output": 128, "replies": 2}}
        assert stats.cohort == {"registered": 2, "decided": 2, "converted": 1}
        assert stats.conversion_percent == 50.0
        assert len(stats.days) == 30
    html = admin_client.get("/admin/stats").data.decode()
    data = json.loads(re.search(r'id="stats-data">(.*?)</script>', html, re.S).group(1))
    charts = {c["id"]: c for c in data["charts"]}
    assert (
        sum(charts["chart-registrations"]["datasets"][0]["data"]) == 2 and len(data["days"]) == 30
    )
    keys = {s["key"] for s in charts["chart-messages"]["datasets"]}
    assert keys >= {"telegram", "whatsapp", "instagram"} and charts["chart-messages"]["stacked"]
    assert all(f'id="{chart_id}"' in html for chart_id in charts) and 'id="table-tokens"' in html
    assert "chart.umd.min.js" in html and "stats_charts.js" in html
    odd = admin_client.get("/admin/stats?date_from=2020-01-01&date_to=bad").data.decode()
    assert "stats-data" in odd  # out-of-range or bad dates fall back, never 500


def test_rollup_keeps_settled_days_and_leaves_today_and_yesterday_live(app, user_factory):
    from models.ai_config import Setting
    from models.queries import stats as queries
    from models.queries.stats import local_today, rolled_up_through, rollup_message_days
    from models.stats import MessageDayStat

    owner = user_factory()
    with app.app_context():
        first, last = local_today() - timedelta(days=9), local_today()
        old = add_conversation(owner.id, hours_ago=24 * 5, customer_ref="old-1")
        add_conversation(owner.id, "whatsapp", hours_ago=24 * 6, failed=True, customer_ref="old-2")
        add_conversation(owner.id, hours_ago=24, reply=None, customer_ref="yesterday")
        add_conversation(owner.id, hours_ago=0.01, reply=None, customer_ref="today")
        live = platform_stats(first, last, utcnow())
        assert rolled_up_through() is None

        assert rollup_message_days() == {"days": 5, "rows": 4}  # 6 and 5 days ago: 2 rows each
        assert rolled_up_through() == local_today() - timedelta(days=2)
        stored = db.session.scalars(select(MessageDayStat)).all()
        assert sorted((r.day, r.platform, r.status, r.provider, r.messages) for r in stored) == [
            (local_today() - timedelta(days=6), "whatsapp", "failed", "", 1),
            (local_today() - timedelta(days=6), "whatsapp", "failed", "gemini", 1),
            (local_today() - timedelta(days=5), "telegram", "answered", "", 1),
            (local_today() - timedelta(days=5), "telegram", "sent", "gemini", 1),
        ]
        assert platform_stats(first, last, utcnow()) == live  # same figures, from the rollup
        assert rollup_message_days() == {"days": 0, "rows": 0}  # nothing new has settled

        # Settled days are read from the rollup: deleting their messages (a test-chat reset)
        # does not rewrite history, while today's and yesterday's messages stay live.
        db.session.execute(queries.delete(Message).where(Message.conversation_id == old))
        db.session.commit()
        add_conversation(owner.id, hours_ago=24, reply=None, customer_ref="yesterday-2")
        now = platform_stats(first, last, utcnow())
        assert sum(now.messages["telegram"]) == sum(live.messages["telegram"]) + 1
        assert now.tokens == live.tokens

        # A new time zone cuts days differently: nothing stored counts until rolled up again.
        with configured(app, BABEL_DEFAULT_TIMEZONE="UTC"):
            assert rolled_up_through() is None
        # Messages imported with past dates need --rebuild; the marker alone would skip them.
        add_conversation(owner.id, hours_ago=24 * 8, reply=None, customer_ref="imported")
        assert sum(platform_stats(first, last, utcnow()).messages["telegram"]) == sum(
            now.messages["telegram"]
        )
        # old-1's two rows are gone, the imported message's row is in
        assert rollup_message_days(rebuild=True)["rows"] == 3
        rebuilt = platform_stats(first, last, utcnow())
        assert sum(rebuilt.messages["telegram"]) == sum(now.messages["telegram"]) - 2 + 1
        # A lost marker with rows left behind: the next run starts over instead of colliding.
        db.session.execute(queries.delete(Setting).where(Setting.key == queries.ROLLUP_KEY))
        db.session.commit()
        assert rollup_message_days()["rows"] == 3
        assert platform_stats(first, last, utcnow()) == rebuilt


def test_rollup_with_no_messages_and_from_the_scheduler_and_cli(app, user_factory):
    from models.queries.stats import local_today, rolled_up_through
    from scheduler import run_job

    assert run_job(app, "stats-rollup") == {"days": 0, "rows": 0}
    with app.app_context():
        assert rolled_up_through() == local_today() - timedelta(days=2)
        owner = user_factory()
        add_conversation(owner.id, hours_ago=0.5)  # today: not settled, nothing to store
    assert run_job(app, "stats-rollup") == {"days": 0, "rows": 0}
    result = app.test_cli_runner().invoke(args=["stats", "rollup", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "days=0 rows=0"


# --- admin log -------------------------------------------------------------------------------
def test_admin_log_filters(app, admin_client, user_factory):
    owner = user_factory(email="target@example.uz")
    other = user_factory(is_admin=True, name="Second Admin")
    with app.app_context():
        AdminLog.record(admin_client.admin.id, "ban_user", owner.id, reason="x")
        AdminLog.record(other.id, "unban_user", owner.id)
        AdminLog.record(other.id, "ai_settings", None)
        db.session.commit()
    html = admin_client.get("/admin/logs").data.decode()
    assert re.findall(r'data-action="(\w+)"', html) == ["ai_settings", "unban_user", "ban_user"]
    html = admin_client.get("/admin/logs?action=ban_user").data.decode()
    assert re.findall(r'data-action="(\w+)"', html) == ["ban_user"]
    html = admin_client.get(f"/admin/logs?admin={other.id}").data.decode()
    assert re.findall(r'data-action="(\w+)"', html) == ["ai_settings", "unban_user"]
    html = admin_client.get("/admin/logs?target=target@example").data.decode()
    assert re.findall(r'data-action="(\w+)"', html) == ["unban_user", "ban_user"]


# --- escaping --------------------------------------------------------------------------------
def test_script_in_names_and_messages_is_escaped_on_every_admin_page(
    app, admin_client, user_factory
):
    owner = user_factory(name=XSS, email="xss@example.uz")
    with app.app_context():
        conv_id = add_conversation(owner.id, "telegram", name=XSS, texts=(XSS,), reply=XSS)
        AdminLog.record(admin_client.admin.id, "note", owner.id, text=XSS)
        db.session.add(Announcement(subject_uz=XSS, body_uz=XSS, audience="all"))
        db.session.commit()
    urls = [
        "/admin/",
        "/admin/users",
        f"/admin/users/{owner.id}",
        "/admin/conversations",
        f"/admin/conversations?q={XSS}",
        f"/admin/conversations/{conv_id}",
        "/admin/announcements",
        "/admin/logs",
        "/admin/stats",
    ]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods and not rule.arguments:
            urls.append(rule.rule)
    for url in urls:
        html = admin_client.get(url).data.decode()
        assert XSS not in html, url
    for url in (
        "/admin/users",
        f"/admin/users/{owner.id}",
        f"/admin/conversations/{conv_id}",
        "/admin/conversations",
        "/admin/announcements",
        "/admin/logs",
    ):
        assert ESCAPED in admin_client.get(url).data.decode(), url
    banner = login(app, user_factory().email).get("/dashboard").data.decode()
    assert XSS not in banner and ESCAPED in banner


# --- demo data -------------------------------------------------------------------------------
def test_seed_demo_fills_every_table_quickly(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--owners", "40", "--messages", "400"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = {u.status for u in db.session.scalars(select(User))}
        assert statuses >= {"paid", "expired"}
        assert db.session.scalar(select(func.count()).select_from(Message)) == 400
        platforms = set(db.session.scalars(select(Conversation.platform).distinct()))
        assert platforms >= {"telegram", "whatsapp", "instagram"}
        languages = set(db.session.scalars(select(Conversation.language).distinct()))
        assert languages == {"uz", "ru", "en"}
        counts = db.session.execute(select(Conversation.id, Conversation.message_count)).all()
        real = dict(
            db.session.execute(
                select(Message.conversation_id, func.count()).group_by(Message.conversation_id)
            ).all()
        )
        assert all(real[cid] == n for cid, n in counts)
        # the past days are rolled up as the daily job would, with the figures of a live scan
        from models.queries import stats as queries

        first, last = queries.local_today() - timedelta(days=120), queries.local_today()
        assert queries.rolled_up_through() == last - timedelta(days=2)
        stored = sorted(queries.message_day_rows(first, last), key=repr)
        assert sorted(queries._query_message_days(first, last), key=repr) == stored
        assert sum(row[4] for row in stored) == 400
    # more data can be added next to it (ids, e-mails and phones continue)
    again = app.test_cli_runner().invoke(args=["seed-demo", "--owners", "5", "--messages", "20"])
    assert again.exit_code == 0, again.output
