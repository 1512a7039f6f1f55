"""Admin: the admin log — who did what to whom and when."""

from __future__ import annotations

from flask import render_template, request

from forms.admin import LogFilterForm
from models.queries.logs import log_choices, log_page
from routes.admin_routes.blueprint import bp


@bp.get("/logs")
def logs():
    """Every admin action, newest first, filterable by action, admin and target owner."""
    form = LogFilterForm(formdata=request.args)
    form.fill_choices(*log_choices())
    filters = form.filters()
    page = log_page(filters, request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/logs.html", form=form, page=page, args=args)
