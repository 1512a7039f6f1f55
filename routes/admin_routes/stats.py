"""Admin: platform statistics over a date range, as charts with tables beside them."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from forms.admin import StatsRangeForm
from labels import AI_PROVIDER_LABELS as PROVIDER_LABELS
from labels import PLATFORM_LABELS
from models.base import utcnow
from models.queries.stats import Stats, platform_stats
from routes.admin_routes.blueprint import bp


def chart_data(stats: Stats) -> dict:
    """The figures as Chart.js-ready series with translated labels (read by admin_stats.js)."""
    platforms = [p for p in stats.messages if p in PLATFORM_LABELS]
    providers = sorted(stats.tokens)
    converted = stats.cohort["converted"]
    return {
        "days": [format_date(date.fromisoformat(d), "d MMM") for d in stats.days],
        "registrations": {"label": _("New owners"), "data": stats.registrations},
        "messages": [
            {"key": p, "label": str(PLATFORM_LABELS[p]), "data": stats.messages[p]}
            for p in platforms
        ],
        "outcomes": [
            {"key": "answered", "label": _("Answered"), "data": stats.answered},
            {"key": "failed", "label": _("Failed"), "data": stats.failed},
        ],
        "platforms": {
            "keys": platforms,
            "labels": [str(PLATFORM_LABELS[p]) for p in platforms],
            "data": [stats.platform_totals[p] for p in platforms],
        },
        "conversion": {
            "labels": [_("Paid"), _("Did not pay")],
            "data": [converted, stats.cohort["decided"] - converted],
        },
        "tokens": {
            "labels": [str(PROVIDER_LABELS.get(p, p)) for p in providers],
            "datasets": [
                {
                    "key": "input",
                    "label": _("Input tokens"),
                    "data": [stats.tokens[p]["input"] for p in providers],
                },
                {
                    "key": "output",
                    "label": _("Output tokens"),
                    "data": [stats.tokens[p]["output"] for p in providers],
                },
            ],
        },
    }


@bp.get("/stats")
def stats():
    """Registrations, messages by platform, answered vs failed, conversion and tokens by day."""
    form = StatsRangeForm(formdata=request.args)
    first, last = form.range()
    figures = platform_stats(first, last, utcnow())
    return render_template(
        "admin/stats.html",
        form=form,
        stats=figures,
        charts=chart_data(figures),
        first=first,
        last=last,
        provider_labels=PROVIDER_LABELS,
    )
