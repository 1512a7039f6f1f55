"""Payme (Paycom) Merchant API: Payme calls us with JSON-RPC 2.0 and HTTP Basic `Paycom:<key>`.

Amounts are in tiyin (1 UZS = 100 tiyin), times in milliseconds since the epoch. Every answer
is HTTP 200 with either `result` or `error` (code, message in uz/ru/en, data).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

METHODS = (
    "CheckPerformTransaction",
    "CreateTransaction",
    "PerformTransaction",
    "CancelTransaction",
    "CheckTransaction",
    "GetStatement",
)
# Transaction states.
CREATED, PERFORMED, CANCELLED, CANCELLED_AFTER_PERFORM = 1, 2, -1, -2
TIMEOUT_MS = 43_200_000  # a created transaction expires after 12 hours
REASON_TIMEOUT = 4  # the cancel reason Payme defines for "cancelled by timeout"

# Error codes.
WRONG_AMOUNT = -31001
NOT_FOUND = -31003
CANNOT_CANCEL = -31007
CANNOT_PERFORM = -31008
ORDER_NOT_FOUND = -31050
ORDER_UNAVAILABLE = -31051  # the order exists but cannot be paid now (busy, paid, cancelled)
NOT_POST = -32300
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
FORBIDDEN = -32504
INTERNAL = -32400

MESSAGES = {
    WRONG_AMOUNT: ("Noto‘g‘ri summa", "Неверная сумма", "Wrong amount"),
    NOT_FOUND: ("Tranzaksiya topilmadi", "Транзакция не найдена", "Transaction not found"),
    CANNOT_CANCEL: (
        "Tranzaksiyani bekor qilib bo‘lmaydi",
        "Невозможно отменить транзакцию",
        "The transaction cannot be cancelled",
    ),
    CANNOT_PERFORM: (
        "Bu amalni bajarib bo‘lmaydi",
        "Невозможно выполнить операцию",
        "Unable to perform the operation",
    ),
    ORDER_NOT_FOUND: ("Buyurtma topilmadi", "Заказ не найден", "Order not found"),
    ORDER_UNAVAILABLE: (
        "Buyurtmani hozir to‘lab bo‘lmaydi",
        "Заказ сейчас нельзя оплатить",
        "The order cannot be paid now",
    ),
    NOT_POST: ("Faqat POST", "Только POST", "POST only"),
    PARSE_ERROR: ("JSON xato", "Ошибка разбора JSON", "Parse error"),
    INVALID_REQUEST: ("Noto‘g‘ri so‘rov", "Неверный запрос", "Invalid request"),
    METHOD_NOT_FOUND: ("Metod topilmadi", "Метод не найден", "Method not found"),
    FORBIDDEN: ("Ruxsat yo‘q", "Недостаточно привилегий", "Insufficient privileges"),
    INTERNAL: ("Ichki xato", "Внутренняя ошибка", "Internal error"),
}


class PaymeError(Exception):
    """An error answer: the code, and the field it concerns (`data`)."""

    def __init__(self, code: int, data: str | None = None):
        super().__init__(code)
        self.code, self.data = code, data


@dataclass
class Call:
    """One parsed JSON-RPC request."""

    id: Any
    method: str
    params: dict = field(default_factory=dict)

    def amount(self) -> int:
        value = self.params.get("amount")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise PaymeError(WRONG_AMOUNT, "amount")
        if int(value) != value:
            raise PaymeError(WRONG_AMOUNT, "amount")
        return int(value)

    def account_value(self, key: str) -> str:
        account = self.params.get("account")
        value = account.get(key) if isinstance(account, dict) else None
        if value is None or str(value).strip() == "":
            raise PaymeError(ORDER_NOT_FOUND, key)
        return str(value).strip()

    def transaction_id(self) -> str:
        value = self.params.get("id")
        if not isinstance(value, str) or not value or len(value) > 64:
            raise PaymeError(INVALID_REQUEST, "id")
        return value

    def integer(self, key: str) -> int:
        value = self.params.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PaymeError(INVALID_REQUEST, key)
        return value


def authorized(header: str | None, key: str) -> bool:
    """Whether an Authorization header is Basic `Paycom:<key>` (constant-time compare)."""
    if not key or not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    login, _, password = decoded.partition(":")
    good_login = hmac.compare_digest(login.encode(), b"Paycom")
    return hmac.compare_digest(password.encode(), key.encode()) and good_login


def parse(body: bytes) -> Call:
    """The JSON-RPC call in a request body; PaymeError(-32700 / -32600 / -32601) otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PaymeError(PARSE_ERROR) from exc
    if not isinstance(data, dict) or not isinstance(data.get("method"), str):
        raise PaymeError(INVALID_REQUEST)
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise PaymeError(INVALID_REQUEST, "params")
    call = Call(data.get("id"), data["method"], params)
    if call.method not in METHODS:
        raise PaymeError(METHOD_NOT_FOUND, call.method)
    return call


def request_id(body: bytes) -> Any:
    """The id of a request whose parsing failed, when it can still be read (else None)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data.get("id") if isinstance(data, dict) else None


def result(call_id: Any, value: dict) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "result": value}


def error(call_id: Any, code: int, data: str | None = None) -> dict:
    uz, ru, en = MESSAGES.get(code, MESSAGES[INTERNAL])
    body = {"code": code, "message": {"uz": uz, "ru": ru, "en": en}, "data": data}
    return {"jsonrpc": "2.0", "id": call_id, "error": body}


def to_ms(moment: datetime | None) -> int:
    """Milliseconds since the epoch (0 for a time that has not happened, as Payme expects)."""
    return int(moment.timestamp() * 1000) if moment else 0


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def checkout_url(base: str, merchant_id: str, field_name: str, value: str, tiyin: int, back: str):
    """The checkout link: base + base64 of `m=…;ac.<field>=…;a=<tiyin>;c=<return url>`."""
    raw = f"m={merchant_id};ac.{field_name}={value};a={tiyin};c={back}"
    return base.rstrip("/") + "/" + base64.b64encode(raw.encode()).decode()
