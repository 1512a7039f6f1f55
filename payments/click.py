"""Click SHOP API: Click POSTs form fields to our Prepare (action 0) and Complete (action 1) URLs.

sign_string = MD5(click_trans_id + service_id + SECRET_KEY + merchant_trans_id
[+ merchant_prepare_id on Complete] + amount + action + sign_time). Amounts are in UZS.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

PREPARE, COMPLETE = 0, 1

OK = 0
SIGN_FAILED = -1
WRONG_AMOUNT = -2
ACTION_NOT_FOUND = -3
ALREADY_PAID = -4
ORDER_NOT_FOUND = -5
TRANSACTION_NOT_FOUND = -6
UPDATE_FAILED = -7
BAD_REQUEST = -8
CANCELLED = -9

NOTES = {
    OK: "Success",
    SIGN_FAILED: "SIGN CHECK FAILED!",
    WRONG_AMOUNT: "Incorrect parameter amount",
    ACTION_NOT_FOUND: "Action not found",
    ALREADY_PAID: "Already paid",
    ORDER_NOT_FOUND: "User does not exist",
    TRANSACTION_NOT_FOUND: "Transaction does not exist",
    UPDATE_FAILED: "Failed to update user",
    BAD_REQUEST: "Error in request from click",
    CANCELLED: "Transaction cancelled",
}
FIELDS = ("click_trans_id", "service_id", "merchant_trans_id", "amount", "action", "sign_time")


class ClickError(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@dataclass
class Callback:
    """One Prepare or Complete request, fields as sent (the signature covers the raw text)."""

    click_trans_id: str
    service_id: str
    click_paydoc_id: str
    merchant_trans_id: str
    merchant_prepare_id: str
    amount_text: str
    action: int
    error: int
    sign_time: str
    sign_string: str

    @property
    def amount_tiyin(self) -> int:
        """The amount in tiyin; ClickError(-2) when it is not a positive sum to the tiyin."""
        try:
            value = Decimal(self.amount_text) * 100
        except InvalidOperation as exc:
            raise ClickError(WRONG_AMOUNT) from exc
        if value <= 0 or value != value.to_integral_value():
            raise ClickError(WRONG_AMOUNT)
        return int(value)


def _int(value: str | None, code: int) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ClickError(code) from exc


def parse(form: dict, action: int) -> Callback:
    """The callback in a form; ClickError(-8) for missing fields, (-3) for another action."""
    if any(not str(form.get(name) or "").strip() for name in (*FIELDS, "sign_string")):
        raise ClickError(BAD_REQUEST)
    if action == COMPLETE and not str(form.get("merchant_prepare_id") or "").strip():
        raise ClickError(BAD_REQUEST)
    callback = Callback(
        click_trans_id=str(form["click_trans_id"]).strip(),
        service_id=str(form["service_id"]).strip(),
        click_paydoc_id=str(form.get("click_paydoc_id") or "").strip(),
        merchant_trans_id=str(form["merchant_trans_id"]).strip(),
        merchant_prepare_id=str(form.get("merchant_prepare_id") or "").strip(),
        amount_text=str(form["amount"]).strip(),
        action=_int(form["action"], ACTION_NOT_FOUND),
        error=_int(form.get("error") or "0", BAD_REQUEST),
        sign_time=str(form["sign_time"]).strip(),
        sign_string=str(form["sign_string"]).strip().lower(),
    )
    if callback.action != action:
        raise ClickError(ACTION_NOT_FOUND)
    return callback


def sign(callback: Callback, secret_key: str) -> str:
    prepare_id = callback.merchant_prepare_id if callback.action == COMPLETE else ""
    raw = (
        f"{callback.click_trans_id}{callback.service_id}{secret_key}"
        f"{callback.merchant_trans_id}{prepare_id}{callback.amount_text}"
        f"{callback.action}{callback.sign_time}"
    )
    return hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()


def verify(callback: Callback, secret_key: str, service_id: str) -> None:
    """ClickError(-1) unless the signature is ours and the service is ours."""
    good = hmac.compare_digest(sign(callback, secret_key), callback.sign_string)
    if not secret_key or not good or callback.service_id != str(service_id):
        raise ClickError(SIGN_FAILED)


def answer(callback: Callback | None, code: int, local_id: int | None = None) -> dict:
    """The JSON answer; `local_id` is merchant_prepare_id (Prepare) or merchant_confirm_id."""
    body = {
        "click_trans_id": callback.click_trans_id if callback else None,
        "merchant_trans_id": callback.merchant_trans_id if callback else None,
        "error": code,
        "error_note": NOTES.get(code, NOTES[BAD_REQUEST]),
    }
    key = (
        "merchant_confirm_id" if callback and callback.action == COMPLETE else "merchant_prepare_id"
    )
    body[key] = local_id
    return body


def pay_url(base: str, service_id: str, merchant_id: str, tiyin: int, param: str, back: str):
    """The Click pay page for an order (amount in UZS with two decimals)."""
    query = {
        "service_id": service_id,
        "merchant_id": merchant_id,
        "amount": f"{Decimal(tiyin) / 100:.2f}",
        "transaction_param": param,
        "return_url": back,
    }
    return f"{base}?{urlencode(query)}"
