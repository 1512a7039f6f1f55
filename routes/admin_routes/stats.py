"""Admin: platform statistics over a date range, as charts with tables beside them."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from forms.admin import StatsRangeForm
from labels import AI_PROVIDER_LABELS as PROVIDER_LABELS
from labels import PLATFORM_LABELS
from models.base import utcnow
from models.queries.stats import Stats, platform_stats
from routes.admin_routes.blueprint import bp
from routes.stats_charts import chart, day_labels, series


def chart_data(stats: Stats) -> dict:
    """The figures as charts with translated labels (drawn by static/js/stats_charts.js)."""
    platforms = [p for p in stats.messages if p in PLATFORM_LABELS]
    providers = sorted(stats.tokens)
    converted = stats.cohort["converted"]
    days = day_labels(stats.days)
    return {
        "days": days,
        "charts": [
            chart(
                "chart-registrations",
                "bar",
                days,
                [series("primary", _("New owners"), stats.registrations)],
                legend=None,
            ),
            chart(
                "chart-messages",
                "bar",
                days,
                [series(p, PLATFORM_LABELS[p], stats.messages[p]) for p in platforms],
                stacked=True,
            ),
            chart(
                "chart-outcomes",
                "line",
                days,
                [
                    series("answered", _("Answered"), stats.answered),
                    series("failed", _("Failed"), stats.failed),
                ],
            ),
            chart(
                "chart-platforms",
                "doughnut",
                [PLATFORM_LABELS[p] for p in platforms],
                [series("platforms", _("Messages"), [stats.platform_totals[p] for p in platforms])],
                legend="bottom",
                keys=platforms,
            ),
            chart(
                "chart-conversion",
                "doughnut",
                [_("Paid"), _("Did not pay")],
                [
                    series(
                        "conversion", _("Owners"), [converted, stats.cohort["decided"] - converted]
                    )
                ],
                legend="bottom",
                keys=["paid", "unpaid"],
            ),
            chart(
                "chart-tokens",
                "bar",
                [str(PROVIDER_LABELS.get(p, p)) for p in providers],
                [
                    series(
                        "input", _("Input tokens"), [stats.tokens[p]["input"] for p in providers]
                    ),
                    series(
                        "output", _("Output tokens"), [stats.tokens[p]["output"] for p in providers]
                    ),
                ],
                legend="bottom",
            ),
        ],
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
