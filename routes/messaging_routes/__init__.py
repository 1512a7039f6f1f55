"""Channels: the owner's connection pages, the platforms' webhooks, the owner's conversations."""

from flask import Blueprint

bp = Blueprint("messaging", __name__)

# Importing the modules registers their views on bp.
from routes.messaging_routes import (  # noqa: E402,F401
    channels,
    conversations,
    meta,
    telegram,
    webhooks,
)
