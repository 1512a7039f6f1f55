"""Webhooks of Telegram, WhatsApp and Instagram: verify, keep the delivery, answer 200 at once.

A verified delivery is written to the inbox as it came (pipeline/inbox.py) and acknowledged;
the answering processes store its messages, exactly once, in arrival order.

Their POSTs are answered by `Acknowledger`, a WSGI layer in front of Flask: the same routes
and the same code as the views below, within an application context, but without a request
context and its hooks (session, login, locale, limiter, CSRF, the input guard): none of them
serves a platform's signed delivery, and at hundreds of deliveries a second they were a third
of the acknowledgement's CPU. The response carries the same JSON and security headers, and an
error is logged and answered as the app's error handlers do. Meta's GET handshake is an
ordinary view.

The views are exempt from CSRF one by one (below) because the platforms sign them instead,
and from the rate limiter: every delivery comes from the platforms' few addresses (a limit per
address would refuse customers), and the signature is checked before any work.
"""

from __future__ import annotations

import logging

from flask import Flask, Request, abort, current_app, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from channels import CHANNELS, Channel
from core.crypto import SecretError
from extensions import csrf, db, limiter
from pipeline import accounts, inbox
from pipeline.dispatch import notify_delivery
from routes.errors import log_server_error
from routes.helpers import json_body
from routes.messaging_routes.blueprint import bp
from routes.security import add_security_headers

log = logging.getLogger(__name__)


def _capped_body(req: Request) -> bytes:
    """The raw body, read at most WEBHOOK_MAX_BYTES into memory (413 beyond: Meta's and
    Telegram's real payloads are far smaller), before anything parses or looks it up."""
    req.max_content_length = current_app.config["WEBHOOK_MAX_BYTES"]
    return req.get_data(cache=True)


def _json_body(req: Request, hook: str) -> dict:
    """The parsed JSON object, or 400 for anything else (never a 500)."""
    data = json_body(req)
    if not isinstance(data, dict):
        # Sizes and types only: a webhook body carries customers' messages and must not be logged.
        log.warning(
            "%s webhook: body is not a JSON object (%s, %s, %s bytes); answered 400",
            hook,
            "unparseable" if data is None else type(data).__name__,
            req.mimetype or "no content type",
            req.content_length or 0,
        )
        abort(400)
    return data


def _shape(payload: dict) -> str:
    """A short, log-safe description of a body we could not route: its object and top keys."""
    obj = payload.get("object")
    keys = ",".join(sorted(str(k)[:20] for k in payload)[:6])
    return f"object={str(obj)[:40]!r} keys=[{keys}]"


def _keep(platform: str, trusted: list[accounts.Account], raw: bytes) -> dict:
    """Keep the delivery for each account it verified for (committed), and acknowledge."""
    inbox.receive(platform, trusted, raw)
    notify_delivery()
    return {"ok": True}


def _telegram_post(req: Request, user_id: int) -> dict:
    """One Telegram update for one owner's bot, authenticated by the secret token header."""
    channel = CHANNELS["telegram"]
    raw = _capped_body(req)
    header = req.headers.get(channel.signature_header)
    model = channel.model
    trusted, _ = accounts.verified(
        model, model.user_id, [user_id], lambda a: _signed_by(raw, header, a, channel.verify)
    )
    if not trusted:
        abort(403)
    _json_body(req, "telegram")  # refused now (400) when it is no JSON object, never kept
    return _keep(channel.platform, trusted[:1], raw)


def _verify_subscription(model):
    """Meta's GET handshake: echo the challenge when the verify token is one of ours."""
    token = request.args.get("hub.verify_token", "")
    known = token and db.session.scalar(select(model.id).where(model.verify_token == token))
    if request.args.get("hub.mode") != "subscribe" or not known:
        abort(403)
    # Meta sends digits; echoing anything else would let a link make us serve its text.
    challenge = request.args.get("hub.challenge", "")
    if not (challenge.isascii() and challenge.isdigit() and len(challenge) <= 64):
        abort(400)
    return challenge, 200, {"Content-Type": "text/plain; charset=utf-8"}


def _meta_post(req: Request, channel: Channel) -> dict:
    """Shared by WhatsApp and Instagram: route by account id, verify the tenant's signature over
    the raw body before acting, then keep the delivery."""
    hook, model = channel.platform, channel.model
    account_column = getattr(model, channel.account_column)
    raw = _capped_body(req)
    payload = _json_body(req, hook)
    ids = channel.account_ids(payload)
    if len(ids) > current_app.config["WEBHOOK_MAX_ACCOUNTS"]:
        # One app's delivery names a handful of accounts; thousands are an attack on lookups.
        log.warning("%s webhook naming %s accounts; answered 400", hook, len(ids))
        abort(400)
    if not ids:
        log.warning("%s webhook with an unexpected shape (%s); ignored", hook, _shape(payload))
        return {"ok": True}  # nothing Meta could usefully retry
    signature = req.headers.get(channel.signature_header)
    trusted, known = accounts.verified(
        model, account_column, sorted(ids), lambda a: _signed_by(raw, signature, a, channel.verify)
    )
    if not known:
        shown = [i[:32] for i in sorted(ids)[:5]]
        log.info("%s webhook for unknown account(s) %s; ignored", hook, shown)
        return {"ok": True}  # acknowledged so Meta stops retrying; nothing of ours to do
    if not trusted:
        log.warning(
            "%s webhook: %s signature for account(s) %s; answered 403",
            hook,
            "wrong" if signature else "missing",
            [i[:32] for i in sorted(ids)[:5]],
        )
        abort(403)
    return _keep(hook, trusted, raw)


def _signed_by(raw: bytes, signature: str | None, account: accounts.Account, verify) -> bool:
    try:
        return verify(raw, signature, account.secret)
    except SecretError:
        return False


@csrf.exempt
@limiter.exempt
@bp.post("/telegram/webhook/<int:user_id>")
def telegram_webhook(user_id: int):
    """One Telegram update for one owner's bot (answered by Acknowledger in front of Flask)."""
    return _telegram_post(request, user_id)


@csrf.exempt
@limiter.exempt
@bp.route("/whatsapp/webhook", methods=["GET", "POST"])
def whatsapp_webhook():
    """WhatsApp Cloud API webhook shared by every tenant (routed by phone_number_id)."""
    if request.method == "GET":
        return _verify_subscription(CHANNELS["whatsapp"].model)
    return _meta_post(request, CHANNELS["whatsapp"])


@csrf.exempt
@limiter.exempt
@bp.route("/instagram/webhook", methods=["GET", "POST"])
def instagram_webhook():
    """Instagram messaging webhook shared by every tenant (routed by entry.id)."""
    if request.method == "GET":
        return _verify_subscription(CHANNELS["instagram"].model)
    return _meta_post(request, CHANNELS["instagram"])


# What each webhook's POST runs, by endpoint: the views above and Acknowledger alike.
POSTS = {
    f"{bp.name}.telegram_webhook": _telegram_post,
    f"{bp.name}.whatsapp_webhook": lambda req: _meta_post(req, CHANNELS["whatsapp"]),
    f"{bp.name}.instagram_webhook": lambda req: _meta_post(req, CHANNELS["instagram"]),
}


class Acknowledger:
    """WSGI middleware: answers the webhooks' POSTs (POSTS) in an application context only, and
    passes every other request to Flask. Routing is Flask's own URL map, so a path or method
    the views would not take (a user id that is no number, a PUT) gets Flask's answer."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        # (status, body, HSTS) -> what the app's response machinery made of it: the handful of
        # answers a webhook gives ({"ok": true}, {"error": 403}...) are built once, not per call.
        self.responses: dict[tuple, tuple[str, list, bytes]] = {}
        with app.app_context():  # the last resort, built while nothing can fail yet
            self.failed = self._built({"error": 500}, 500)

    def __call__(self, environ: dict, start_response):
        # Cheap tests first: every other request passes with two dictionary reads.
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or "/webhook" not in path:
            return self.wsgi_app(environ, start_response)
        req = self.app.request_class(environ)
        try:
            endpoint, args = self.app.create_url_adapter(req).match()
        except HTTPException:
            endpoint, args = None, {}
        post = POSTS.get(endpoint)
        if post is None:
            return self.wsgi_app(environ, start_response)
        try:
            with self.app.app_context():
                status, headers, body = self._respond(req, post, args)
        except Exception:  # the error handling itself failed (a rollback on a dead connection)
            log.exception("webhook %s: the error could not be handled; answered 500", path)
            status, headers, body = self.failed
        start_response(status, list(headers))  # a copy: a server may extend it
        return [body]

    def _respond(self, req: Request, post, args: dict) -> tuple[str, list, bytes]:
        try:
            payload, status = post(req, **args), 200
        except HTTPException as exc:  # 400, 403, 413: as routes/errors.py answers a webhook
            payload, status = {"error": exc.code}, exc.code
        except Exception as exc:  # a database outage: 500, and the platform delivers it again
            log_server_error(exc, req.method, req.path)
            payload, status = {"error": 500}, 500
        return self._built(payload, status)

    def _built(self, payload: dict, status: int) -> tuple[str, list, bytes]:
        key = (status, self.app.json.dumps(payload), self.app.config.get("HSTS_ENABLED"))
        found = self.responses.get(key)
        if found is None:
            response = self.app.json.response(payload)
            response.status_code = status
            add_security_headers(response)
            found = (response.status, list(response.headers.items()), response.get_data())
            self.responses[key] = found
        return found
