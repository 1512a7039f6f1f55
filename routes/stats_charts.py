"""Chart.js descriptions for the statistics pages (the admin's and the owner's), drawn by the one
script static/js/stats_charts.js: the views say what to draw, the script knows how."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date


def day_labels(days: list[str]) -> list[str]:
    """ISO days as short labels in the reader's locale ("1 dek", "1 дек.", "Dec 1")."""
    return [format_date(date.fromisoformat(d), "d MMM") for d in days]


def series(key: str, label, data: list[int]) -> dict:
    return {"key": key, "label": str(label), "data": data}


def chart(
    chart_id: str,
    kind: str,
    labels: list,
    datasets: list[dict],
    *,
    stacked: bool = False,
    legend: str | None = "top",
    keys: list[str] | None = None,
) -> dict:
    """One chart: `kind` bar, line or doughnut; `keys` colour a doughnut's slices."""
    return {
        "id": chart_id,
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": datasets,
        "stacked": stacked,
        "legend": legend,
        "keys": keys or [],
    }
