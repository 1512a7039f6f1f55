"""The website chat widget: the owner's allowed sites, the visitor's ids, and the "client" whose
send only records the reply (the visitor's page polls for it).

A library like the other channels: no Flask, no database. The views (routes/widget_routes.py)
check a request's Origin with `origin_allowed` and build the iframe's `frame-ancestors` from
`frame_ancestors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from urllib.parse import urlsplit

from .types import InboundEvent, SendResult

PLATFORM = "web-widget"
MAX_ORIGINS = 20
# Ids the visitor's browser keeps (random, URL-safe); the external id joins them, within the
# 128 characters of Message.external_id.
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,48}")
CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
_HOST = re.compile(
    r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


class OriginError(ValueError):
    """An entry of the allowed-sites list that is not a site; args: (code, the entry)."""

    @property
    def code(self) -> str:
        return self.args[0]

    @property
    def entry(self) -> str:
        return self.args[1]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_origin(entry: str) -> str:
    """One typed site as the origin browsers send: `shop.uz` → `https://shop.uz`,
    `https://www.shop.uz/contacts` → `https://www.shop.uz`, `localhost:8080` →
    `http://localhost:8080` (plain http only for this computer, for trying the widget out)."""
    text = entry.strip().rstrip("/").lower()
    if not text:
        raise OriginError("empty", entry)
    if "://" not in text:
        host_part = text.split("/")[0].split(":")[0]
        text = ("http://" if _loopback(host_part) else "https://") + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise OriginError("invalid", entry) from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        raise OriginError("invalid", entry)
    if parts.scheme == "http" and not _loopback(host):
        raise OriginError("not_https", entry)
    if not (_loopback(host) or (_HOST.fullmatch(host) and "." in host)):
        raise OriginError("invalid", entry)
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(text: str) -> list[str]:
    """The owner's list (one per line, or separated by commas or spaces), normalised, without
    repeats, in the order typed; raises OriginError for the first entry that is not a site."""
    found: list[str] = []
    for entry in re.split(r"[\s,]+", text or ""):
        if entry and (origin := normalise_origin(entry)) not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise OriginError("too_many", str(len(found)))
    return found


def origin_allowed(origin: str | None, allowed: list[str], own_hosts: set[str]) -> bool:
    """A browser's Origin header: our own pages (the widget's iframe, on any of our host names)
    or one of the owner's sites. No Origin at all is refused: browsers send it with every POST."""
    if not origin or origin == "null":
        return False
    if origin in allowed:
        return True
    try:
        return urlsplit(origin).netloc in own_hosts
    except ValueError:
        return False


def frame_ancestors(allowed: list[str]) -> str:
    """The CSP frame-ancestors sources for the owner's sites ('none' when there are none)."""
    return " ".join(allowed) or "'none'"


def valid_visitor(value: object) -> str | None:
    return value if isinstance(value, str) and VISITOR_ID.fullmatch(value) else None


def valid_client_id(value: object) -> str | None:
    return value if isinstance(value, str) and CLIENT_MESSAGE_ID.fullmatch(value) else None


def external_id(visitor: str, client_id: str) -> str:
    """The message's key: a page that sends the same message again (a retry after a lost
    answer) is stored once."""
    return f"w:{visitor}:{client_id}"


def client_id_of(external: str | None) -> str | None:
    """The visitor page's own id of a message it sent (so it can match its optimistic copy)."""
    if not external or not external.startswith("w:"):
        return None
    return external.rsplit(":", 1)[-1]


def inbound_event(
    widget_key: str, visitor: str, client_id: str, text: str, at: datetime
) -> InboundEvent:
    return InboundEvent(
        platform=PLATFORM,
        account_key=widget_key,
        kind="text",
        external_id=external_id(visitor, client_id),
        sender_id=visitor,
        timestamp=at,
        text=text,
    )


@dataclass
class WidgetClient:
    """Sending to a website visitor is recording the reply: their page polls for it. A widget the
    owner switched off has no visitors to show it to, so the send fails with a reason."""

    enabled: bool
    retry_refusals: bool = False

    def send(self, to: str, text: str, *, language_picker: bool = False) -> SendResult:
        if not self.enabled:
            return SendResult(ok=False, error="the website chat is switched off")
        return SendResult(ok=True, external_ids=[])
