"""Platform → channel: how each platform's webhooks are read and its replies are sent.

One entry per platform, so callers look a channel up instead of branching on its name. The
connection model is named, not imported: the parsers stay free of the database, and only a
caller that asks for `Channel.model` (a view, a job) loads `models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import instagram, telegram, whatsapp
from . import widget as web_widget
from .graph import GraphClientBase, GraphFailure
from .instagram import InstagramClient
from .signatures import SIGNATURE_HEADER, verify_signature
from .telegram_client import TelegramClient
from .types import InboundEvent, SendResult
from .whatsapp import WhatsAppClient


@dataclass(frozen=True)
class Channel:
    """One platform's adapter: parse, verify, client(config, account), send, check."""

    platform: str
    # Class name in `models` holding an owner's connection; None: nothing to connect ("web").
    model_name: str | None = None
    # The webhook header that authenticates a delivery, and the function checking it
    # against (raw body, header, secret).
    signature_header: str | None = None
    verify: Callable[[bytes, str | None, str], bool] | None = None
    # Account ids named in a webhook body (to find the tenants before verifying), and the
    # parser of the body into events (the account key is needed where the body has none).
    account_ids: Callable[[Any], set[str]] | None = None
    parse: Callable[[Any, str | None], list[InboundEvent]] | None = None
    # The model column those account ids are stored in.
    account_column: str | None = None
    make_client: Callable[[Mapping[str, Any], Any], Any] | None = None
    # Fields of the connection a successful check refreshes, from the check's label.
    identity: Callable[[str], dict[str, str]] | None = None

    @property
    def model(self) -> Any:
        """The connection model class (imported on first use, see the module docstring)."""
        if self.model_name is None:
            return None
        import models

        return getattr(models, self.model_name)

    def client(self, config: Mapping[str, Any], account: Any) -> Any:
        """A client for this connection row, configured from a Flask-style config."""
        if self.make_client is None:
            return None
        return self.make_client(config, account)

    def send(
        self,
        config: Mapping[str, Any],
        account: Any,
        to: str,
        text: str,
        *,
        language_picker: bool = False,
        durable: bool = False,
        parts_sent: int = 0,
    ) -> SendResult:
        """Send text to one customer through this connection; never raises for platform trouble.
        `durable`: the caller retries refusals later itself (no thread sleeps through them).
        `parts_sent`: the first parts of the split text went out on an earlier try; only the
        rest is sent."""
        client = self.client(config, account)
        if client is None:  # the web test chat: the reply is only stored
            return SendResult(ok=True, external_ids=[])
        client.retry_refusals, client.parts_sent = not durable, parts_sent
        return client.send(to, text, language_picker=language_picker)

    def check(self, config: Mapping[str, Any], account: Any) -> tuple[str, GraphFailure | None]:
        """One read with the stored token: (label, None) or ("", failure)."""
        return self.client(config, account).check_details()


def _meta(
    platform: str,
    model_name: str,
    module: Any,
    account_ids: Callable[[Any], set[str]],
    account_column: str,
    client_class: type[GraphClientBase],
    identity_field: str,
) -> Channel:
    """WhatsApp and Instagram: one signed webhook for every tenant, routed by account id."""
    return Channel(
        platform,
        model_name=model_name,
        signature_header=SIGNATURE_HEADER,
        verify=verify_signature,
        account_ids=account_ids,
        parse=lambda body, account_key=None: module.parse_payload(body),
        account_column=account_column,
        make_client=lambda config, row: client_class.from_config(
            config, row.access_token, getattr(row, account_column)
        ),
        # The check's label starts with the number or "@username", then " (Name)".
        identity=lambda label: {identity_field: label.split(" (")[0].lstrip("@")},
    )


CHANNELS: dict[str, Channel] = {
    "telegram": Channel(
        "telegram",
        model_name="TelegramBot",
        signature_header=telegram.SECRET_HEADER,
        verify=lambda raw, header, secret: telegram.verify_secret(header, secret),
        parse=lambda body, account_key: telegram.parse_update(body, account_key),
        make_client=lambda config, bot: TelegramClient.from_config(config, bot.token),
    ),
    "whatsapp": _meta(
        "whatsapp",
        "WhatsAppAccount",
        whatsapp,
        whatsapp.phone_number_ids,
        "phone_number_id",
        WhatsAppClient,
        "display_phone",
    ),
    "instagram": _meta(
        "instagram",
        "InstagramAccount",
        instagram,
        instagram.account_ids,
        "ig_account_id",
        InstagramClient,
        "username",
    ),
    # The website chat: visitors write through /widget/… (no webhook to verify) and their page
    # polls for replies, so "sending" one records it (refused while the owner has it off).
    "web-widget": Channel(
        web_widget.PLATFORM,
        model_name="WebWidget",
        make_client=lambda config, row: web_widget.WidgetClient(enabled=row.enabled),
    ),
    "web": Channel("web"),
}
