"""Every rule of the URL map, walked: anonymous → login redirect (or 404/405), an owner → 404 for
another owner's ids and 403 on /admin, and every POST without a CSRF token → 400 (webhooks, which
are verified by signature instead, excepted). A new route is covered the day it is added; one
that takes a new kind of id fails here until OTHER_OWNERS_IDS knows it."""

import re

import pytest
from werkzeug.routing import Rule

from extensions import db
from main import create_app
from models.billing import PlanRequest
from models.canned_reply import CannedReply
from models.order import Order
from models.owner_answer import KnowledgeGap, OwnerAnswer
from tests.engine_helpers import add_kb
from tests.factories import SuiteConfig as _TestConfig
from tests.factories import make_user
from tests.routes.admin.helpers import add_conversation

# Open to visitors by design.
PUBLIC = {
    "main.index", "main.healthz", "main.favicon", "main.set_language", "static",
    "auth.login", "auth.register", "auth.forgot_password", "auth.reset_password",
    "billing.unsubscribe",
}  # fmt: skip
# The website chat: visitors of an owner's site have no login and no CSRF token; the widget's
# key, the Origin header and frame-ancestors guard it instead (tests/routes/test_widget_routes.py).
WIDGET = {"widget.frame", "widget.send", "widget.updates"}
PUBLIC |= WIDGET
WEBHOOKS = {
    "messaging.telegram_webhook",
    "messaging.whatsapp_webhook",
    "messaging.instagram_webhook",
    # Payme's Basic auth and Click's signature authenticate these (tests/billing).
    "payments.payme_callback",
    "payments.click_prepare",
    "payments.click_complete",
}
# RFC 8058 one-click unsubscribe: mail providers POST it with no token (the signed URL is the key).
NO_CSRF = WEBHOOKS | WIDGET | {"billing.unsubscribe"}
# Values for path arguments that are not another owner's ids.
PLAIN_ARGS = {
    "provider": "payme",
    "platform": "telegram",
    "job_id": "job-1",
    "token": "x",
    "filename": "css/app.css",
    "key": "x",
}


def _app():
    return create_app(_TestConfig)


RULES = sorted(_app().url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def _url(rule: Rule, ids: dict[str, int] | None = None) -> str:
    values = {}
    for arg in rule.arguments:
        values[arg] = (ids or {}).get(arg, PLAIN_ARGS.get(arg, 1))
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _cases(select):
    return [
        pytest.param(rule, method, id=f"{method} {rule.rule}")
        for rule in RULES
        for method in _methods(rule)
        if select(rule, method)
    ]


# --- anonymous --------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule,method", _cases(lambda r, m: r.endpoint not in PUBLIC | WEBHOOKS))
def test_anonymous_is_sent_to_login(client, rule, method):
    response = client.open(_url(rule), method=method)
    assert response.status_code in (302, 404, 405), response.status_code
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]


# --- another owner's ids ------------------------------------------------------------------------------
@pytest.fixture
def others(app):
    """Owner B's rows, by the name of the path argument that carries their id."""
    with app.app_context():
        other = make_user()
        kb = add_kb(other.id)
        conv_id = add_conversation(other.id)
        request = PlanRequest(user_id=other.id, plan="monthly", list_price=1, price_due=1)
        db.session.add(request)
        pair = OwnerAnswer.create(other.id, "Yetkazib berish bormi?", "Ha, Toshkent bo‘ylab.")
        gap = KnowledgeGap.record(other.id, "Vertolyot sotasizmi?", "telegram")
        order = Order(user_id=other.id, plan="monthly", list_price=1, amount=100, provider="payme")
        db.session.add(order)
        canned = CannedReply.create(other.id, "Yetkazish", "Ertaga yetkazamiz.")
        db.session.commit()
        return {
            "conv_id": conv_id,
            "kb_id": kb.id,
            "request_id": request.id,
            "pair_id": pair.id,
            "gap_id": gap.id,
            "order_id": order.id,
            "reply_id": canned.id,
            "user_id": other.id,
        }


OWNER_ID_ARGS = {"conv_id", "kb_id", "request_id", "pair_id", "gap_id", "order_id", "reply_id"}
# Ids that are not an owner's: announcements are the platform's (dismissing one is per user).
SHARED_ID_ARGS = {"announcement_id"}


def _owner_rules_with_ids(rule, method):
    return (
        not rule.rule.startswith("/admin")
        and rule.endpoint not in PUBLIC | WEBHOOKS
        and any(a.endswith("_id") for a in rule.arguments)
    )


def test_every_owner_id_argument_is_known():
    unknown = (
        {
            a
            for rule in RULES
            if _owner_rules_with_ids(rule, "GET")
            for a in rule.arguments
            if a.endswith("_id")
        }
        - OWNER_ID_ARGS
        - SHARED_ID_ARGS
    )
    assert unknown == set()


@pytest.mark.parametrize(
    "rule,method",
    _cases(lambda r, m: _owner_rules_with_ids(r, m) and set(r.arguments) & OWNER_ID_ARGS),
)
def test_another_owners_ids_are_404(client, owner, others, rule, method):
    response = client.open(_url(rule, others), method=method)
    assert response.status_code == 404


# --- admin routes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule,method", _cases(lambda r, m: r.rule.startswith("/admin")))
def test_an_owner_on_admin_routes_is_403(client, owner, others, rule, method):
    response = client.open(_url(rule, others), method=method)
    assert response.status_code == 403


# --- CSRF -------------------------------------------------------------------------------------------------------
class _CsrfConfig(_TestConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture(scope="module")
def csrf_app():
    return create_app(_CsrfConfig)


@pytest.mark.parametrize(
    "rule,method", _cases(lambda r, m: m == "POST" and r.endpoint not in NO_CSRF)
)
def test_every_post_without_a_csrf_token_is_400(app, csrf_app, user_factory, rule, method):
    admin = user_factory(is_admin=True)
    client = csrf_app.test_client()
    with client.session_transaction() as session:  # logged in, so no view redirects first
        with csrf_app.app_context():
            session["_user_id"] = db.session.get(type(admin), admin.id).get_id()
        session["_fresh"] = True
    response = client.post(_url(rule), data={"x": "1"})
    assert response.status_code == 400


def test_webhooks_need_no_csrf_token_but_a_signature(csrf_app):
    client = csrf_app.test_client()
    assert client.post("/whatsapp/webhook", json={"object": "x"}).status_code == 200  # ignored
    assert client.post("/telegram/webhook/1", json={"update_id": 1}).status_code == 403


def test_the_website_chat_needs_no_csrf_token_but_an_allowed_origin(app, csrf_app):
    from models.channel import WebWidget

    with csrf_app.app_context():
        widget = WebWidget(user_id=make_user().id, allowed_origins_text="https://shop.uz")
        db.session.add(widget)
        db.session.commit()
        key = widget.widget_key
    client = csrf_app.test_client()
    body = {"visitor": "v" * 24, "after": 0}
    url = f"/widget/{key}/updates"
    assert client.post(url, json=body, headers={"Origin": "https://shop.uz"}).status_code == 200
    assert client.post(url, json=body, headers={"Origin": "https://evil.uz"}).status_code == 403
    assert client.post(url, json=body).status_code == 403
