"""Admin: generate, list and deactivate coupons."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from forms.admin_billing import CouponForm
from models.base import utcnow
from models.coupon import Coupon, deactivate_coupon, generate_coupon
from routes.admin_routes.blueprint import bp, log_action

PER_PAGE = 50


def end_of_local_day(day: date) -> datetime:
    """Midnight after `day` in Tashkent, in UTC: a coupon works all of its last day."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _coupon_list(kind: str, page: int):
    query = (
        select(Coupon)
        .options(selectinload(Coupon.owner))
        .order_by(Coupon.created_at.desc(), Coupon.id.desc())
    )
    personal = Coupon.owner_id.is_not(None)
    query = query.where(personal if kind == "personal" else ~personal)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


@bp.get("/coupons")
def coupons():
    """Campaign coupons (or owners' personal ones) with their uses, and the generate form."""
    kind = "personal" if request.args.get("kind") == "personal" else "campaign"
    page = _coupon_list(kind, request.args.get("page", 1, type=int))
    return render_template(
        "admin/coupons.html", page=page, kind=kind, form=CouponForm(), now=utcnow()
    )


# Python names end in _view so the domain functions keep their own names in this module.
@bp.post("/coupons", endpoint="generate_coupon")
def generate_coupon_view():
    """Create a coupon with a random readable code."""
    form = CouponForm()
    if not form.validate_on_submit():
        kind, page = "campaign", _coupon_list("campaign", 1)
        return render_template(
            "admin/coupons.html", page=page, kind=kind, form=form, now=utcnow()
        ), 400
    expires = end_of_local_day(form.expires_on.data) if form.expires_on.data else None
    coupon = generate_coupon(form.percent.data, form.max_uses.data, expires, current_user.id)
    log_action(
        "generate_coupon",
        None,
        code=coupon.code,
        percent=coupon.percent,
        max_uses=coupon.max_uses,
        expires_at=expires.isoformat() if expires else None,
    )
    db.session.commit()
    flash(_("Coupon %(code)s created.", code=coupon.code), "success")
    return redirect(url_for("admin.coupons"))


@bp.post("/coupons/<int:coupon_id>/deactivate", endpoint="deactivate_coupon")
def deactivate_coupon_view(coupon_id: int):
    """Stop a coupon from being applied to new requests."""
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None:
        abort(404)
    deactivate_coupon(coupon)
    log_action("deactivate_coupon", coupon.owner_id, code=coupon.code)
    db.session.commit()
    flash(_("Coupon %(code)s deactivated.", code=coupon.code), "info")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("admin.coupons"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
