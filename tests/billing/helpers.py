"""Small helpers shared by the billing and marketing tests (imported, not a conftest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from extensions import db
from models.billing import Payment, PlanRequest
from models.coupon import Coupon, generate_coupon
from models.marketing import MarketingMessage
from models.user import User


def update_user(app, user_id: int, **fields) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()


def fetch_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def make_coupon(
    app,
    percent: int = 10,
    max_uses: int | None = None,
    expires_at: datetime | None = None,
    owner_id: int | None = None,
    active: bool = True,
    uses: int = 0,
) -> str:
    with app.app_context():
        coupon = generate_coupon(percent, max_uses, expires_at, owner_id=owner_id)
        coupon.active, coupon.uses = active, uses
        db.session.commit()
        return coupon.code


def coupon_uses(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Coupon.uses).where(Coupon.code == code))


def _rows_of(app, model, user_id: int) -> list:
    """One owner's rows of a model, oldest first, detached from the session."""
    with app.app_context():
        rows = list(
            db.session.scalars(select(model).where(model.user_id == user_id).order_by(model.id))
        )
        db.session.expunge_all()
        return rows


def requests_of(app, user_id: int) -> list[PlanRequest]:
    return _rows_of(app, PlanRequest, user_id)


def payments_of(app, user_id: int) -> list[Payment]:
    return _rows_of(app, Payment, user_id)


def messages(app, **filters) -> list[MarketingMessage]:
    with app.app_context():
        query = select(MarketingMessage).order_by(MarketingMessage.id)
        for key, value in filters.items():
            query = query.where(getattr(MarketingMessage, key) == value)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def send_request(client, plan: str = "monthly", coupon: str = "", note: str = ""):
    return client.post(
        "/billing/request-access",
        data={"plan": plan, "coupon": coupon, "note": note, "submit": "1"},
    )
