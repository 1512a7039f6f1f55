"""Admin: the failed RQ jobs (dead letters) page and its retry button, and the webhook
deliveries that could not be stored, with theirs."""

import json

import fakeredis
import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

import core.tasks as tasks
import worker
from extensions import db
from models.admin_log import AdminLog
from models.conversation import Message
from models.inbox import WebhookDelivery
from pipeline import inbox
from tests.engine_helpers import configured
from tests.fakes import telegram as t

URL = "redis://127.0.0.1:6399/7"


@tasks.task
def send_to_a_broken_bot() -> None:
    raise RuntimeError("POST https://api.telegram.org/bot123456:AAH-secret-token/sendMessage")


@pytest.fixture
def failed(app, monkeypatch):
    """One failed job in RQ's registry, run by a real worker on an in-memory Redis."""
    connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    monkeypatch.setattr("redis.Redis.from_url", classmethod(lambda cls, u, **kw: connection))
    tasks._REDIS.clear()
    monkeypatch.setattr(worker, "_APP", app)
    with configured(app, TASKS_EAGER=False, REDIS_URL=URL):
        with app.app_context():
            tasks.enqueue(send_to_a_broken_bot)
        queue = Queue("bilimbot", connection=connection)
        SimpleWorker([queue], connection=connection).work(burst=True)
        yield queue
    tasks._REDIS.clear()


@pytest.mark.parametrize(
    "language,title,retry", [("ru", "Сбойные задачи", "Повторить"), ("uz", "Bajarilmagan", "Qayta")]
)
def test_failed_jobs_are_listed_with_their_error_and_no_token(
    client, admin, failed, language, title, retry
):
    client.post("/language", data={"lang": language})
    page = client.get("/admin/jobs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and title in html and retry in html
    assert "tests.routes.admin.test_jobs.send_to_a_broken_bot" in html
    assert "RuntimeError" in html and "AAH-secret-token" not in html


def test_retry_puts_the_job_back_on_the_queue_and_logs_it(client, app, admin, failed):
    [job_id] = [j.id for j in tasks.failed_jobs(URL)]
    response = client.post(f"/admin/jobs/{job_id}/retry")
    assert response.status_code == 302
    assert failed.count == 1 and tasks.failed_jobs(URL) == []
    with app.app_context():
        entry = db.session.scalar(select(AdminLog).where(AdminLog.action == "retry_job"))
        assert entry is not None and entry.details["job"] == job_id
    client.post("/language", data={"lang": "en"})
    again = client.post(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert "no longer among the failed" in again.get_data(as_text=True)


def test_without_redis_the_page_says_where_failures_are_shown(client, admin):
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and b'id="jobs-in-process"' in page.data


def test_owners_cannot_see_or_retry_jobs(client, owner):
    assert client.get("/admin/jobs").status_code == 403
    assert client.post("/admin/jobs/x/retry").status_code == 403


@pytest.fixture
def failed_delivery(app, shop):
    """A Telegram delivery that could not be stored after its tries (pipeline/inbox.py)."""
    update = t.telegram_text_update("Saqlanmagan savol", chat_id=555000777)
    with app.app_context():
        row = WebhookDelivery(
            platform="telegram",
            user_id=shop.id,
            account_ref="987654321",
            body=json.dumps(update).encode(),
            attempts=inbox.MAX_ATTEMPTS,
            error="RuntimeError: POST https://api.telegram.org/bot123456:AAH-secret-token/x",
        )
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.mark.parametrize(
    "language,title", [("ru", "Несохранённые доставки"), ("uz", "Saqlanmagan webhook")]
)
def test_failed_deliveries_are_listed_with_their_error_and_no_token(
    client, admin, failed_delivery, language, title
):
    client.post("/language", data={"lang": language})
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert title in html and f'data-delivery="{failed_delivery}"' in html
    assert "RuntimeError" in html and "AAH-secret-token" not in html


def test_retrying_a_delivery_stores_it_and_logs_it(client, app, fakes, admin, failed_delivery):
    response = client.post(f"/admin/jobs/deliveries/{failed_delivery}/retry")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(WebhookDelivery)).all() == []
        assert db.session.scalar(select(Message.text).where(Message.direction == "in")) == (
            "Saqlanmagan savol"
        )
        entry = db.session.scalar(select(AdminLog).where(AdminLog.action == "retry_delivery"))
        assert entry.details["delivery"] == failed_delivery
    client.post("/language", data={"lang": "en"})
    again = client.post(f"/admin/jobs/deliveries/{failed_delivery}/retry", follow_redirects=True)
    assert "no longer among the failed" in again.get_data(as_text=True)


def test_owners_cannot_retry_deliveries(client, owner, failed_delivery):
    assert client.post(f"/admin/jobs/deliveries/{failed_delivery}/retry").status_code == 403


def test_a_delivery_id_is_a_bigint_in_the_url(client, admin):
    """The inbox's ids are BIGINT: past INTEGER the route is still taken, past BIGINT it is 404."""
    client.post("/language", data={"lang": "en"})
    beyond_integer = client.post(f"/admin/jobs/deliveries/{2**31}/retry", follow_redirects=True)
    assert "no longer among the failed" in beyond_integer.get_data(as_text=True)
    assert client.post(f"/admin/jobs/deliveries/{2**63}/retry").status_code == 404
