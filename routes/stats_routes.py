"""The owner's statistics: charts over a date range, and their conversations as a CSV file."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from forms.admin import StatsRangeForm
from labels import PLATFORM_LABELS
from models.queries.owner_stats import (
    CUSTOMER_CHANNELS,
    QUESTION_SAMPLE,
    OwnerStats,
    owner_stats,
)
from routes.conversation_export import csv_rows
from routes.helpers import require_login
from routes.stats_charts import chart, day_labels, series

bp = Blueprint("stats", __name__, url_prefix="/statistics")

require_login(bp)


def owner_charts(stats: OwnerStats) -> dict:
    """The owner's figures as charts (drawn by static/js/stats_charts.js)."""
    days = day_labels(stats.days)
    by_channel = [(p, PLATFORM_LABELS[p]) for p in CUSTOMER_CHANNELS]
    answered = [
        ("bot", _("The bot answered")),
        ("owner", _("You answered")),
        ("dont_know", _("The bot did not know")),
    ]
    return {
        "charts": [
            chart(
                "chart-conversations",
                "bar",
                days,
                [series(p, label, stats.conversations[p]) for p, label in by_channel],
                stacked=True,
            ),
            chart(
                "chart-messages",
                "bar",
                days,
                [series(p, label, stats.messages[p]) for p, label in by_channel],
                stacked=True,
            ),
            chart(
                "chart-customers",
                "bar",
                days,
                [
                    series("new", _("New customers"), stats.new_customers),
                    series("returning", _("Returning customers"), stats.returning_customers),
                ],
                stacked=True,
            ),
            chart(
                "chart-answered",
                "doughnut",
                [label for _key, label in answered],
                [series("answered", _("Replies"), [stats.answered_by[k] for k, _l in answered])],
                legend="bottom",
                keys=[k for k, _label in answered],
            ),
            chart(
                "chart-hours",
                "bar",
                [f"{h:02d}" for h in range(24)],
                [series("primary", _("Customer messages"), stats.hours)],
                legend=None,
            ),
        ]
    }


@bp.get("")
def index():
    """Conversations, messages, customers, who answered, busy hours and top questions."""
    form = StatsRangeForm(formdata=request.args)
    first, last = form.range()
    figures = owner_stats(current_user.id, first, last)
    return render_template(
        "statistics.html",
        form=form,
        stats=figures,
        charts=owner_charts(figures),
        days=day_labels(figures.days),
        first=first,
        last=last,
        question_sample=QUESTION_SAMPLE,
        channel_labels=[PLATFORM_LABELS[p] for p in CUSTOMER_CHANNELS],
        by_channel={
            "conversations": [figures.conversations[p] for p in CUSTOMER_CHANNELS],
            "messages": [figures.messages[p] for p in CUSTOMER_CHANNELS],
        },
    )


@bp.get("/export.csv")
def export():
    """Every message of the owner's conversations in the range, streamed as a CSV file."""
    first, last = StatsRangeForm(formdata=request.args).range()
    name = f"bilimbot-{first.isoformat()}-{last.isoformat()}.csv"
    rows = csv_rows(current_user.id, first, last)
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
