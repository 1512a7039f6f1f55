"""The channels blueprint: connection pages, webhooks and the owner's conversations."""

from flask import Blueprint

bp = Blueprint("messaging", __name__)
