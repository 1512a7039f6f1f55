"""What an owner sees (issue 15 §1): one channel health everywhere, the coupon's monthly price,
a pasteable callback URL, a pending request, announcements, the knowledge base page, the
favicon, a blocked account, a reset by phone number."""

import re
from datetime import timedelta

from extensions import db
from models.announcement import Announcement
from models.base import utcnow
from models.billing import create_plan_request
from models.user import User
from tests.billing.helpers import make_coupon
from tests.engine_helpers import add_kb, configured

HEALTH = re.compile(r'data-health-of="(\w+)" data-health="(\w+)">([^<]+)<')


def _health(html: str) -> dict[str, tuple[str, str]]:
    return {platform: (state, label) for platform, state, label in HEALTH.findall(html)}


def test_a_failed_check_shows_the_same_on_dashboard_channels_page_and_admin(
    client, app, auth, shop, fakes, user_factory
):
    dashboard = _health(client.get("/dashboard").data.decode())
    channels = _health(client.get("/channels").data.decode())
    assert dashboard["whatsapp"] == channels["whatsapp"] == ("failed", "Ulanib bo‘lmadi")
    assert (
        dashboard["instagram"]
        == channels["instagram"]
        == ("unchecked", "Saqlangan, hali tekshirilmagan")
    )
    # The channels page read Telegram's webhook state; the dashboard now shows that check.
    assert channels["telegram"][0] in ("ok", "failed")
    assert _health(client.get("/dashboard").data.decode())["telegram"] == channels["telegram"]
    auth.logout()
    admin = user_factory(is_admin=True, language="uz")
    auth.login(admin.email)
    detail = _health(client.get(f"/admin/users/{shop.id}").data.decode())
    assert detail["whatsapp"] == dashboard["whatsapp"]
    assert detail["instagram"] == dashboard["instagram"]


def test_the_monthly_price_follows_the_coupon(client, app, user_factory, auth):
    owner = user_factory(status="expired", language="en")
    auth.login(owner.email)
    code = make_coupon(app, percent=10)
    html = client.get(f"/billing/request-access?coupon={code}").data.decode()
    assert "2,592,000 soum" in html and "216,000 soum a month" in html
    assert "729,000 soum" in html and "243,000 soum a month" in html
    assert "240,000 soum a month" not in html and "270,000 soum a month" not in html
    prices = client.post("/billing/coupon-check", json={"code": code}).get_json()["prices"]
    assert prices["annual"]["monthly_text"] == "216,000 soum a month"
    plain = client.post("/billing/coupon-check", json={"code": ""}).get_json()["prices"]
    assert plain["annual"]["monthly_text"] == "240,000 soum a month"


def test_callback_url_is_absolute_without_webhook_base_url(client, app, shop, fakes):
    with configured(app, WEBHOOK_BASE_URL=""):
        html = client.get("/channels").data.decode()
    assert 'value="http://localhost/whatsapp/webhook"' in html
    assert 'value="http://localhost/instagram/webhook"' in html
    assert "WEBHOOK_BASE_URL" not in html  # the operator's setting is not the owner's business


def test_the_configuration_banner_is_for_the_admin(client, app, user_factory, auth):
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    with configured(app, WEBHOOK_BASE_URL=""):
        html = client.get("/channels").data.decode()
    assert "Set WEBHOOK_BASE_URL" in html


def test_request_access_steps_back_while_a_request_waits(client, app, user_factory, auth):
    owner = user_factory(status="expired", language="en")
    auth.login(owner.email)
    assert 'id="request-access"' in client.get("/dashboard").data.decode()
    with app.app_context():
        create_plan_request(db.session.get(User, owner.id), "monthly")
        db.session.commit()
    html = client.get("/dashboard").data.decode()
    assert 'id="request-access"' not in html
    assert 'id="plan-request-badge"' in html and "Waiting for approval" in html


def test_the_newest_announcement_shows_and_the_rest_fold(client, app, owner):
    with app.app_context():
        for i in range(4):
            db.session.add(
                Announcement(
                    subject_uz=f"E’lon {i}",
                    body_uz="Matn",
                    audience="all",
                    created_at=utcnow() - timedelta(hours=4 - i),
                )
            )
        db.session.commit()
    html = client.get("/dashboard").data.decode()
    shown, folded = html.split('id="older-announcements"')
    assert "E’lon 3" in shown and "E’lon 2" not in shown
    assert all(f"E’lon {i}" in folded for i in range(3))
    assert "3 ta avvalgi e’lon" in folded


def test_owner_kb_page_has_no_hash_but_the_admin_detail_does(
    client, app, owner, user_factory, auth
):
    with app.app_context():
        sha = add_kb(owner.id).sha256
    page = client.get("/knowledge-base/").data.decode()
    assert sha not in page and "SHA-256" not in page
    auth.logout()
    admin = user_factory(is_admin=True)
    auth.login(admin.email)
    assert sha in client.get(f"/admin/users/{owner.id}").data.decode()


def test_every_page_links_a_favicon_that_exists(client):
    html = client.get("/").data.decode()
    href = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', html)[1]
    icon = client.get(href)
    assert icon.status_code == 200 and b"<svg" in icon.data
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith("/static/favicon.svg")


def test_a_banned_owner_with_an_open_session_is_told_the_account_is_blocked(client, app, owner):
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        db.session.get(User, owner.id).ban("spam")
        db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).data.decode()
    assert "bloklangan" in page  # "Your account has been blocked…" in Uzbek
    assert "Bu sahifani ochish uchun" not in page


def test_an_anonymous_visitor_still_gets_the_login_message(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).data.decode()
    assert "bloklangan" not in page


def test_forgot_password_accepts_the_phone_number(client, app, user_factory, smtp_server):
    user = user_factory(email="phone.reset@example.uz", phone="+998901112233", language="ru")
    for typed in ("90 111 22 33", "+998 (90) 111-22-33"):
        response = client.post("/auth/forgot-password", data={"login": typed})
        assert response.status_code == 302
    assert [m["To"] for m in smtp_server.messages] == [user.email, user.email]
    page = client.get("/auth/forgot-password").data.decode()
    assert 'name="login"' in page


def test_admin_ai_buttons_name_the_brands_as_written(client, user_factory, auth):
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    html = client.get("/admin/ai-model").data.decode()
    assert "</i> OpenAI</button>" in html and "</i> Gemini</button>" in html
    assert "Openai" not in html


def test_the_admin_menu_counts_waiting_plan_requests(client, app, user_factory, auth):
    owner = user_factory(status="expired")
    admin = user_factory(is_admin=True, language="en")
    auth.login(admin.email)
    assert 'id="menu-badge-plan_requests"' not in client.get("/admin/").data.decode()
    with app.app_context():
        create_plan_request(db.session.get(User, owner.id), "monthly")
        db.session.commit()
    html = client.get("/admin/users").data.decode()
    badge = re.search(r'id="menu-badge-plan_requests"[^>]*>(\d+)<', html)
    assert badge and badge[1] == "1"
    assert 'data-bs-target="#admin-menu"' in html  # the phone's menu button


def test_the_website_chat_is_connected_while_on_and_switched_off_when_off(app, owner):
    from models.channel import WebWidget, channel_health

    with app.app_context():
        widget = WebWidget(user_id=owner.id)
        assert channel_health(widget) == "ok"  # nothing to check: on is working
        widget.enabled = False
        assert channel_health(widget) == "off"
        assert channel_health(None) == "none"
