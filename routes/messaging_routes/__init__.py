"""Channels: the owner's connection pages, the platforms' webhooks, the owner's conversations."""

from flask import Blueprint

bp = Blueprint("messaging", __name__)

# Importing the modules registers their views on bp.
from routes.messaging_routes import channels, conversations, webhooks  # noqa: E402,F401
