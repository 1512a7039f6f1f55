"""A fake Meta Graph API (WhatsApp Cloud API and Instagram messaging), plus builders for
realistic webhook payloads and their X-Hub-Signature-256.

    with FakeGraph() as graph:
        graph.add_whatsapp_number("1234567890", token="wa-token")
        WhatsAppClient("wa-token", "1234567890", base_url=graph.url).send_text("998901234567", "Hi")
        graph.whatsapp_sent()  # -> [{"messaging_product": "whatsapp", "to": ..., ...}]

Every recorded send keeps the URL path it was posted to in `_path`. Instagram sends are accepted
only at `/{version}/me/messages` or `/{version}/{page_id}/messages` (Facebook Login flavour, Page
token); `/{ig_account_id}/messages` answers Graph error 100/33 like the real API.

Errors have Graph's shape: `{"error": {"message", "type", "code", "error_subcode",
"error_data": {"details"}, "fbtrace_id"}}`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Recorded, Reply

# code -> (HTTP status, message, subcode, details) as the real API answers them.
GRAPH_ERRORS: dict[int, tuple[int, str, int | None, str | None]] = {
    131047: (400, "Re-engagement message", None,
             "Message failed to send because more than 24 hours have passed since the customer "
             "last replied to this number."),
    130429: (400, "Rate limit hit", None,
             "Cloud API message throughput has been reached."),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit", None,
             "Too many messages sent from the sender phone number to the same recipient phone "
             "number in a short period of time."),
    131030: (400, "Recipient phone number not in allowed list", None,
             "Recipient phone number not in allowed list: Add recipient phone number to "
             "recipient list and try again."),
    131026: (400, "Message undeliverable", None,
             "Unable to deliver message."),
    190: (401, "Error validating access token: Session has expired on Tuesday, 24-Nov-26 "
               "01:00:00 PST. The current time is Tuesday, 24-Nov-26 02:00:00 PST.", 463, None),
    100: (400, "(#100) Invalid parameter", None, None),
    10: (400, "(#10) This message is sent outside of allowed window.", 2018278, None),
    551: (400, "This person isn't available right now.", 1545041, None),
    2: (503, "An unexpected error has occurred. Please retry your request later.", None, None),
    1: (500, "An unknown error occurred", None, None),
    4: (400, "(#4) Application request limit reached", None, None),
}  # fmt: skip


def graph_error(
    code: int,
    message: str | None = None,
    *,
    subcode: int | None = None,
    http_status: int | None = None,
    details: str | None = None,
) -> Reply:
    """A Graph error Reply; defaults come from GRAPH_ERRORS for known codes."""
    status, default_msg, default_sub, default_details = GRAPH_ERRORS.get(
        code, (400, f"(#{code}) Error", None, None)
    )
    error: dict[str, Any] = {
        "message": message or default_msg,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + uuid.uuid4().hex[:22],
    }
    sub = subcode if subcode is not None else default_sub
    if sub is not None:
        error["error_subcode"] = sub
    if details or default_details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details or
                               default_details}  # fmt: skip
    if code in (1, 2):
        error["is_transient"] = True
    return Reply(http_status or status, {"error": error})


@dataclass
class WhatsAppNumber:
    """A registered WhatsApp Business phone number."""

    phone_number_id: str
    token: str
    display_phone_number: str = "+998 71 200 00 00"
    verified_name: str = "Test Biznes"
    sent: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeMedia:
    """A customer's media: a WhatsApp media id (looked up, then downloaded with the token) or
    an Instagram attachment on the CDN (downloaded without one)."""

    key: str
    data: bytes
    mime_type: str
    token: str | None = None  # None: an Instagram CDN file, served to anyone with the URL
    file_size: int | None = None  # what the lookup reports (None: the real length)
    fail_download: int | None = None  # an HTTP status the download answers instead


@dataclass
class InstagramAccount:
    """A registered Instagram business account (optionally reachable by its Page id)."""

    account_id: str
    token: str
    username: str = "test_biznes"
    name: str = "Test Biznes"
    page_id: str | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)


class FakeGraph(FakeServer):
    """Fake Graph API: WhatsApp/Instagram sends, "check connection" GETs, programmable errors."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: dict[str, WhatsAppNumber] = {}
        self.accounts: dict[str, InstagramAccount] = {}
        self.expired_tokens: set[str] = set()
        self.accepted_versions: set[str] | None = None  # None: any vNN.N
        self._state = threading.Lock()
        self._failures: list[list[Any]] = []  # [object id or None, reply, sends to skip]
        self._seq = itertools.count(1)
        self.media: dict[str, FakeMedia] = {}
        self.route("POST", r"/(?P<version>v\d+\.\d+)/(?P<obj>[^/]+)/messages", self._send)
        self.route("GET", r"/(?P<version>v\d+\.\d+)/(?P<obj>[^/]+)", self._get)
        self.route("GET", r"/whatsapp-media/(?P<key>[^/]+)", self._media_download)
        self.route("GET", r"/ig-cdn/(?P<key>[^/]+)", self._media_download)

    # --- programming the fake ------------------------------------------------------------
    def add_whatsapp_number(
        self, phone_number_id: str, token: str, display_phone_number: str = "+998 71 200 00 00",
        verified_name: str = "Test Biznes",
    ) -> WhatsAppNumber:  # fmt: skip
        """Register a phone number id that `token` may send from."""
        number = WhatsAppNumber(str(phone_number_id), token, display_phone_number, verified_name)
        with self._state:
            self.numbers[number.phone_number_id] = number
        return number

    def add_instagram_account(
        self, account_id: str, token: str, username: str = "test_biznes",
        name: str = "Test Biznes", page_id: str | None = None,
    ) -> InstagramAccount:  # fmt: skip
        """Register an Instagram account (and its Page id) that `token` may send from."""
        account = InstagramAccount(str(account_id), token, username, name, page_id)
        with self._state:
            self.accounts[account.account_id] = account
        return account

    def add_whatsapp_media(self, media_id: str, data: bytes, token: str, **kw: Any) -> FakeMedia:
        """A media id `GET /{version}/{media-id}` resolves (with `token`) to a download URL."""
        media = FakeMedia(
            media_id, data, kw.pop("mime_type", "audio/ogg; codecs=opus"), token, **kw
        )
        with self._state:
            self.media[media_id] = media
        return media

    def add_instagram_attachment(self, name: str, data: bytes, **kw: Any) -> str:
        """An attachment on the fake CDN; returns the URL a webhook carries."""
        with self._state:
            self.media[name] = FakeMedia(name, data, kw.pop("mime_type", "audio/mp4"), None, **kw)
        return f"{self.url}/ig-cdn/{name}"

    def media_downloads(self) -> list[Recorded]:
        """Every request for media bytes (WhatsApp downloads and Instagram CDN files)."""
        return self.requests_to(r"^/(whatsapp-media|ig-cdn)/")

    def expire_token(self, token: str) -> None:
        """Every call with this token now answers 401, code 190 subcode 463."""
        with self._state:
            self.expired_tokens.add(token)

    def fail_next(
        self,
        code: int,
        message: str | None = None,
        *,
        times: int = 1,
        subcode: int | None = None,
        http_status: int | None = None,
        details: str | None = None,
        target: str | None = None,
        after: int = 0,
    ) -> None:
        """Fail the next `times` sends (from `target` or any) with `code`, after `after` succeed."""
        reply = graph_error(code, message, subcode=subcode, http_status=http_status,
                            details=details)  # fmt: skip
        self.fail_next_raw(reply, times=times, target=target, after=after)

    def fail_next_raw(
        self, reply: Reply, *, times: int = 1, target: str | None = None, after: int = 0
    ) -> None:
        """The next `times` sends answer exactly `reply` (e.g. a 502 HTML page)."""
        with self._state:
            self._failures.append([target, reply, after])
            self._failures.extend([target, reply, 0] for _ in range(times - 1))

    # --- reading what happened -----------------------------------------------------------
    def whatsapp_sent(
        self, phone_number_id: str | None = None, to: str | None = None
    ) -> list[dict]:
        """Bodies of successful WhatsApp sends (optionally from one number / to one customer)."""
        with self._state:
            nums = [self.numbers[phone_number_id]] if phone_number_id else self.numbers.values()
            sent = sorted((m for n in nums for m in n.sent), key=lambda m: m["_seq"])
        return [m for m in sent if to is None or m.get("to") == to]

    def instagram_sent(
        self, account_id: str | None = None, recipient_id: str | None = None
    ) -> list[dict]:
        """Bodies of successful Instagram sends (optionally from one account / to one IGSID)."""
        with self._state:
            accs = [self.accounts[account_id]] if account_id else self.accounts.values()
            sent = sorted((m for a in accs for m in a.sent), key=lambda m: m["_seq"])
        return [
            m for m in sent
            if recipient_id is None or m.get("recipient", {}).get("id") == recipient_id
        ]  # fmt: skip

    def whatsapp_texts(self, to: str | None = None) -> list[str]:
        """Just the text bodies of whatsapp_sent()."""
        return [m["text"]["body"] for m in self.whatsapp_sent(to=to)]

    def instagram_texts(self, recipient_id: str | None = None) -> list[str]:
        """Just the texts of instagram_sent()."""
        return [m["message"]["text"] for m in self.instagram_sent(recipient_id=recipient_id)]

    def reset(self) -> None:
        """Forget requests, sends, failures and expired tokens; keep registrations."""
        super().reset()
        with self._state:
            self._failures.clear()
            self.expired_tokens.clear()
            self.media.clear()
            for obj in [*self.numbers.values(), *self.accounts.values()]:
                obj.sent.clear()

    # --- the API -------------------------------------------------------------------------
    def _token(self, rec: Recorded) -> str | None:
        auth = rec.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip() or None
        values = rec.query.get("access_token")
        return values[-1] if values else None

    def _resolve(self, obj: str, token: str) -> WhatsAppNumber | InstagramAccount | None:
        if obj == "me":
            return next((a for a in self.accounts.values() if a.token == token), None)
        if obj in self.numbers:
            return self.numbers[obj]
        if obj in self.accounts:
            return self.accounts[obj]
        return next((a for a in self.accounts.values() if a.page_id == obj), None)

    def _authorize(
        self, rec: Recorded, m: re.Match, verb: str
    ) -> tuple[WhatsAppNumber | InstagramAccount | None, Reply | None]:
        if self.accepted_versions is not None and m["version"] not in self.accepted_versions:
            return None, graph_error(
                2635, f"(#2635) You are calling a deprecated version of the Graph API "
                f"({m['version']}). Please update to the latest version."
            )  # fmt: skip
        token = self._token(rec)
        if token is None:
            return None, graph_error(
                104, "An access token is required to request this resource.", http_status=400
            )
        with self._state:
            if token in self.expired_tokens:
                return None, graph_error(190)
            known = any(o.token == token for o in [*self.numbers.values(), *self.accounts.values()])
            if not known:
                return None, Reply(401, {"error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException", "code": 190, "fbtrace_id": "AinvalidToken",
                }})  # fmt: skip
            target = self._resolve(m["obj"], token)
        if target is None or target.token != token:
            return None, graph_error(
                100, f"Unsupported {verb} request. Object with ID '{m['obj']}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                subcode=33,
            )  # fmt: skip
        return target, None

    def _send(self, rec: Recorded, m: re.Match) -> Reply:
        target, error = self._authorize(rec, m, "post")
        if error is not None:
            return error
        if isinstance(target, InstagramAccount) and m["obj"] not in ("me", target.page_id):
            # With a Page token (Instagram API with Facebook Login) the Instagram account id is
            # not a sender: Graph answers as for any object that cannot send messages.
            return graph_error(
                100, f"Unsupported post request. Object with ID '{m['obj']}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                subcode=33,
            )  # fmt: skip
        try:
            body = json.loads(rec.body or b"{}")
        except ValueError:
            return graph_error(100, "(#100) The parameter messaging_product is required.")
        if not isinstance(body, dict):
            return graph_error(100)
        with self._state:
            oid = target.phone_number_id if isinstance(target, WhatsAppNumber) else \
                target.account_id  # fmt: skip
            for i, (wanted, reply, skip) in enumerate(self._failures):
                if wanted is None or wanted in (oid, m["obj"]):
                    if skip:
                        self._failures[i][2] -= 1
                        break
                    del self._failures[i]
                    return reply
        if isinstance(target, WhatsAppNumber):
            return self._send_whatsapp(target, body, rec.path)
        return self._send_instagram(target, body, rec.path)

    def _send_whatsapp(self, number: WhatsAppNumber, body: dict[str, Any], path: str) -> Reply:
        if body.get("messaging_product") != "whatsapp":
            return graph_error(100, "(#100) The parameter messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or not to.lstrip("+").isdigit():
            return graph_error(100, "(#100) Invalid parameter", details="to: invalid recipient")
        if body.get("type", "text") == "text":
            text = body.get("text", {}).get("body") if isinstance(body.get("text"), dict) else None
            if not isinstance(text, str) or not text.strip():
                return graph_error(100, "(#100) Param text['body'] is required.")
            if len(text) > 4096:
                return graph_error(100, "(#100) Param text['body'] must be at most 4096 characters")
        wamid = "wamid.HBgM" + uuid.uuid4().hex.upper()
        with self._state:
            number.sent.append({**body, "_id": wamid, "_seq": next(self._seq), "_path": path})
        return Reply(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": wamid}],
        })  # fmt: skip

    def _send_instagram(self, account: InstagramAccount, body: dict[str, Any], path: str) -> Reply:
        recipient = body.get("recipient")
        rid = recipient.get("id") if isinstance(recipient, dict) else None
        if not rid:
            return graph_error(100, "(#100) The parameter recipient is required")
        message = body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip():
            return graph_error(100, "(#100) The parameter message is required")
        if len(text.encode("utf-8")) > 1000:
            return graph_error(
                100, "(#100) Length of param message[text] must be less than or equal to 1000"
            )
        mid = "aWdfZAG1faXRlbToxOklH" + uuid.uuid4().hex
        with self._state:
            account.sent.append({**body, "_id": mid, "_seq": next(self._seq), "_path": path})
        return Reply(200, {"recipient_id": rid, "message_id": mid})

    def _media_lookup(self, rec: Recorded, media: FakeMedia) -> Reply:
        if self._token(rec) != media.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return Reply(200, {
            "messaging_product": "whatsapp",
            "url": f"{self.url}/whatsapp-media/{media.key}?ext=1&hash=ATsx",
            "mime_type": media.mime_type,
            "sha256": hashlib.sha256(media.data).hexdigest(),
            "file_size": media.file_size if media.file_size is not None else len(media.data),
            "id": media.key,
        })  # fmt: skip

    def _media_download(self, rec: Recorded, m: re.Match) -> Reply:
        with self._state:
            media = self.media.get(m["key"])
        if media is None:
            return Reply(404, b"Not Found")
        if media.token is not None and self._token(rec) != media.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if media.fail_download:
            return Reply(media.fail_download, b"<html>error</html>", {"Content-Type": "text/html"})
        return Reply(200, media.data, {"Content-Type": media.mime_type})

    def _get(self, rec: Recorded, m: re.Match) -> Reply:
        with self._state:
            media = self.media.get(m["obj"])
        if media is not None and media.token is not None:
            return self._media_lookup(rec, media)
        target, error = self._authorize(rec, m, "get")
        if error is not None:
            return error
        fields = (rec.query.get("fields") or ["id"])[-1].split(",")
        if isinstance(target, WhatsAppNumber):
            data = {
                "id": target.phone_number_id,
                "display_phone_number": target.display_phone_number,
                "verified_name": target.verified_name,
                "quality_rating": "GREEN",
                "code_verification_status": "VERIFIED",
            }
        else:
            data = {"id": target.account_id, "username": target.username, "name": target.name}
        return Reply(200, {k: v for k, v in data.items() if k in fields or k == "id"})


# --- signatures ----------------------------------------------------------------------------------
def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header Meta sends: "sha256=<hex HMAC-SHA256 of the raw body>"."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed(payload: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    """(raw body, headers) ready for `client.post(url, data=body, headers=headers)`."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, app_secret)}


# --- WhatsApp webhook builders -------------------------------------------------------------------
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_WA_ID = "998901234567"


def _now() -> str:
    return str(int(time.time()))


def new_wamid() -> str:
    """A fresh inbound message id in WhatsApp's format."""
    return "wamid.HBgMOTk4OTAxMjM0NTY3FQIAEhgg" + uuid.uuid4().hex.upper()


def whatsapp_value(
    *,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = "998712000000",
    messages: list[dict] | None = None,
    statuses: list[dict] | None = None,
    contacts: list[dict] | None = None,
) -> dict[str, Any]:
    """The `value` of one change (metadata + contacts + messages/statuses)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": display_phone_number,
                     "phone_number_id": phone_number_id},
    }  # fmt: skip
    if contacts:
        value["contacts"] = contacts
    if messages:
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return value


def whatsapp_envelope(*values: dict[str, Any], waba_id: str = "102290129340398") -> dict[str, Any]:
    """Wrap change values into a webhook body: one entry, one change per value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": v, "field": "messages"} for v in values]}],
    }


def whatsapp_message_payload(
    message: dict[str, Any],
    *,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wa_id: str = DEFAULT_WA_ID,
    name: str | None = "Aziz",
    wamid: str | None = None,
    timestamp: int | str | None = None,
) -> dict[str, Any]:
    """A webhook with one inbound message; `message` holds the type-specific fields."""
    msg = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp) if timestamp is not None else _now(),
        **message,
    }
    contacts = [{"profile": {"name": name}, "wa_id": wa_id}] if name is not None else None
    return whatsapp_envelope(
        whatsapp_value(phone_number_id=phone_number_id, messages=[msg], contacts=contacts)
    )


def whatsapp_text_payload(text: str, **kw: Any) -> dict[str, Any]:
    """A text message (kw: phone_number_id, wa_id, name, wamid, timestamp)."""
    return whatsapp_message_payload({"type": "text", "text": {"body": text}}, **kw)


def whatsapp_media_payload(
    kind: str = "image", caption: str | None = None, *, media_id: str | None = None, **kw: Any
) -> dict:
    """image / audio / video / document / sticker (caption for image, video, document)."""
    media: dict[str, Any] = {
        "id": media_id or str(uuid.uuid4().int)[:16],
        "mime_type": {"image": "image/jpeg", "audio": "audio/ogg; codecs=opus",
                      "video": "video/mp4", "document": "application/pdf",
                      "sticker": "image/webp"}.get(kind, "application/octet-stream"),
        "sha256": hashlib.sha256(kind.encode()).hexdigest(),
    }  # fmt: skip
    if kind == "audio":
        media["voice"] = True
    if kind == "document":
        media["filename"] = "narxlar.pdf"
    if caption is not None:
        media["caption"] = caption
    return whatsapp_message_payload({"type": kind, kind: media}, **kw)


def whatsapp_interactive_payload(
    title: str, reply_type: str = "button_reply", reply_id: str = "opt_1", **kw: Any
) -> dict[str, Any]:
    """A tap on a reply button ("button_reply") or a list row ("list_reply")."""
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if reply_type == "list_reply":
        reply["description"] = "details"
    return whatsapp_message_payload(
        {"type": "interactive", "interactive": {"type": reply_type, reply_type: reply},
         "context": {"from": "998712000000", "id": new_wamid()}},
        **kw,
    )  # fmt: skip


def whatsapp_button_payload(text: str, payload: str = "PAYLOAD", **kw: Any) -> dict[str, Any]:
    """A tap on a template's quick-reply button (type "button")."""
    return whatsapp_message_payload(
        {"type": "button", "button": {"text": text, "payload": payload},
         "context": {"from": "998712000000", "id": new_wamid()}},
        **kw,
    )  # fmt: skip


def whatsapp_reaction_payload(emoji: str = "👍", message_id: str | None = None, **kw: Any) -> dict:
    """A reaction to one of our messages (produces no event)."""
    return whatsapp_message_payload(
        {"type": "reaction", "reaction": {"message_id": message_id or new_wamid(),
                                          "emoji": emoji}}, **kw
    )  # fmt: skip


def whatsapp_location_payload(**kw: Any) -> dict[str, Any]:
    """A shared location (media: no text)."""
    return whatsapp_message_payload(
        {"type": "location", "location": {"latitude": 41.311081, "longitude": 69.240562,
                                          "name": "Tashkent", "address": "Amir Temur ko‘chasi"}},
        **kw,
    )  # fmt: skip


def whatsapp_unsupported_payload(**kw: Any) -> dict[str, Any]:
    """A message type the Cloud API cannot deliver (e.g. a poll), with its errors[]."""
    return whatsapp_message_payload(
        {"type": "unsupported", "errors": [{
            "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]},
        **kw,
    )  # fmt: skip


def whatsapp_status_payload(
    wamid: str,
    status: str = "delivered",
    *,
    recipient_id: str = DEFAULT_WA_ID,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    timestamp: int | str | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
    error_details: str | None = None,
) -> dict[str, Any]:
    """A status (sent / delivered / read / failed) of one of OUR outbound messages."""
    st: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp) if timestamp is not None else _now(),
        "recipient_id": recipient_id,
    }
    if status in ("sent", "delivered"):
        st["conversation"] = {"id": uuid.uuid4().hex, "origin": {"type": "service"}}
        st["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service",
                         "type": "free_customer_service"}  # fmt: skip
    if status == "failed" or error_code is not None:
        code = error_code or 131047
        _, default_title, _, default_details = GRAPH_ERRORS.get(code, (0, "Error", None, None))
        st["errors"] = [{
            "code": code,
            "title": error_title or default_title,
            "message": error_title or default_title,
            "error_data": {"details": error_details or default_details or ""},
        }]  # fmt: skip
    return whatsapp_envelope(whatsapp_value(phone_number_id=phone_number_id, statuses=[st]))


def merge_payloads(*payloads: dict[str, Any]) -> dict[str, Any]:
    """One webhook body carrying every entry of the given bodies (how Meta batches)."""
    return {"object": payloads[0]["object"], "entry": [e for p in payloads for e in p["entry"]]}


def whatsapp_batch(*payloads: dict[str, Any]) -> dict[str, Any]:
    """One entry whose changes[] are all changes of the given bodies (another batching shape)."""
    changes = [c for p in payloads for e in p["entry"] for c in e["changes"]]
    return {"object": "whatsapp_business_account",
            "entry": [{"id": payloads[0]["entry"][0]["id"], "changes": changes}]}  # fmt: skip


# --- Instagram webhook builders ------------------------------------------------------------------
DEFAULT_IG_ACCOUNT_ID = "17841400000000001"
DEFAULT_IGSID = "7000000000000001"


def new_mid() -> str:
    """A fresh Instagram message id."""
    return "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx" + uuid.uuid4().hex


def _ms() -> int:
    return int(time.time() * 1000)


def instagram_envelope(
    *items: dict[str, Any], account_id: str = DEFAULT_IG_ACCOUNT_ID
) -> dict[str, Any]:
    """Wrap messaging[] items into a webhook body for one business account."""
    return {
        "object": "instagram",
        "entry": [{"time": _ms(), "id": account_id, "messaging": list(items)}],
    }


def instagram_item(
    *,
    account_id: str = DEFAULT_IG_ACCOUNT_ID,
    sender_id: str = DEFAULT_IGSID,
    timestamp_ms: int | None = None,
    echo: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """One messaging[] item from the customer (or from the business when echo=True)."""
    sender, recipient = (account_id, sender_id) if echo else (sender_id, account_id)
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": timestamp_ms if timestamp_ms is not None else _ms(),
        **fields,
    }


def instagram_text_payload(
    text: str,
    *,
    account_id: str = DEFAULT_IG_ACCOUNT_ID,
    sender_id: str = DEFAULT_IGSID,
    mid: str | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """A customer's text DM."""
    item = instagram_item(
        account_id=account_id, sender_id=sender_id, timestamp_ms=timestamp_ms,
        message={"mid": mid or new_mid(), "text": text},
    )  # fmt: skip
    return instagram_envelope(item, account_id=account_id)


def instagram_attachment_payload(
    kind: str = "image", *, text: str | None = None, account_id: str = DEFAULT_IG_ACCOUNT_ID,
    sender_id: str = DEFAULT_IGSID, mid: str | None = None, url: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An image / audio / video / share / story_mention ... attachment (optional text)."""
    url = url or f"https://lookaside.test/{kind}.bin"
    message: dict[str, Any] = {
        "mid": mid or new_mid(),
        "attachments": [{"type": kind, "payload": {"url": url}}],
    }
    if text is not None:
        message["text"] = text
    item = instagram_item(account_id=account_id, sender_id=sender_id, message=message)
    return instagram_envelope(item, account_id=account_id)


def instagram_echo_payload(
    text: str, *, account_id: str = DEFAULT_IG_ACCOUNT_ID, recipient_id: str = DEFAULT_IGSID,
    mid: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Our own (or the owner's) outgoing message coming back as an echo."""
    item = instagram_item(
        account_id=account_id, sender_id=recipient_id, echo=True,
        message={"mid": mid or new_mid(), "text": text, "is_echo": True},
    )  # fmt: skip
    return instagram_envelope(item, account_id=account_id)


def instagram_postback_payload(
    title: str, payload: str = "ICE_BREAKER_1", *, account_id: str = DEFAULT_IG_ACCOUNT_ID,
    sender_id: str = DEFAULT_IGSID, mid: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A tap on an ice-breaker or button: the title is the question."""
    item = instagram_item(
        account_id=account_id, sender_id=sender_id,
        postback={"mid": mid or new_mid(), "title": title, "payload": payload},
    )  # fmt: skip
    return instagram_envelope(item, account_id=account_id)


def instagram_read_payload(mid: str | None = None, **kw: Any) -> dict[str, Any]:
    """The customer read our message (produces no event)."""
    account_id = kw.pop("account_id", DEFAULT_IG_ACCOUNT_ID)
    item = instagram_item(account_id=account_id, read={"mid": mid or new_mid()}, **kw)
    return instagram_envelope(item, account_id=account_id)


def instagram_reaction_payload(emoji: str = "❤", mid: str | None = None, **kw: Any) -> dict:
    """The customer reacted to a message (produces no event)."""
    account_id = kw.pop("account_id", DEFAULT_IG_ACCOUNT_ID)
    item = instagram_item(
        account_id=account_id,
        reaction={"mid": mid or new_mid(), "action": "react", "reaction": "love", "emoji": emoji},
        **kw,
    )
    return instagram_envelope(item, account_id=account_id)


def instagram_edit_payload(text: str, mid: str | None = None, **kw: Any) -> dict[str, Any]:
    """The customer edited a message (message_edit: produces no event)."""
    account_id = kw.pop("account_id", DEFAULT_IG_ACCOUNT_ID)
    item = instagram_item(
        account_id=account_id,
        message_edit={"mid": mid or new_mid(), "text": text, "num_edit": 1},
        **kw,
    )
    return instagram_envelope(item, account_id=account_id)


def instagram_deleted_payload(mid: str | None = None, **kw: Any) -> dict[str, Any]:
    """The customer unsent a message (is_deleted: produces no event)."""
    account_id = kw.pop("account_id", DEFAULT_IG_ACCOUNT_ID)
    item = instagram_item(
        account_id=account_id, message={"mid": mid or new_mid(), "is_deleted": True}, **kw
    )
    return instagram_envelope(item, account_id=account_id)


def instagram_changes_payload(
    text: str, *, account_id: str = "0", sender_id: str = "12334", recipient_id: str = "23245",
    mid: str = "random_mid", timestamp: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The entry[].changes[] style the dashboard's Test button sends (timestamp in seconds)."""
    return {
        "object": "instagram",
        "entry": [{
            "id": account_id,
            "time": int(time.time()),
            "changes": [{"field": "messages", "value": {
                "sender": {"id": sender_id},
                "recipient": {"id": recipient_id},
                "timestamp": timestamp or _now(),
                "message": {"mid": mid, "text": text},
            }}],
        }],
    }  # fmt: skip
