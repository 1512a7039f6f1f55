"""Channels: the owner's connection pages, the platforms' webhooks, the owner's conversations."""

# Importing the modules registers their views on bp.
from routes.messaging_routes import (  # noqa: F401
    canned,
    channels,
    conversations,
    meta,
    telegram,
    webhooks,
    widget,
)
from routes.messaging_routes.blueprint import bp  # noqa: F401 (the package's API)
