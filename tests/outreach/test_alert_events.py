"""Every alert, once per event, through the owner's own bot: a customer asks for a person, the
same question unanswered 3 times, a channel stops working, the plan ends, the daily summary; and
a Telegram failure never costs the customer their answer."""

import json
from datetime import UTC, datetime, timedelta

from extensions import db
from models.base import utcnow
from models.owner_alerts import PENDING, AlertSettings, OwnerAlert
from models.user import User
from outreach.alert_jobs import (
    run_channel_checks,
    run_daily_summaries,
    run_plan_alerts,
    sweep,
)
from tests.channel_fixtures import TOKEN, WA_TOKEN, meta_post, tg_post
from tests.fakes import graph as g
from tests.fakes import telegram as t
from tests.outreach.alert_helpers import CUSTOMER_CHAT, OWNER_CHAT, alerts, link, owner_texts

OWNER_LANGUAGE = "en"


def _customer_says(client, shop, text, chat_id=CUSTOMER_CHAT):
    update = t.telegram_text_update(text, chat_id=chat_id, first_name="Aziz")
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200


def _switch(app, user_id, **values):
    with app.app_context():
        row = AlertSettings.for_user(user_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def test_a_customer_asking_for_a_person_alerts_the_owner_once(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    _customer_says(client, shop, "operator bilan gaplashmoqchiman")
    texts = owner_texts(tg)
    assert texts[-1].startswith("🙋 A customer asks for a person: Aziz (Telegram).")
    assert "«operator bilan gaplashmoqchiman»" in texts[-1] and "Reply to this message" in texts[-1]
    [alert] = alerts(app, shop.id, "human")
    assert alert.status == "sent" and alert.telegram_message_id and alert.chat_id == str(OWNER_CHAT)
    assert owner_texts(tg, CUSTOMER_CHAT)  # the customer got the bot's answer too
    _customer_says(client, shop, "operator kerak")  # asked again within the hour
    assert len(alerts(app, shop.id, "human")) == 1 and len(owner_texts(tg)) == len(texts)


def test_switched_off_alerts_are_not_sent(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    _switch(app, shop.id, notify_customers=False)
    before = len(owner_texts(tg))
    _customer_says(client, shop, "operator bilan gaplashmoqchiman")
    assert alerts(app, shop.id, "human") == [] and len(owner_texts(tg)) == before


def test_no_link_no_alert(client, app, fakes, shop):
    tg, _ = fakes
    _customer_says(client, shop, "operator bilan gaplashmoqchiman")
    assert alerts(app, shop.id) == [] and owner_texts(tg, OWNER_CHAT) == []


def test_the_same_question_unanswered_three_times_alerts_once(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    for i, chat in enumerate((1001, 1002, 1003, 1004)):
        _customer_says(
            client, shop, "Vertolyot sotasizmi?" if i % 2 else "vertolyot sotasizmi", chat
        )
    [alert] = alerts(app, shop.id, "gap")
    assert alert.status == "sent"
    gap_texts = [m for m in owner_texts(tg) if m.startswith("❓")]
    assert len(gap_texts) == 1
    assert "could not answer this question 3 times" in gap_texts[0]
    assert "vertolyot sotasizmi" in gap_texts[0]


def test_a_revoked_whatsapp_token_alerts_once_a_day(client, app, fakes, shop):
    tg, graph = fakes
    link(client, shop)
    graph.expire_token(WA_TOKEN)
    for n in range(2):
        meta_post(client, "whatsapp", g.whatsapp_text_payload(f"Salom {n}", wa_id="998901112233"))
    [alert] = alerts(app, shop.id, "channel")
    assert alert.key.startswith("channel:whatsapp:token:")
    text = owner_texts(tg)[-1]
    assert text.startswith("⚠️ WhatsApp stopped working: the platform rejected the access token.")


def test_a_meta_24_hour_refusal_alerts_the_owner(client, app, fakes, shop):
    tg, graph = fakes
    link(client, shop)
    graph.fail_next(10)  # Instagram's "outside of allowed window"
    meta_post(client, "instagram", g.instagram_text_payload("Salom"))
    [alert] = alerts(app, shop.id, "channel")
    assert alert.key.startswith("channel:instagram:window:")
    assert (
        "Instagram refused a reply: the customer wrote more than 24 hours ago"
        in owner_texts(tg)[-1]
    )


def test_telegram_failing_never_costs_the_customer_the_answer(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    tg.fail_send(400, "Bad Request: chat not found", chat_id=OWNER_CHAT)
    _customer_says(client, shop, "operator bilan gaplashmoqchiman")
    [alert] = alerts(app, shop.id, "human")
    assert alert.status == "failed" and "chat not found" in alert.error
    assert owner_texts(tg, CUSTOMER_CHAT)  # answered all the same


def test_webhook_delivery_errors_alert_the_owner(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    tg.set_webhook_state(
        TOKEN, last_error_message="Wrong response from the webhook: 502 Bad Gateway"
    )
    with app.app_context():
        assert run_channel_checks()["noted"] == 1
        assert run_channel_checks()["noted"] == 0
    [alert] = alerts(app, shop.id, "channel")
    assert alert.key.startswith("channel:telegram:webhook:") and alert.status == "sent"
    assert "Telegram could not deliver customers' messages" in owner_texts(tg)[-1]
    assert "502 Bad Gateway" in owner_texts(tg)[-1]


def test_a_revoked_meta_token_is_found_without_waiting_for_a_customer(client, app, fakes, shop):
    tg, graph = fakes
    link(client, shop)
    graph.expire_token(WA_TOKEN)
    with app.app_context():
        assert run_channel_checks()["noted"] == 1
        assert run_channel_checks()["noted"] == 0  # the same problem the same day: no second
    [alert] = alerts(app, shop.id, "channel")
    assert alert.key.startswith("channel:whatsapp:token:")
    assert owner_texts(tg)[-1].startswith("⚠️ WhatsApp stopped working")
    result = app.test_cli_runner().invoke(args=["alerts", "channel-health"])
    assert result.exit_code == 0 and result.output.strip() == "noted=0 swept=0"


def test_an_alert_whose_hand_off_was_lost_is_sent_by_the_sweep(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    with app.app_context():
        OwnerAlert.note(shop.id, "plan", "plan:expired:x", detail="expired|")
        db.session.info.pop(PENDING)  # as if the process died right after the commit
        db.session.commit()
    [alert] = alerts(app, shop.id, "plan")
    assert alert.status == "pending"
    with app.app_context():
        assert sweep(utcnow())["swept"] == 0  # too fresh: its own hand-off may still come
        assert sweep(utcnow() + timedelta(minutes=3)) == {"swept": 1}
        assert sweep(utcnow() + timedelta(minutes=3)) == {"swept": 0}
    assert [a.status for a in alerts(app, shop.id, "plan")] == ["sent"]
    assert owner_texts(tg)[-1].startswith("⛔ Your BilimBot plan has ended")


def _plan(app, user_id, ends):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.plan, user.plan_expires_at, user.trial_ends_at = (
            "monthly",
            ends,
            ends - timedelta(days=40),
        )
        db.session.commit()


def test_plan_ending_in_three_days_and_ended_alert_once_each(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    now = utcnow()
    ends = now + timedelta(days=2, hours=3)
    _plan(app, shop.id, ends)
    with app.app_context():
        assert run_plan_alerts(now) == {"noted": 1}
        assert run_plan_alerts(now + timedelta(hours=1)) == {"noted": 0}
    assert owner_texts(tg)[-1].startswith("⏳ Your BilimBot plan ends on ")
    with app.app_context():
        assert run_plan_alerts(ends + timedelta(minutes=5)) == {"noted": 1}
        assert run_plan_alerts(ends + timedelta(hours=5)) == {"noted": 0}
    assert owner_texts(tg)[-1].startswith("⛔ Your BilimBot plan has ended")
    _plan(app, shop.id, now + timedelta(days=30))  # renewed: far away, nothing to say
    with app.app_context():
        assert run_plan_alerts(now) == {"noted": 0}


def test_the_plan_expiry_cli_runs_the_same_job(client, app, fakes, shop):
    link(client, shop)
    _plan(app, shop.id, utcnow() + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["alerts", "plan-expiry"])
    assert result.exit_code == 0 and "noted=1" in result.output
    assert [a.status for a in alerts(app, shop.id, "plan")] == ["sent"]


def test_the_daily_summary_comes_at_the_owners_time_once(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    _switch(app, shop.id, summary_minute=9 * 60)  # 09:00 Tashkent = 04:00 UTC
    tg.fail_send(400, "Bad Request: chat not found", chat_id=2001)  # this reply fails
    _customer_says(client, shop, "Yetkazib berish narxi qancha?", 2001)
    for chat in (2002, 2003, 2004):
        _customer_says(client, shop, "Vertolyot sotasizmi?", chat)
    now = utcnow()
    at = datetime(now.year, now.month, now.day, 4, 10, tzinfo=UTC)  # the next 09:10 Tashkent:
    if at <= now:  # the summary covers the last 24 hours, so the messages above are in it
        at += timedelta(days=1)
    with app.app_context():
        assert run_daily_summaries(at - timedelta(minutes=20)) == {"noted": 0}  # 08:50
        assert run_daily_summaries(at) == {"noted": 1}
        assert run_daily_summaries(at + timedelta(minutes=30)) == {"noted": 0}
    [alert] = alerts(app, shop.id, "summary")
    figures = json.loads(alert.detail)
    assert figures["conversations"] == 4 and figures["questions"] == 4
    text = owner_texts(tg)[-1]
    assert text.startswith("📊 BilimBot today (")
    assert "Conversations: 4" in text and "Customer questions: 4" in text
    assert "Answered by the bot: 75%" in text  # as the statistics count: replied, not failed
    assert "1. Vertolyot sotasizmi? (×3)" in text


def test_a_summary_switched_off_or_outside_its_window_is_not_sent(client, app, fakes, shop):
    link(client, shop)
    _switch(app, shop.id, summary_minute=9 * 60)
    today = utcnow().date()
    late = datetime(today.year, today.month, today.day, 7, 30, tzinfo=UTC)  # 12:30, too late
    with app.app_context():
        assert run_daily_summaries(late) == {"noted": 0}
    _switch(app, shop.id, notify_summary=False)
    with app.app_context():
        assert run_daily_summaries(late - timedelta(hours=3)) == {"noted": 0}
    assert alerts(app, shop.id, "summary") == []


def test_an_alert_whose_owner_was_deleted_while_it_was_sent_is_counted_gone(
    client, app, fakes, shop, monkeypatch
):
    from outreach import alert_jobs

    link(client, shop)
    with app.app_context():
        alert = OwnerAlert(user_id=shop.id, kind="human", key="human:gone", chat_id=str(OWNER_CHAT))
        db.session.add(alert)
        db.session.commit()
        alert_id = alert.id

    def owner_deleted_meanwhile(row):
        db.session.rollback()
        db.session.delete(db.session.get(OwnerAlert, row.id))  # as the owner's cascade does
        db.session.commit()
        raise RuntimeError("Telegram connection reset")

    monkeypatch.setattr(alert_jobs, "send_alert", owner_deleted_meanwhile)
    with app.app_context():
        assert alert_jobs.deliver([alert_id]) == {"gone": 1}
        assert db.session.get(OwnerAlert, alert_id) is None
