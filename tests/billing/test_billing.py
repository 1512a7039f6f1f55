"""Plans, plan requests, coupons and payments: the owner's request page, the admin's decisions,
plan arithmetic, coupon limits and access rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models.admin_log import AdminLog
from models.base import utcnow
from models.billing import (
    Payment,
    PlanRequest,
    discount_for,
    plan_options,
    price_after,
)
from models.coupon import Coupon, normalize_code
from models.user import User
from tests.billing.helpers import (
    count,
    coupon_uses,
    fetch_user,
    make_coupon,
    messages,
    payments_of,
    requests_of,
    send_request,
    update_user,
)

CODE_RE = re.compile(r"^SAVE(\d+)-UZ-(\d{4})-([A-HJ-NP-Z2-9]{6})$")


def close(a, b, seconds: int = 60) -> bool:
    return abs((a - b).total_seconds()) <= seconds


@pytest.fixture
def expired_owner(user_factory, auth, client):
    """A logged-in owner (English UI) whose trial has ended."""
    user = user_factory(status="expired", language="en")
    auth.login(user.email)
    return user


def _approve(client, request_id: int, plan: str | None = None, follow: bool = False):
    data = {"plan": plan} if plan else {}
    return client.post(
        f"/admin/plan-requests/{request_id}/approve", data=data, follow_redirects=follow
    )


def _as_admin(app, client, auth, user_factory):
    auth.logout()
    admin = user_factory(name="Admin", is_admin=True, language="en")
    auth.login(admin.email)
    return admin


# --- prices ----------------------------------------------------------------------------------
def test_plan_options_show_price_monthly_equivalent_and_saving(ctx, app):
    options = {o.key: o for o in plan_options()}
    assert [o.key for o in plan_options()] == ["monthly", "quarterly", "annual"]
    assert (options["monthly"].price, options["monthly"].saving_percent) == (300_000, 0)
    assert options["quarterly"].price == 810_000
    assert options["quarterly"].monthly_equivalent == 270_000
    assert options["quarterly"].saving_percent == 10
    assert options["annual"].monthly_equivalent == 240_000
    assert options["annual"].saving_percent == 20
    assert (options["monthly"].days, options["quarterly"].days, options["annual"].days) == (
        30,
        90,
        365,
    )


def test_plan_options_follow_configuration(app):
    saved = app.config["PLAN_PRICE_QUARTERLY"]
    app.config["PLAN_PRICE_QUARTERLY"] = 750_000
    try:
        with app.app_context():
            quarterly = next(o for o in plan_options() if o.key == "quarterly")
        assert (quarterly.price, quarterly.monthly_equivalent, quarterly.saving_percent) == (
            750_000,
            250_000,
            17,
        )
    finally:
        app.config["PLAN_PRICE_QUARTERLY"] = saved


@pytest.mark.parametrize(
    "price,percent,discount",
    [
        (810_000, 10, 81_000),
        (300_000, 15, 45_000),
        (333_333, 10, 33_333),
        (5, 10, 1),
        (300_000, 0, 0),
        (300_000, 100, 300_000),
    ],
)
def test_discount_arithmetic(price, percent, discount):
    assert discount_for(price, percent) == discount
    assert price_after(price, percent) == price - discount


# --- the request page ------------------------------------------------------------------------
def test_request_page_lists_three_plans_with_savings(client, expired_owner):
    page = client.get("/billing/request-access")
    assert page.status_code == 200
    html = page.data.decode()
    for plan, price in (("monthly", "300 000"), ("quarterly", "810 000"), ("annual", "2 880 000")):
        assert f'id="plan-{plan}"' in html
        assert price.replace(" ", ",") + " soum" in html  # English groups with commas
    assert "Save 10%" in html and "Save 20%" in html
    assert "270,000 soum a month" in html


def test_dashboard_button_leads_to_the_request_page(client, expired_owner):
    html = client.get("/dashboard").data.decode()
    assert 'href="/billing/request-access"' in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/billing/request-access")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/billing/coupon-check", json={"code": "X"}).status_code in (302, 401)


def test_coupon_in_the_link_is_prefilled_and_priced(client, app, expired_owner):
    code = make_coupon(app)
    html = client.get(f"/billing/request-access?coupon={code.lower()}").data.decode()
    assert f'value="{code}"' in html
    assert "729,000 soum" in html  # quarterly with 10% off
    assert f"Coupon {code} applied: 10% off." in html


def test_apply_button_without_javascript_rerenders_with_the_price(client, app, expired_owner):
    code = make_coupon(app, percent=20)
    response = client.post(
        "/billing/request-access",
        data={"plan": "annual", "coupon": f"  {code.lower()} ", "apply_coupon": "1"},
    )
    assert response.status_code == 200
    html = response.data.decode()
    assert "2,304,000 soum" in html  # 2 880 000 − 20%
    assert requests_of(app, expired_owner.id) == []  # applying is not sending


def test_coupon_check_json(client, app, expired_owner):
    code = make_coupon(app, percent=15)
    body = client.post("/billing/coupon-check", json={"code": code.lower()}).get_json()
    assert body["valid"] is True and body["code"] == code and body["percent"] == 15
    assert body["prices"]["monthly"] == {
        "list": 300_000,
        "due": 255_000,
        "list_text": "300,000 soum",
        "due_text": "255,000 soum",
        "monthly_text": "255,000 soum a month",
    }
    bad = client.post("/billing/coupon-check", json={"code": "NOPE-1"}).get_json()
    assert bad["valid"] is False and bad["message"] == "This coupon code does not exist."
    assert bad["prices"]["monthly"]["due"] == 300_000


@pytest.mark.parametrize(
    "kind,message",
    [
        ("unknown", "This coupon code does not exist."),
        ("expired", "This coupon has expired."),
        ("used_up", "This coupon has already been used the maximum number of times."),
        ("inactive", "This coupon is no longer active."),
        ("someone_elses", "This coupon code does not exist."),
    ],
)
def test_bad_coupons_are_refused_with_a_clear_message(
    client, app, expired_owner, user_factory, kind, message
):
    now = utcnow()
    code = {
        "unknown": lambda: "SAVE10-UZ-2026-ZZZZZZ",
        "expired": lambda: make_coupon(app, expires_at=now - timedelta(minutes=1)),
        "used_up": lambda: make_coupon(app, max_uses=2, uses=2),
        "inactive": lambda: make_coupon(app, active=False),
        "someone_elses": lambda: make_coupon(app, owner_id=user_factory().id),
    }[kind]()
    assert (
        client.post("/billing/coupon-check", json={"code": code}).get_json()["message"] == message
    )
    response = send_request(client, "monthly", code)
    assert response.status_code == 200
    assert message in response.data.decode()
    assert requests_of(app, expired_owner.id) == []


def test_send_request_with_coupon_and_see_it_pending_on_the_dashboard(client, app, expired_owner):
    code = make_coupon(app)
    response = send_request(client, "quarterly", code.lower(), note="Call me after 18:00")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    (req,) = requests_of(app, expired_owner.id)
    assert (req.plan, req.status, req.list_price, req.discount_percent, req.price_due) == (
        "quarterly",
        "pending",
        810_000,
        10,
        729_000,
    )
    assert req.coupon_code == code and req.note == "Call me after 18:00"
    assert coupon_uses(app, code) == 0  # counted only when approved
    html = client.get("/dashboard").data.decode()
    assert 'data-status="pending"' in html and "Waiting for approval" in html
    assert "729,000 soum" in html
    # the request page now shows the pending request instead of the form
    page = client.get("/billing/request-access").data.decode()
    assert 'id="pending-request"' in page and 'id="request-form"' not in page


def test_a_paid_owner_may_ask_to_extend(client, app, user_factory, auth):
    user = user_factory(status="paid", language="en")
    auth.login(user.email)
    assert "Extend the plan" in client.get("/billing/request-access").data.decode()
    assert send_request(client, "annual").status_code == 302
    assert requests_of(app, user.id)[0].price_due == 2_880_000


def test_one_pending_request_per_owner(client, app, expired_owner):
    assert send_request(client, "monthly").status_code == 302
    again = send_request(client, "annual")
    assert again.status_code == 200
    assert len(requests_of(app, expired_owner.id)) == 1


def test_the_database_refuses_a_second_pending_request(ctx, user_factory):
    user = user_factory(status="expired")
    for _ in range(2):
        db.session.add(
            PlanRequest(
                user_id=user.id, plan="monthly", list_price=1, price_due=1, status="pending"
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_race_past_the_check_is_caught_as_integrity_error(
    client, app, expired_owner, monkeypatch
):
    """Two tabs submitting at once: the second insert hits the partial unique index."""
    import models.billing
    import routes.billing_routes

    assert send_request(client, "monthly").status_code == 302
    monkeypatch.setattr(models.billing, "pending_request_of", lambda user_id: None)
    monkeypatch.setattr(routes.billing_routes, "pending_request_of", lambda user_id: None)
    response = send_request(client, "annual")
    assert response.status_code == 200
    assert "You already have a request waiting for approval." in response.data.decode()
    assert [r.plan for r in requests_of(app, expired_owner.id)] == ["monthly"]


def test_owner_cancels_a_pending_request_and_may_ask_again(client, app, expired_owner):
    send_request(client, "monthly")
    (req,) = requests_of(app, expired_owner.id)
    response = client.post(f"/billing/requests/{req.id}/cancel")
    assert response.status_code == 302
    assert requests_of(app, expired_owner.id)[0].status == "cancelled"
    assert send_request(client, "annual").status_code == 302
    assert [r.status for r in requests_of(app, expired_owner.id)] == ["cancelled", "pending"]


def test_another_owner_cannot_cancel_someone_elses_request(
    client, app, auth, user_factory, expired_owner
):
    send_request(client, "monthly")
    (req,) = requests_of(app, expired_owner.id)
    auth.logout()
    other = user_factory(status="expired")
    auth.login(other.email)
    assert client.post(f"/billing/requests/{req.id}/cancel").status_code == 404
    assert client.post("/billing/requests/999999/cancel").status_code == 404
    assert requests_of(app, expired_owner.id)[0].status == "pending"


# --- admin decisions and plan arithmetic -----------------------------------------------------
def test_approve_sets_the_plan_records_the_payment_and_counts_the_coupon(
    client, app, auth, user_factory, expired_owner
):
    code = make_coupon(app, max_uses=5)
    send_request(client, "quarterly", code)
    (req,) = requests_of(app, expired_owner.id)
    admin = _as_admin(app, client, auth, user_factory)
    before = utcnow()
    response = _approve(client, req.id, follow=True)
    assert "Approved: Aziza Karimova has the plan until" in response.data.decode()

    user = fetch_user(app, expired_owner.id)
    assert user.plan == "quarterly" and user.status == "paid"
    assert close(user.plan_expires_at, before + timedelta(days=90))
    (payment,) = payments_of(app, expired_owner.id)
    assert (payment.plan, payment.list_price, payment.discount_amount, payment.amount_due) == (
        "quarterly",
        810_000,
        81_000,
        729_000,
    )
    assert payment.coupon_code == code and payment.admin_id == admin.id
    assert payment.request_id == req.id
    assert close(payment.period_start, before) and payment.period_end == user.plan_expires_at
    assert coupon_uses(app, code) == 1
    decided = requests_of(app, expired_owner.id)[0]
    assert (decided.status, decided.decided_by_id) == ("approved", admin.id)
    with app.app_context():
        log = db.session.scalar(select(AdminLog).where(AdminLog.action == "approve_plan_request"))
        assert log.admin_id == admin.id and log.target_user_id == expired_owner.id
        assert log.details["amount_due"] == 729_000
    (mail,) = messages(app, kind="plan_approved")
    assert mail.user_id == expired_owner.id and mail.status == "logged"  # no SMTP in tests


def test_approving_twice_counts_the_coupon_once_and_grants_once(
    client, app, auth, user_factory, expired_owner
):
    code = make_coupon(app)
    send_request(client, "monthly", code)
    (req,) = requests_of(app, expired_owner.id)
    _as_admin(app, client, auth, user_factory)
    _approve(client, req.id)
    response = _approve(client, req.id, follow=True)
    assert "This request has already been decided." in response.data.decode()
    assert coupon_uses(app, code) == 1
    assert len(payments_of(app, expired_owner.id)) == 1


def test_approve_may_change_the_plan_keeping_the_coupon_percent(
    client, app, auth, user_factory, expired_owner
):
    code = make_coupon(app, percent=10)
    send_request(client, "monthly", code)
    (req,) = requests_of(app, expired_owner.id)
    _as_admin(app, client, auth, user_factory)
    _approve(client, req.id, plan="annual")
    (payment,) = payments_of(app, expired_owner.id)
    assert (payment.plan, payment.list_price, payment.amount_due) == (
        "annual",
        2_880_000,
        2_592_000,
    )
    assert requests_of(app, expired_owner.id)[0].plan == "annual"
    assert close(fetch_user(app, expired_owner.id).plan_expires_at, utcnow() + timedelta(days=365))


def test_extending_a_running_plan_never_loses_paid_days(client, app, auth, user_factory):
    user = user_factory(status="paid", language="en")
    old_expiry = utcnow() + timedelta(days=12, hours=5)
    update_user(app, user.id, plan_expires_at=old_expiry)
    auth.login(user.email)
    send_request(client, "monthly")
    (req,) = requests_of(app, user.id)
    _as_admin(app, client, auth, user_factory)
    _approve(client, req.id)
    refreshed = fetch_user(app, user.id)
    assert refreshed.plan_expires_at == old_expiry + timedelta(days=30)
    (payment,) = payments_of(app, user.id)
    assert payment.period_start == old_expiry


def test_approving_after_the_plan_expired_starts_now(client, app, auth, user_factory):
    user = user_factory(status="expired", language="en")
    update_user(app, user.id, plan="monthly", plan_expires_at=utcnow() - timedelta(days=5))
    auth.login(user.email)
    send_request(client, "quarterly")
    (req,) = requests_of(app, user.id)
    _as_admin(app, client, auth, user_factory)
    before = utcnow()
    _approve(client, req.id)
    refreshed = fetch_user(app, user.id)
    assert close(refreshed.plan_expires_at, before + timedelta(days=90))
    assert close(payments_of(app, user.id)[0].period_start, before)


def test_a_used_up_coupon_is_not_counted_twice_across_owners(client, app, auth, user_factory):
    code = make_coupon(app, max_uses=1)
    owners = [user_factory(status="expired", language="en") for _ in range(2)]
    for owner in owners:
        auth.login(owner.email)
        assert send_request(client, "monthly", code).status_code == 302
        auth.logout()
    _as_admin(app, client, auth, user_factory)
    first, second = (requests_of(app, o.id)[0] for o in owners)
    _approve(client, first.id)
    response = _approve(client, second.id, follow=True)
    assert f"The coupon {code} was used up meanwhile" in response.data.decode()
    assert coupon_uses(app, code) == 1
    assert payments_of(app, owners[0].id)[0].amount_due == 270_000
    late = payments_of(app, owners[1].id)[0]
    assert (late.amount_due, late.discount_amount, late.coupon_code) == (300_000, 0, None)


def test_reject_with_a_reason_shown_on_the_dashboard(
    client, app, auth, user_factory, expired_owner
):
    send_request(client, "annual")
    (req,) = requests_of(app, expired_owner.id)
    admin = _as_admin(app, client, auth, user_factory)
    assert (
        client.post(f"/admin/plan-requests/{req.id}/reject", data={"reason": ""}).status_code == 302
    )
    assert requests_of(app, expired_owner.id)[0].status == "pending"  # a reason is required
    client.post(
        f"/admin/plan-requests/{req.id}/reject", data={"reason": "Payment was not received"}
    )
    decided = requests_of(app, expired_owner.id)[0]
    assert (decided.status, decided.reason, decided.decided_by_id) == (
        "rejected",
        "Payment was not received",
        admin.id,
    )
    assert fetch_user(app, expired_owner.id).status == "expired"
    (mail,) = messages(app, kind="plan_rejected")
    assert mail.user_id == expired_owner.id
    auth.logout()
    auth.login(expired_owner.email)
    html = client.get("/dashboard").data.decode()
    assert 'data-status="rejected"' in html
    assert "Reason: Payment was not received" in html


def test_admin_assigns_and_extends_a_plan_directly(client, app, auth, user_factory):
    owner = user_factory(status="expired")
    admin = _as_admin(app, client, auth, user_factory)
    before = utcnow()
    response = client.post(
        f"/admin/users/{owner.id}/plan",
        data={"plan": "monthly", "amount": "", "next": "/admin/payments"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/payments"
    first_end = fetch_user(app, owner.id).plan_expires_at
    assert close(first_end, before + timedelta(days=30))
    client.post(f"/admin/users/{owner.id}/plan", data={"plan": "quarterly", "amount": "500000"})
    user = fetch_user(app, owner.id)
    assert user.plan == "quarterly" and user.plan_expires_at == first_end + timedelta(days=90)
    p1, p2 = payments_of(app, owner.id)
    assert (p1.amount_due, p1.request_id, p1.admin_id) == (300_000, None, admin.id)
    assert (p2.list_price, p2.discount_amount, p2.amount_due) == (810_000, 310_000, 500_000)
    assert p2.period_start == first_end
    with app.app_context():
        actions = db.session.scalars(select(AdminLog.action)).all()
    assert actions.count("assign_plan") == 2


def test_admin_pages_list_requests_history_and_payments(
    client, app, auth, user_factory, expired_owner
):
    code = make_coupon(app)
    send_request(client, "quarterly", code, note="Please call")
    (req,) = requests_of(app, expired_owner.id)
    _as_admin(app, client, auth, user_factory)
    html = client.get("/admin/plan-requests").data.decode()
    assert f'id="request-{req.id}"' in html
    assert "Quarterly" in html and code in html and "729,000 soum" in html
    assert "Please call" in html and "ago" in html
    _approve(client, req.id)
    assert "No requests are waiting." in client.get("/admin/plan-requests").data.decode()
    history = client.get("/admin/plan-requests?view=history").data.decode()
    assert "Approved" in history and code in history
    payments = client.get("/admin/payments").data.decode()
    assert 'data-payment-id="' in payments and "729,000" in payments


# --- coupons admin ---------------------------------------------------------------------------
def test_generate_coupons_with_defaults_and_limits(client, app, auth, user_factory):
    admin = _as_admin(app, client, auth, user_factory)
    assert client.post("/admin/coupons", data={"percent": "10"}).status_code == 302
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    client.post("/admin/coupons", data={"percent": "25", "max_uses": "3", "expires_on": tomorrow})
    with app.app_context():
        plain, limited = db.session.scalars(select(Coupon).order_by(Coupon.id)).all()
        for coupon in (plain, limited):
            match = CODE_RE.match(coupon.code)
            assert match, coupon.code
            assert match.group(1) == str(coupon.percent)
            assert match.group(2) == str(utcnow().year)
            assert coupon.created_by_id == admin.id and coupon.owner_id is None
        assert (plain.percent, plain.max_uses, plain.expires_at) == (10, None, None)
        assert (limited.percent, limited.max_uses) == (25, 3)
        assert limited.expires_at.strftime("%H:%M") == "19:00"  # midnight in Tashkent, in UTC
        assert plain.code != limited.code
        log = db.session.scalars(select(AdminLog).where(AdminLog.action == "generate_coupon")).all()
        assert len(log) == 2
    page = client.get("/admin/coupons").data.decode()
    assert limited.code in page and "0 / 3" in page


def test_generated_codes_are_random_and_readable(ctx):
    from models.coupon import generate_coupon

    codes = {generate_coupon().code for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_RE.match(code) for code in codes)
    assert not any(ch in code.split("-")[-1] for code in codes for ch in "01OIL")


def test_coupon_form_rejects_bad_values(client, app, auth, user_factory):
    _as_admin(app, client, auth, user_factory)
    yesterday = (utcnow() - timedelta(days=3)).date().isoformat()
    for data in (
        {"percent": "0"},
        {"percent": "101"},
        {"percent": "10", "max_uses": "0"},
        {"percent": "10", "expires_on": yesterday},
    ):
        assert client.post("/admin/coupons", data=data).status_code == 400
    assert count(app, Coupon) == 0


def test_deactivate_coupon_stops_new_requests(client, app, auth, user_factory):
    code = make_coupon(app)
    admin = _as_admin(app, client, auth, user_factory)
    with app.app_context():
        coupon_id = db.session.scalar(select(Coupon.id))
    assert client.post(f"/admin/coupons/{coupon_id}/deactivate").status_code == 302
    with app.app_context():
        assert db.session.get(Coupon, coupon_id).active is False
        assert (
            db.session.scalar(
                select(AdminLog.admin_id).where(AdminLog.action == "deactivate_coupon")
            )
            == admin.id
        )
    auth.logout()
    owner = user_factory(status="expired", language="en")
    auth.login(owner.email)
    body = client.post("/billing/coupon-check", json={"code": code}).get_json()
    assert body["valid"] is False


def test_codes_are_case_insensitive_on_entry():
    assert normalize_code(" save10-uz-2026-7kq4ab ") == "SAVE10-UZ-2026-7KQ4AB"
    assert normalize_code(None) == ""


# --- access ----------------------------------------------------------------------------------
ADMIN_GETS = [
    "/admin/plan-requests",
    "/admin/plan-requests?view=history",
    "/admin/payments",
    "/admin/coupons",
    "/admin/e-mails",
]
ADMIN_POSTS = [
    "/admin/plan-requests/1/approve",
    "/admin/plan-requests/1/reject",
    "/admin/users/1/plan",
    "/admin/coupons",
    "/admin/coupons/1/deactivate",
]


@pytest.mark.parametrize(
    "method,url", [("get", u) for u in ADMIN_GETS] + [("post", u) for u in ADMIN_POSTS]
)
def test_owner_gets_403_on_admin_billing(client, owner, method, url):
    assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_anonymous_is_sent_to_login_for_admin_billing(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_admin_actions_on_missing_rows_are_404(client, app, auth, user_factory):
    _as_admin(app, client, auth, user_factory)
    assert client.post("/admin/plan-requests/999/approve").status_code == 404
    assert client.post("/admin/plan-requests/999/reject", data={"reason": "x"}).status_code == 404
    assert client.post("/admin/users/999/plan", data={"plan": "monthly"}).status_code == 404
    assert client.post("/admin/coupons/999/deactivate").status_code == 404


def test_an_admin_is_not_offered_the_request_page(client, admin):
    response = client.get("/billing/request-access")
    assert response.status_code == 302


def test_models_are_consistent_with_the_payment_table(ctx, user_factory):
    """grant_plan works on a fresh session object and flushes without committing."""
    from models.billing import grant_plan

    owner = user_factory(status="expired")
    user = db.session.get(User, owner.id)
    payment = grant_plan(user, "monthly", None)
    assert payment.id is not None and payment.amount_due == 300_000
    db.session.rollback()
    assert db.session.scalar(select(Payment.id)) is None


def test_coupon_check_and_forms_need_the_csrf_token_when_it_is_on(app, user_factory):
    """The page's JS sends X-CSRFToken from the meta tag; without it the POST is refused."""
    from main import create_app
    from tests.factories import PASSWORD, SuiteConfig

    class _Csrf(SuiteConfig):
        WTF_CSRF_ENABLED = True

    owner = user_factory(status="expired", language="en")
    code = make_coupon(app)
    csrf_client = create_app(_Csrf).test_client()
    login_page = csrf_client.get("/auth/login").data.decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', login_page).group(1)
    csrf_client.post(
        "/auth/login", data={"login": owner.email, "password": PASSWORD, "csrf_token": token}
    )
    page = csrf_client.get("/billing/request-access").data.decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert csrf_client.post("/billing/coupon-check", json={"code": code}).status_code == 400
    ok = csrf_client.post(
        "/billing/coupon-check", json={"code": code}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.get_json()["valid"] is True
    assert send_request(csrf_client, "monthly").status_code == 400
    sent = csrf_client.post(
        "/billing/request-access", data={"plan": "monthly", "submit": "1", "csrf_token": token}
    )
    assert sent.status_code == 302


def test_rejecting_a_request_writes_the_admin_log(client, app, auth, user_factory, expired_owner):
    send_request(client, "monthly")
    (req,) = requests_of(app, expired_owner.id)
    admin = _as_admin(app, client, auth, user_factory)
    client.post(f"/admin/plan-requests/{req.id}/reject", data={"reason": "No payment yet"})
    with app.app_context():
        (log,) = db.session.scalars(
            select(AdminLog).where(AdminLog.action == "reject_plan_request")
        ).all()
        assert (log.admin_id, log.target_user_id) == (admin.id, expired_owner.id)
        assert log.details == {"request_id": req.id, "reason": "No payment yet"}


def test_coupon_guessing_through_the_apply_button_is_rate_limited(app, user_factory):
    from extensions import limiter

    user = user_factory(status="expired", language="en")
    limiter.enabled = True
    try:
        c = app.test_client()
        c.post("/auth/login", data={"login": user.email, "password": "correct-horse-42"})
        guesses = [
            c.post(
                "/billing/request-access",
                data={"plan": "monthly", "coupon": f"GUESS-{n:04d}", "apply_coupon": "1"},
            ).status_code
            for n in range(31)
        ]
        assert guesses[:30] == [200] * 30 and guesses[30] == 429
        # One budget with the JSON check: it cannot be used to go on guessing.
        assert c.post("/billing/coupon-check", json={"code": "GUESS-9999"}).status_code == 429
        assert c.get("/billing/request-access").status_code == 200  # reading the page is free
    finally:
        limiter.enabled = False
        limiter.reset()
