"""The admin area under /admin, guarded once for the whole blueprint.

Each page group lives in its own module and registers its views on `bp`.
"""

from __future__ import annotations

# Importing the page modules registers their views on bp.
from routes.admin_routes import (  # noqa: F401
    ai,
    announcements,
    conversations,
    coupons,
    dashboard,
    emails,
    jobs,
    logs,
    online_payments,
    plans,
    stats,
    users,
)
from routes.admin_routes.blueprint import bp, log_action  # noqa: F401 (the package's API)
