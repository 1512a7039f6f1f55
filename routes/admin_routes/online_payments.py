"""Admin: the Payme and Click settings (secrets masked), their callback URLs, and every order."""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.order import STATE_LABELS, Order, enabled_providers
from routes.admin_routes.blueprint import bp

PER_PAGE = 30


def masked(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if not secret:
        return ""
    return "•" * 8 + (secret[-4:] if len(secret) >= 12 else "")


def _settings() -> dict:
    config, base = current_app.config, current_app.config["WEBHOOK_BASE_URL"]
    return {
        "payme": {
            "PAYME_MERCHANT_ID": config["PAYME_MERCHANT_ID"],
            "PAYME_KEY": masked(config["PAYME_KEY"]),
            "PAYME_TEST_MODE": config["PAYME_TEST_MODE"],
            "urls": [("payme-url", base + "/payments/payme")],
        },
        "click": {
            "CLICK_SERVICE_ID": config["CLICK_SERVICE_ID"],
            "CLICK_MERCHANT_ID": config["CLICK_MERCHANT_ID"],
            "CLICK_SECRET_KEY": masked(config["CLICK_SECRET_KEY"]),
            "urls": [
                ("click-prepare-url", base + "/payments/click/prepare"),
                ("click-complete-url", base + "/payments/click/complete"),
            ],
        },
    }


@bp.get("/online-payments")
def online_payments():
    """Settings and callback URLs of the two rails, and the orders, newest first."""
    query = select(Order).options(selectinload(Order.user)).order_by(Order.id.desc())
    state = request.args.get("state", "")
    if state in STATE_LABELS:
        query = query.where(Order.state == state)
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "admin/online_payments.html",
        page=page,
        state=state,
        state_labels=STATE_LABELS,
        settings=_settings(),
        enabled=enabled_providers(),
        base_url=current_app.config["WEBHOOK_BASE_URL"],
    )
