"""The Graph API client base WhatsApp and Instagram share: auth, sends with retries, errors."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from core.retry import Sleep, backoff, call_with_retries

from .http import DEFAULT_MAX_WAIT_SECONDS, network_error_text, open_session
from .readers import as_dict, as_str
from .types import SendResult

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v26.0"


@dataclass
class GraphFailure:
    """A Graph API error read from a response, in words and codes."""

    message: str
    code: int | None = None
    subcode: int | None = None
    http_status: int = 0
    retryable: bool = False
    token_invalid: bool = False

    @property
    def network(self) -> bool:
        """Meta was not reached (or did not answer in time): there is no Graph answer to quote."""
        return self.http_status == 0 and self.code is None


# Graph codes that mean "slow down / try again": throughput, app/user rate limits, transient.
GRAPH_RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131056, 131000})
GRAPH_TOKEN_CODES = frozenset({190, 102, 463, 467})


def read_graph_error(status: int, data: Any) -> GraphFailure:
    """Turn a non-2xx Graph response into a GraphFailure."""
    err = as_dict(as_dict(data).get("error"))
    code = err.get("code") if isinstance(err.get("code"), int) else None
    subcode = err.get("error_subcode") if isinstance(err.get("error_subcode"), int) else None
    message = as_str(err.get("message")) or f"HTTP {status}"
    details = as_str(as_dict(err.get("error_data")).get("details"))
    if details and details not in message:
        message = f"{message}: {details}"
    retryable = (
        status == 429
        or status >= 500
        or code in GRAPH_RETRY_CODES
        or err.get("is_transient") is True
    )
    token_invalid = code in GRAPH_TOKEN_CODES or (status == 401 and code is None)
    return GraphFailure(message, code, subcode, status, retryable, token_invalid)


class GraphClientBase(ABC):
    """Shared plumbing for the WhatsApp and Instagram clients (Bearer auth, retries, errors)."""

    service = "the Graph API"
    expired_advice = "Generate a new access token and save it again."

    # Config keys for the host, first one set wins (Instagram Login lives on its own host).
    base_url_keys: tuple[str, ...] = ("GRAPH_API_BASE",)
    # The object read by check() when none is configured ("" keeps the id as given).
    default_object_id = ""
    check_fields = "id"

    def __init__(
        self,
        access_token: str,
        object_id: str,
        base_url: str = DEFAULT_BASE_URL,
        version: str = DEFAULT_VERSION,
        timeout: float = 10.0,
        max_retries: int = 2,
        *,
        sleep: Sleep = time.sleep,
        max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
        backoff_base: float = 1.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._access_token = access_token
        self.object_id = str(object_id or self.default_object_id or object_id)
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.sleep = sleep
        self.max_wait = max_wait
        self.backoff_base = backoff_base
        self._http = http
        # False: a refusal for now (throughput limits) comes back at once for a durable retry.
        self.retry_refusals = True
        self.parts_sent = 0  # parts of the next text already delivered on an earlier try

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], access_token: str, object_id: str, **kwargs: Any
    ) -> GraphClientBase:
        """Build from a Flask-style config (the host keys, GRAPH_API_VERSION, timeout)."""
        base_url = next((config.get(k) for k in cls.base_url_keys if config.get(k)), None)
        return cls(
            access_token,
            object_id,
            base_url=base_url or DEFAULT_BASE_URL,
            version=config.get("GRAPH_API_VERSION") or DEFAULT_VERSION,
            timeout=float(config.get("MESSAGING_TIMEOUT_SECONDS") or 10.0),
            **kwargs,
        )

    def __repr__(self) -> str:  # the token never appears in reprs or logs
        return f"<{type(self).__name__} {self.object_id} via {self.base_url}/{self.version}>"

    def url(self, *parts: str) -> str:
        """Absolute URL for a path under the configured host and version."""
        return "/".join([self.base_url, self.version, *parts])

    @contextmanager
    def session(self) -> Iterator[httpx.Client]:
        """An injected client, or a short-lived one closed afterwards."""
        with open_session(self._http, self.timeout) as client:
            yield client

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token}"}

    def request(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Do one request; returns (status, parsed JSON or None). Raises only httpx errors."""
        resp = client.request(method, url, json=json, params=params, headers=self._headers())
        try:
            data = resp.json()
        except ValueError:
            data = None
        return resp.status_code, data

    def window_error(self, failure: GraphFailure) -> bool:
        """True when the failure means the 24-hour customer-service window is closed."""
        return False

    def describe(self, failure: GraphFailure) -> str:
        """Words for an owner or admin, with the Graph code."""
        code = f" (Graph error {failure.code})" if failure.code is not None else ""
        if failure.token_invalid:
            return (
                f"The access token has expired or is invalid{code}: "
                f"{failure.message.rstrip('. ')}. {self.expired_advice}"
            )
        return f"{failure.message}{code}"

    @abstractmethod
    def send_text(self, to: str, text: str) -> SendResult:
        """Send a free-form text to one customer; never raises."""

    def send(self, to: str, text: str, *, language_picker: bool = False) -> SendResult:
        """The channel interface's send: Meta has no language picker, so plain text."""
        return self.send_text(to, text)

    def send_bodies(
        self,
        path_parts: tuple[str, ...],
        bodies: list[dict[str, Any]],
        read_id: Callable[[Any], str | None],
    ) -> SendResult:
        """POST each body in order with bounded retries; stop at the first hard failure."""
        ids: list[str] = []
        url = self.url(*path_parts)
        with self.session() as client:
            for body in bodies[self.parts_sent :]:
                result = self._send_one(client, url, body, read_id)
                if not result.ok:
                    result.external_ids = ids + result.external_ids
                    return result
                ids.extend(result.external_ids)
        return SendResult(ok=True, external_ids=ids)

    def _send_one(
        self,
        client: httpx.Client,
        url: str,
        body: dict[str, Any],
        read_id: Callable[[Any], str | None],
    ) -> SendResult:
        try:
            status, data = call_with_retries(
                lambda: self.request(client, "POST", url, json=body),
                attempts=self.max_retries + 1,
                retry_on=_worth_retrying if self.retry_refusals else _connect_failed,
                wait=backoff(self.backoff_base, self.max_wait),
                sleep=self.sleep,
            )
        except httpx.HTTPError as exc:
            return SendResult(
                False,
                error=network_error_text(self.service, exc),
                error_code="network",
                retryable=True,
            )
        if 200 <= status < 300:
            mid = read_id(data)
            return SendResult(True, external_ids=[mid] if mid else [])
        failure = read_graph_error(status, data)
        outside = self.window_error(failure)
        log.info("%s send failed: %s (code %s)", self.service, failure.message, failure.code)
        return SendResult(
            False,
            error=self.describe(failure),
            error_code=failure.code if failure.code is not None else failure.http_status,
            retryable=failure.retryable and not outside,
            outside_window=outside,
            token_invalid=failure.token_invalid,
        )

    def get_object(self, fields: str) -> tuple[bool, Any, GraphFailure | None]:
        """GET the configured object with fields; (ok, data, failure). Never raises."""
        try:
            with self.session() as client:
                status, data = self.request(
                    client, "GET", self.url(self.object_id), params={"fields": fields}
                )
        except httpx.HTTPError as exc:
            return False, None, GraphFailure(network_error_text(self.service, exc), retryable=True)
        if 200 <= status < 300 and isinstance(data, dict):
            return True, data, None
        return False, data, read_graph_error(status, data)

    def label(self, data: dict) -> str:
        """How the checked object is shown to its owner."""
        return as_str(data.get("id")) or self.object_id

    def check(self) -> tuple[bool, str]:
        """Check token and object: (True, label) or (False, reason)."""
        label, failure = self.check_details()
        return (True, label) if failure is None else (False, self.describe(failure))

    def check_details(self) -> tuple[str, GraphFailure | None]:
        """(label, None) when the token can read the object, else ("", failure)."""
        ok, data, failure = self.get_object(self.check_fields)
        if ok:
            return self.label(data), None
        return "", failure or GraphFailure("unexpected answer")


def _connect_failed(outcome: Any) -> bool:
    """Only a connect error (nothing reached Meta): refusals are left to the caller."""
    return isinstance(outcome, httpx.ConnectError)


def _worth_retrying(outcome: Any) -> bool:
    """A connect error (nothing reached Meta, so no duplicate) or a retryable Graph answer.

    Any other network error is final: a timeout after sending may have delivered the message.
    """
    if isinstance(outcome, BaseException):
        return isinstance(outcome, httpx.ConnectError)
    status, data = outcome
    return not 200 <= status < 300 and read_graph_error(status, data).retryable
