"""Fake Payme and Click: they call *our* callback endpoints as the real services do, in the
documented sequences (Payme: CheckPerformTransaction → CreateTransaction → PerformTransaction,
CancelTransaction; Click: Prepare → Complete), over a Flask test client or real HTTP."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
import uuid

import httpx

_ids = itertools.count(1)


class _Transport:
    """POST to the app: through a Flask test client, or over HTTP to a live server's base URL."""

    def __init__(self, target):
        self.target = target

    def post(self, path: str, **kwargs) -> dict:
        if isinstance(self.target, str):
            return httpx.post(self.target + path, timeout=10, **kwargs).json()
        if "content" in kwargs:
            kwargs["data"] = kwargs.pop("content")
        response = self.target.post(path, **kwargs)
        assert response.status_code == 200, response.status_code
        return response.get_json()


class FakePayme(_Transport):
    """Payme's side of the Merchant API, with its own transaction ids and clock (ms)."""

    def __init__(self, target, key: str, login: str = "Paycom"):
        super().__init__(target)
        self.key, self.login = key, login

    def call(self, method: str, key: str | None = None, **params) -> dict:
        token = base64.b64encode(f"{self.login}:{key or self.key}".encode()).decode()
        body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params}
        return self.post("/payments/payme", json=body, headers={"Authorization": f"Basic {token}"})

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex[:24]  # Payme's ids are 24-character hex strings

    def check(self, order_id: int, amount: int) -> dict:
        return self.call(
            "CheckPerformTransaction", amount=amount, account={"order_id": str(order_id)}
        )

    def create(self, txn: str, order_id: int, amount: int) -> dict:
        return self.call(
            "CreateTransaction",
            id=txn,
            time=int(time.time() * 1000),
            amount=amount,
            account={"order_id": str(order_id)},
        )

    def perform(self, txn: str) -> dict:
        return self.call("PerformTransaction", id=txn)

    def cancel(self, txn: str, reason: int = 5) -> dict:
        return self.call("CancelTransaction", id=txn, reason=reason)

    def state(self, txn: str) -> dict:
        return self.call("CheckTransaction", id=txn)

    def pay(self, order_id: int, amount: int) -> tuple[str, list[dict]]:
        """The whole happy sequence; returns the transaction id and every answer."""
        txn = self.new_id()
        answers = [
            self.check(order_id, amount),
            self.create(txn, order_id, amount),
            self.perform(txn),
        ]
        return txn, answers


class FakeClick(_Transport):
    """Click's side of the SHOP API: signed form POSTs to Prepare and Complete."""

    def __init__(self, target, service_id: str, secret_key: str):
        super().__init__(target)
        self.service_id, self.secret_key = service_id, secret_key

    def _signed(self, fields: dict, secret: str | None) -> dict:
        raw = (
            "".join(str(fields[k]) for k in ("click_trans_id", "service_id"))
            + (secret if secret is not None else self.secret_key)
            + "".join(
                str(fields.get(k, ""))
                for k in (
                    "merchant_trans_id",
                    "merchant_prepare_id",
                    "amount",
                    "action",
                    "sign_time",
                )
            )
        )
        return {**fields, "sign_string": hashlib.md5(raw.encode()).hexdigest()}

    def _fields(self, trans: str, order_id, amount: str, action: int, **extra) -> dict:
        return {
            "click_trans_id": trans,
            "service_id": self.service_id,
            "click_paydoc_id": str(next(_ids) + 9_000_000),
            "merchant_trans_id": str(order_id),
            "amount": amount,
            "action": str(action),
            "error": "0",
            "error_note": "Success",
            "sign_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            **extra,
        }

    def prepare(self, trans: str, order_id, amount: str, secret: str | None = None) -> dict:
        fields = self._fields(trans, order_id, amount, 0)
        return self.post("/payments/click/prepare", data=self._signed(fields, secret))

    def complete(
        self, trans: str, order_id, amount: str, prepare_id, error: int = 0, secret=None
    ) -> dict:
        fields = self._fields(
            trans, order_id, amount, 1, merchant_prepare_id=str(prepare_id), error=str(error)
        )
        return self.post("/payments/click/complete", data=self._signed(fields, secret))

    @staticmethod
    def new_id() -> str:
        return str(next(_ids) + 1_000_000)
