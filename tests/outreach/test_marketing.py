"""The 54-hour marketing e-mails and plan reminders: who is due (frozen time), the real message
over SMTP, retries after a failure, unsubscribe, and two workers running the job at once."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from extensions import db
from models.base import utcnow
from models.billing import PlanRequest
from models.coupon import Coupon
from models.marketing import (
    MarketingMessage,
    due_owner_ids,
    is_marketing_due,
    is_reminder_due,
    reminder_owner_ids,
)
from models.user import User
from outreach.owner_emails import make_unsubscribe_token, run_marketing, run_plan_reminders
from tests.billing.helpers import count, fetch_user, messages, update_user

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=54)
BASE = "https://bot.example.test"


def _user(**fields) -> User:
    n = next(_numbers)
    base = dict(
        full_name=f"Owner {n}",
        email=f"m{n}@example.uz",
        phone=f"+99891{n:07d}",
        password_hash="x",
        language="uz",
        is_admin=False,
        created_at=NOW - timedelta(days=10),
        trial_ends_at=NOW - timedelta(hours=1),
    )
    base.update(fields)
    return User(**base)


_numbers = iter(range(1, 10**6))

CASES = {
    "trial not over": dict(trial_ends_at=NOW + timedelta(minutes=1)),
    "trial just over": dict(trial_ends_at=NOW),
    "53 h after the last mail": dict(last_marketing_at=NOW - timedelta(hours=53)),
    "54 h after the last mail": dict(last_marketing_at=NOW - timedelta(hours=54)),
    "paid": dict(plan="monthly", plan_expires_at=NOW + timedelta(days=5)),
    "plan expired": dict(
        plan="monthly",
        plan_expires_at=NOW - timedelta(hours=2),
        trial_ends_at=NOW - timedelta(days=40),
    ),
    "banned": dict(banned_at=NOW - timedelta(days=1)),
    "unsubscribed": dict(marketing_unsubscribed_at=NOW - timedelta(days=1)),
    "admin": dict(is_admin=True),
}
EXPECTED = {
    "trial not over": False,
    "trial just over": True,
    "53 h after the last mail": False,
    "54 h after the last mail": True,
    "paid": False,
    "plan expired": True,
    "banned": False,
    "unsubscribed": False,
    "admin": False,
}


@pytest.mark.parametrize("case", list(CASES))
def test_who_is_due_pure_function(case):
    user = _user(**CASES[case])
    with freeze_time(NOW):
        assert is_marketing_due(user, NOW, INTERVAL) is EXPECTED[case]


def test_sql_agrees_with_the_pure_function(ctx):
    users = {case: _user(**fields) for case, fields in CASES.items()}
    db.session.add_all(users.values())
    db.session.commit()
    with freeze_time(NOW):
        due = set(due_owner_ids(NOW, INTERVAL))
    assert {case for case, user in users.items() if user.id in due} == {
        case for case, expected in EXPECTED.items() if expected
    }


def test_an_owner_with_a_pending_request_is_left_alone(ctx):
    user = _user()
    db.session.add(user)
    db.session.flush()
    db.session.add(
        PlanRequest(user_id=user.id, plan="monthly", list_price=1, price_due=1, status="pending")
    )
    db.session.commit()
    assert is_marketing_due(user, NOW, INTERVAL, has_pending_request=True) is False
    assert due_owner_ids(NOW, INTERVAL) == []


@pytest.mark.parametrize(
    "fields,expected",
    [
        (dict(plan_expires_at=NOW + timedelta(days=2)), True),
        (dict(plan_expires_at=NOW + timedelta(days=3)), True),
        (dict(plan_expires_at=NOW + timedelta(days=3, minutes=1)), False),
        (dict(plan_expires_at=NOW - timedelta(minutes=1)), False),
        (
            dict(
                plan_expires_at=NOW + timedelta(days=2), plan_reminder_for=NOW + timedelta(days=2)
            ),
            False,
        ),
        (
            dict(
                plan_expires_at=NOW + timedelta(days=2), plan_reminder_for=NOW - timedelta(days=88)
            ),
            True,
        ),
        (dict(plan_expires_at=NOW + timedelta(days=2), banned_at=NOW), False),
    ],
)
def test_plan_reminder_due(ctx, fields, expected):
    user = _user(plan="monthly", **fields)
    db.session.add(user)
    db.session.commit()
    assert is_reminder_due(user, NOW, timedelta(days=3)) is expected
    assert (reminder_owner_ids(NOW, timedelta(days=3)) == [user.id]) is expected


# --- the job against a real SMTP server ------------------------------------------------------
def _due_owner(user_factory, app, language: str = "uz", **fields) -> User:
    user = user_factory(status="expired", language=language)
    if fields:
        update_user(app, user.id, **fields)
    return user


def _run(app, now=None):
    with app.app_context():
        return run_marketing(now)


def _parts(msg) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in msg.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }


def test_the_job_sends_the_real_message(app, smtp_server, user_factory, client):
    user = _due_owner(user_factory, app, language="ru")
    stats = _run(app)
    assert stats["sent"] == 1
    (msg,) = smtp_server.messages
    assert msg["To"] == user.email
    parts = _parts(msg)
    assert set(parts) == {"text/plain", "text/html"}
    text, html = parts["text/plain"], parts["text/html"]
    assert '<html lang="ru">' in html  # rendered in the owner's language

    with app.app_context():
        coupon = db.session.scalar(select(Coupon).where(Coupon.owner_id == user.id))
        assert (coupon.percent, coupon.max_uses, coupon.uses) == (10, 1, 0)
    button = f"{BASE}/billing/request-access?coupon={coupon.code}"
    assert f'href="{button}"' in html and button in text
    assert coupon.code in text and coupon.code in html
    assert "10%" in text

    with app.app_context():
        token = make_unsubscribe_token(fetch_user(app, user.id))
    unsubscribe = f"{BASE}/billing/unsubscribe/{token}"
    assert (
        msg["List-Unsubscribe"]
        == f"<{unsubscribe}>, <mailto:noreply@bilimbot.local?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw_header = dict(msg.raw_items())["List-Unsubscribe"]
    assert "=?" not in raw_header and f"<{unsubscribe}>" in raw_header  # no RFC 2047 words
    assert unsubscribe in text and f'href="{unsubscribe}"' in html

    (record,) = messages(app, kind="trial_ended")
    assert (record.user_id, record.status, record.coupon_code) == (user.id, "sent", coupon.code)
    assert record.subject == msg["Subject"]

    # The button's link pre-fills the coupon on the request page.
    client.post("/auth/login", data={"login": user.email, "password": "correct-horse-42"})
    page = client.get(button.removeprefix(BASE)).data.decode()
    assert f'value="{coupon.code}"' in page


def test_uzbek_owner_gets_the_uzbek_message(app, smtp_server, user_factory):
    _due_owner(user_factory, app, language="uz")
    _run(app)
    (msg,) = smtp_server.messages
    assert '<html lang="uz">' in _parts(msg)["text/html"]


def test_one_mail_per_54_hours_until_a_plan(app, smtp_server, user_factory):
    user = _due_owner(user_factory, app)
    start = utcnow()
    assert _run(app, start)["sent"] == 1
    assert _run(app, start + timedelta(minutes=10)) == {}
    assert _run(app, start + timedelta(hours=53, minutes=59)) == {}
    assert _run(app, start + timedelta(hours=54))["sent"] == 1
    first, second = smtp_server.messages
    code = re.search(r"SAVE10-UZ-\d{4}-\w+", _parts(first)["text/plain"]).group(0)
    assert code in _parts(second)["text/plain"]  # the personal coupon is reused while valid
    assert count(app, Coupon) == 1
    update_user(app, user.id, plan="monthly", plan_expires_at=utcnow() + timedelta(days=30))
    assert _run(app, start + timedelta(hours=200)) == {}
    assert len(smtp_server.messages) == 2


def test_a_failed_send_is_recorded_and_retried(app, smtp_server, user_factory):
    user = _due_owner(user_factory, app)
    good_port = app.config["MAIL_PORT"]
    from extensions import mail

    app.config["MAIL_PORT"] = 9  # nothing listens there: the SMTP connection fails
    mail.init_app(app)
    try:
        assert _run(app)["failed"] == 1
    finally:
        app.config["MAIL_PORT"] = good_port
        mail.init_app(app)
    (failed,) = messages(app)
    assert failed.status == "failed" and failed.error
    assert fetch_user(app, user.id).last_marketing_at is None  # the claim was given back
    assert _run(app)["sent"] == 1
    assert [m.status for m in messages(app)] == ["failed", "sent"]
    assert len(smtp_server.messages) == 1


def test_without_smtp_the_mail_is_logged_and_not_retried(app, user_factory):
    user = _due_owner(user_factory, app)
    assert _run(app)["logged"] == 1
    assert _run(app) == {}
    (record,) = messages(app)
    assert record.status == "logged" and record.user_id == user.id


def test_two_job_runs_at_the_same_moment_send_one_mail_per_owner(app, smtp_server, user_factory):
    owners = [_due_owner(user_factory, app) for _ in range(6)]
    user_factory(status="trial")  # not due
    now = utcnow()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                results.append(run_marketing(now))
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    recipients = sorted(msg["To"] for msg in smtp_server.messages)
    assert recipients == sorted(o.email for o in owners)
    assert sum(r["sent"] for r in results) == 6
    assert len(messages(app, kind="trial_ended")) == 6
    assert count(app, Coupon) == 6


def test_unsubscribe_link_one_click_and_confirm_page(app, client, user_factory):
    user = _due_owner(user_factory, app)
    with app.app_context():
        token = make_unsubscribe_token(fetch_user(app, user.id))
    client.set_cookie("lang", "en")
    page = client.get(f"/billing/unsubscribe/{token}")
    assert page.status_code == 200 and b"confirm-unsubscribe" in page.data
    assert fetch_user(app, user.id).marketing_unsubscribed_at is None  # GET changes nothing
    # RFC 8058: the mail provider POSTs with this body, no session, no CSRF token.
    done = client.post(
        f"/billing/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200 and b'id="unsubscribed"' in done.data
    assert fetch_user(app, user.id).marketing_unsubscribed_at is not None
    assert _run(app) == {}
    assert client.get("/billing/unsubscribe/not-a-token").status_code == 404
    assert client.post("/billing/unsubscribe/" + token[:-2] + "xx").status_code == 404


def test_unsubscribe_post_works_with_csrf_on(app, user_factory):
    from main import create_app
    from tests.factories import SuiteConfig

    class _Csrf(SuiteConfig):
        WTF_CSRF_ENABLED = True

    user = _due_owner(user_factory, app)
    with app.app_context():
        token = make_unsubscribe_token(fetch_user(app, user.id))
    csrf_client = create_app(_Csrf).test_client()
    assert csrf_client.post(f"/billing/unsubscribe/{token}").status_code == 200
    assert fetch_user(app, user.id).marketing_unsubscribed_at is not None


# --- plan reminders and decision e-mails -----------------------------------------------------
def test_plan_reminder_once_per_period(app, smtp_server, user_factory):
    user = user_factory(status="paid", language="en")
    expiry = utcnow() + timedelta(days=2)
    update_user(app, user.id, plan_expires_at=expiry)
    with app.app_context():
        assert run_plan_reminders()["sent"] == 1
        assert run_plan_reminders() == {}
    (msg,) = smtp_server.messages
    assert msg["To"] == user.email
    assert "/billing/request-access" in _parts(msg)["text/plain"]
    assert fetch_user(app, user.id).plan_reminder_for == expiry
    # A new period (extended plan) gets its own reminder when it is close to ending.
    update_user(app, user.id, plan_expires_at=expiry + timedelta(days=30))
    with app.app_context():
        assert run_plan_reminders() == {}
        assert run_plan_reminders(utcnow() + timedelta(days=29))["sent"] == 1
    assert [m.kind for m in messages(app)] == ["plan_reminder", "plan_reminder"]


def test_approval_email_reaches_the_owner_in_their_language(
    app, client, auth, smtp_server, user_factory
):
    owner = user_factory(status="expired", language="ru")
    auth.login(owner.email)
    client.post("/billing/request-access", data={"plan": "monthly", "submit": "1"})
    auth.logout()
    admin = user_factory(is_admin=True)
    auth.login(admin.email)
    with app.app_context():
        request_id = db.session.scalar(select(PlanRequest.id))
    client.post(f"/admin/plan-requests/{request_id}/approve")
    (msg,) = smtp_server.messages
    assert msg["To"] == owner.email
    assert '<html lang="ru">' in _parts(msg)["text/html"]
    assert f"{BASE}/dashboard" in _parts(msg)["text/plain"]
    assert [(m.kind, m.status) for m in messages(app)] == [("plan_approved", "sent")]


# --- scheduler and CLI -----------------------------------------------------------------------
def test_scheduler_is_off_in_tests_and_idempotent_when_on(app):
    from scheduler import start_scheduler, stop_scheduler

    assert start_scheduler(app) is None  # SCHEDULER_ENABLED is off in tests
    app.config["SCHEDULER_ENABLED"] = True
    try:
        first = start_scheduler(app)
        assert first is not None and first.running
        assert start_scheduler(app) is first
        assert {job.id for job in first.get_jobs()} == {
            "marketing-send-due",
            "plan-remind-expiring",
            "messages-requeue-stale",
            "stats-rollup",
            "alerts-daily-summary",
            "alerts-plan-expiry",
            "alerts-channel-health",
        }
    finally:
        stop_scheduler(app)
        app.config["SCHEDULER_ENABLED"] = False


def test_scheduled_job_runs_in_its_own_context_and_never_raises(app, user_factory):
    from scheduler import run_job

    _due_owner(user_factory, app)
    assert run_job(app, "marketing-send-due") == {"logged": 1}
    assert run_job(app, "plan-remind-expiring") == {}


def test_cli_commands(app, user_factory):
    _due_owner(user_factory, app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["marketing", "send-due"])
    assert result.exit_code == 0, result.output
    assert "logged=1" in result.output
    result = runner.invoke(args=["marketing", "remind-expiring"])
    assert result.exit_code == 0 and "sent=0" in result.output


# --- admin page ------------------------------------------------------------------------------
def test_admin_sees_every_email_with_filters(app, client, user_factory, auth):
    owner = _due_owner(user_factory, app)
    with app.app_context():
        for kind, status in (
            ("trial_ended", "sent"),
            ("trial_ended", "failed"),
            ("plan_reminder", "sent"),
        ):
            db.session.add(
                MarketingMessage(
                    user_id=owner.id,
                    kind=kind,
                    subject=f"S {kind}",
                    status=status,
                    error="boom" if status == "failed" else None,
                )
            )
        db.session.commit()
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    html = client.get("/admin/e-mails").data.decode()
    assert html.count('<tr data-status="') == 3
    failed = client.get("/admin/e-mails?status=failed").data.decode()
    assert failed.count('<tr data-status="failed"') == 1 and "boom" in failed
    reminders = client.get("/admin/e-mails?kind=plan_reminder").data.decode()
    assert reminders.count('data-kind="plan_reminder"') == 1
    assert reminders.count('<tr data-status="') == 1


def test_links_from_background_jobs_point_to_the_local_server_without_a_base_url(app, ctx):
    from outreach.owner_emails import absolute_url

    assert app.config["LOCAL_BASE_URL"] == "http://127.0.0.1:5000"  # PORT unset: make run's
    saved = app.config["WEBHOOK_BASE_URL"]
    app.config["WEBHOOK_BASE_URL"] = ""
    try:
        assert absolute_url("main.dashboard") == "http://127.0.0.1:5000/dashboard"
    finally:
        app.config["WEBHOOK_BASE_URL"] = saved
    assert absolute_url("main.dashboard") == "https://bot.example.test/dashboard"
