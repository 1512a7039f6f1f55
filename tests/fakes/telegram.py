"""A fake Telegram Bot API, plus builders for realistic webhook Updates.

    with FakeTelegram() as tg:
        tg.add_bot("123456:ABC", 123456, "shop_bot")
        TelegramClient("123456:ABC", base_url=tg.url).get_me()

Methods answer like Telegram: `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ...}`. Bodies may be JSON, form-encoded or query
parameters, as the real API accepts all three.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.server import FakeServer, Recorded, Reply

_SECRET_RX = re.compile(r"[A-Za-z0-9_-]{1,256}")
_ALLOWED_PORTS = {None, 443, 80, 88, 8443}


@dataclass
class FakeBot:
    """State the fake keeps per bot token."""

    token: str
    id: int
    username: str
    first_name: str = "Test Bot"
    webhook_url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    drop_pending_updates: bool | None = None
    pending_update_count: int = 0
    last_error_message: str | None = None
    last_error_date: int | None = None
    # The real Bot API numbers messages within each chat (1, 2, 3… per chat), not per bot.
    next_message_id: dict[str, int] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered_callbacks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeFile:
    """A file a customer sent (voice note, photo), served by getFile and the file URL."""

    file_id: str
    data: bytes
    file_path: str
    content_type: str = "application/octet-stream"
    file_size: int | None = None  # what getFile reports (None: the real length)
    fail_download: int | None = None  # an HTTP status the download answers instead


def _params(rec: Recorded) -> dict[str, Any]:
    """Request parameters from a JSON body, a form body or the query string."""
    # In form bodies reply_markup and allowed_updates are JSON-encoded strings.
    ctype = rec.headers.get("content-type", "")
    params: dict[str, Any] = {k: v[-1] for k, v in rec.query.items()}
    if rec.body and "json" in ctype:
        body = json.loads(rec.body)
        if isinstance(body, dict):
            params.update(body)
    elif rec.body:
        for k, v in parse_qs(rec.body.decode("utf-8")).items():
            value: Any = v[-1]
            if k in ("reply_markup", "allowed_updates"):
                value = json.loads(value)
            elif value in ("true", "false"):
                value = value == "true"
            params[k] = value
    return params


def _error(code: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


def _ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


class FakeTelegram(FakeServer):
    """Fake Bot API (getMe, set/delete/getWebhookInfo, sendMessage, answerCallbackQuery,
    getFile and the file URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.bots: dict[str, FakeBot] = {}
        self._state_lock = threading.Lock()
        self._send_failures: list[list[Any]] = []  # [chat_id or None, reply, sends to skip]
        self._blocked: set[str] = set()
        self._delays: dict[str, float] = {}  # method -> seconds before answering
        self.files: dict[str, FakeFile] = {}
        self.route("POST", r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", self._handle)
        self.route("GET", r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", self._handle)
        self.route("GET", r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", self._download)

    # --- programming the fake ------------------------------------------------------------
    def add_bot(self, token: str, id: int, username: str, first_name: str = "Test Bot") -> FakeBot:
        """Register a valid token; unknown tokens get 401 Unauthorized on every method."""
        bot = FakeBot(token=token, id=int(id), username=username, first_name=first_name)
        with self._state_lock:
            self.bots[token] = bot
        return bot

    def remove_bot(self, token: str) -> None:
        """Revoke a token (as /revoke in @BotFather does)."""
        with self._state_lock:
            self.bots.pop(token, None)

    def add_file(
        self, file_id: str, data: bytes, *, content_type: str = "application/octet-stream",
        file_size: int | None = None, fail_download: int | None = None,
    ) -> FakeFile:  # fmt: skip
        """A file getFile knows (path voice/file_N.oga) and the file URL serves, with the
        content type the real file server gives (octet-stream for most files)."""
        with self._state_lock:
            path = f"voice/file_{len(self.files) + 1}.oga"
            self.files[file_id] = FakeFile(
                file_id, data, path, content_type, file_size, fail_download
            )
            return self.files[file_id]

    def downloads(self) -> list[Recorded]:
        """Every request for a file's bytes (the URL holds the bot token)."""
        return self.requests_to(r"^/file/bot")

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer `method` (e.g. "getMe") only after `seconds`, to line up concurrent requests."""
        with self._state_lock:
            self._delays[method] = seconds

    def set_webhook_state(
        self,
        token: str,
        *,
        pending_update_count: int | None = None,
        last_error_message: str | None = None,
        url: str | None = None,
    ) -> None:
        """Shape what getWebhookInfo reports (pending updates, last delivery error)."""
        with self._state_lock:
            bot = self.bots[token]
            if pending_update_count is not None:
                bot.pending_update_count = pending_update_count
            if last_error_message is not None:
                bot.last_error_message = last_error_message
                bot.last_error_date = int(time.time())
            if url is not None:
                bot.webhook_url = url

    def fail_send(
        self,
        code: int = 429,
        description: str | None = None,
        *,
        times: int = 1,
        retry_after: int | None = None,
        chat_id: Any = None,
        after: int = 0,
    ) -> None:
        """Fail the next `times` sendMessage calls (to chat_id or any) after `after` successes."""
        if code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
            reply = _error(429, description, retry_after=retry_after)
        elif code == 403:
            reply = _error(403, description or "Forbidden: bot was blocked by the user")
        else:
            reply = _error(code, description or "Bad Request: chat not found")
        with self._state_lock:
            target = None if chat_id is None else str(chat_id)
            self._send_failures.append([target, reply, after])
            self._send_failures.extend([target, reply, 0] for _ in range(times - 1))

    def rate_limit(self, retry_after: int = 1, times: int = 1, chat_id: Any = None) -> None:
        """Shortcut: the next `times` sends answer 429 with parameters.retry_after."""
        self.fail_send(429, times=times, retry_after=retry_after, chat_id=chat_id)

    def block(self, chat_id: Any) -> None:
        """The customer blocked the bot: every send to chat_id answers 403."""
        with self._state_lock:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: Any) -> None:
        """The customer unblocked the bot."""
        with self._state_lock:
            self._blocked.discard(str(chat_id))

    # --- reading what happened -----------------------------------------------------------
    def sent_messages(self, chat_id: Any = None, token: str | None = None) -> list[dict[str, Any]]:
        """Parameters of every successful sendMessage (optionally for one chat or bot)."""
        with self._state_lock:
            bots = [self.bots[token]] if token else list(self.bots.values())
            msgs = [m for b in bots for m in b.sent]
        if chat_id is not None:
            msgs = [m for m in msgs if str(m.get("chat_id")) == str(chat_id)]
        return sorted(msgs, key=lambda m: m["_seq"])

    def sent_texts(self, chat_id: Any = None) -> list[str]:
        """Just the texts of sent_messages()."""
        return [m["text"] for m in self.sent_messages(chat_id)]

    def answered_callbacks(self, token: str | None = None) -> list[dict[str, Any]]:
        """Parameters of every answerCallbackQuery."""
        with self._state_lock:
            bots = [self.bots[token]] if token else list(self.bots.values())
            return [c for b in bots for c in b.answered_callbacks]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every request to a Bot API method (successful or not)."""
        return [_params(r) for r in self.requests if r.path.endswith(f"/{method}")]

    def webhook(self, token: str) -> FakeBot:
        """The bot's state (webhook_url, secret_token, allowed_updates, ...)."""
        return self.bots[token]

    def reset(self) -> None:
        """Forget requests, sent messages, failures and blocks; keep registered bots."""
        super().reset()
        with self._state_lock:
            self._send_failures.clear()
            self._blocked.clear()
            self._delays.clear()
            self.files.clear()
            for bot in self.bots.values():
                bot.sent.clear()
                bot.answered_callbacks.clear()

    # --- the Bot API ---------------------------------------------------------------------
    _seq = itertools.count(1)

    def _handle(self, rec: Recorded, m: re.Match) -> Reply:
        with self._state_lock:
            bot = self.bots.get(m["token"])
        if bot is None:
            return _error(401, "Unauthorized")
        try:
            params = _params(rec)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Bad Request: can't parse request body")
        handler = getattr(self, f"_m_{m['method']}", None)
        if handler is None:
            return _error(404, "Not Found")
        reply = handler(bot, params)
        with self._state_lock:
            reply.delay = self._delays.get(m["method"], reply.delay)
        return reply

    def _m_getMe(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        return _ok(
            {
                "id": bot.id,
                "is_bot": True,
                "first_name": bot.first_name,
                "username": bot.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    def _m_setWebhook(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url:
            match = re.match(r"https://([^/:]+)(?::(\d+))?(/|$)", url)
            if not match:
                return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
            port = int(match[2]) if match[2] else None
            if port not in _ALLOWED_PORTS:
                return _error(
                    400, "Bad Request: bad webhook: Webhook can be set up only on ports "
                    "80, 88, 443 or 8443",
                )  # fmt: skip
        if secret is not None and not _SECRET_RX.fullmatch(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        with self._state_lock:
            bot.webhook_url = url
            bot.secret_token = secret
            allowed = params.get("allowed_updates")
            bot.allowed_updates = list(allowed) if isinstance(allowed, list) else None
            bot.drop_pending_updates = bool(params.get("drop_pending_updates"))
            if bot.drop_pending_updates:
                bot.pending_update_count = 0
        if not url:
            return Reply(200, {"ok": True, "result": True, "description": "Webhook was deleted"})
        return Reply(200, {"ok": True, "result": True, "description": "Webhook was set"})

    def _m_deleteWebhook(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        with self._state_lock:
            was_set = bool(bot.webhook_url)
            bot.webhook_url = ""
            bot.secret_token = None
            if params.get("drop_pending_updates"):
                bot.pending_update_count = 0
        description = "Webhook was deleted" if was_set else "Webhook is already deleted"
        return Reply(200, {"ok": True, "result": True, "description": description})

    def _m_getWebhookInfo(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        info: dict[str, Any] = {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": bot.pending_update_count,
        }
        if bot.webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
            if bot.allowed_updates is not None:
                info["allowed_updates"] = bot.allowed_updates
        if bot.last_error_message:
            info["last_error_date"] = bot.last_error_date
            info["last_error_message"] = bot.last_error_message
        return _ok(info)

    def _m_sendMessage(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            return _error(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        with self._state_lock:
            if str(chat_id) in self._blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            for i, (target, reply, skip) in enumerate(self._send_failures):
                if target is None or target == str(chat_id):
                    if skip:
                        self._send_failures[i][2] -= 1
                        break
                    del self._send_failures[i]
                    return reply
            message_id = bot.next_message_id.get(str(chat_id), 1)
            bot.next_message_id[str(chat_id)] = message_id + 1
            bot.sent.append({**params, "message_id": message_id, "_seq": next(self._seq)})
        result = {
            "message_id": message_id,
            "from": {"id": bot.id, "is_bot": True, "first_name": bot.first_name,
                     "username": bot.username},
            "chat": {"id": _maybe_int(chat_id), "type": "private"},
            "date": int(time.time()),
            "text": text,
        }  # fmt: skip
        if markup is not None:
            result["reply_markup"] = markup
        return _ok(result)

    def _m_getFile(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        with self._state_lock:
            found = self.files.get(str(params.get("file_id") or ""))
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        size = found.file_size if found.file_size is not None else len(found.data)
        if size > 20 * 1024 * 1024:
            return _error(400, "Bad Request: file is too big")
        return _ok({"file_id": found.file_id, "file_unique_id": "AgAD" + found.file_id[-6:],
                    "file_size": size, "file_path": found.file_path})  # fmt: skip

    def _download(self, rec: Recorded, m: re.Match) -> Reply:
        with self._state_lock:
            bot = self.bots.get(m["token"])
            found = next((f for f in self.files.values() if f.file_path == m["path"]), None)
        if bot is None:
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if found is None:
            return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if found.fail_download:
            return Reply(found.fail_download, b"<html>error</html>", {"Content-Type": "text/html"})
        return Reply(200, found.data, {"Content-Type": found.content_type})

    def _m_answerCallbackQuery(self, bot: FakeBot, params: dict[str, Any]) -> Reply:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired "
                               "or query ID is invalid")  # fmt: skip
        with self._state_lock:
            bot.answered_callbacks.append(params)
        return _ok(True)


def _maybe_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# --- Update builders (what Telegram POSTs to our webhook) ----------------------------------------
_update_ids = itertools.count(100_000_001)
_message_ids = itertools.count(1)


def _user(
    user_id: int, first_name: str | None, last_name: str | None, username: str | None,
    language_code: str | None,
) -> dict[str, Any]:  # fmt: skip
    user: dict[str, Any] = {"id": user_id, "is_bot": False}
    if first_name is not None:
        user["first_name"] = first_name
    if last_name is not None:
        user["last_name"] = last_name
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def telegram_message(
    *,
    chat_id: int = 555000111,
    first_name: str | None = "Aziz",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "uz",
    date: int | None = None,
    message_id: int | None = None,
    chat_type: str = "private",
    **content: Any,
) -> dict[str, Any]:
    """A Message object; `content` adds text=, caption=, photo=, voice=, ... as given."""
    user = _user(chat_id, first_name, last_name, username, language_code)
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat.update({k: v for k, v in user.items() if k in ("first_name", "last_name", "username")})
    else:
        chat["title"] = "Some group"
    return {
        "message_id": message_id or next(_message_ids),
        "from": user,
        "chat": chat,
        "date": int(time.time()) if date is None else date,
        **content,
    }


def telegram_update(update_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """An Update with a fresh update_id and the given fields (message=..., callback_query=...)."""
    return {"update_id": next(_update_ids) if update_id is None else update_id, **fields}


def telegram_text_update(
    text: str, chat_id: int = 555000111, *, update_id: int | None = None, **kw: Any
) -> dict[str, Any]:
    """A customer's text message (kw: first_name, last_name, username, language_code, date...)."""
    return telegram_update(update_id, message=telegram_message(chat_id=chat_id, text=text, **kw))


def telegram_start_update(
    chat_id: int = 555000111, payload: str | None = None, *, update_id: int | None = None,
    **kw: Any,
) -> dict[str, Any]:  # fmt: skip
    """/start (optionally with a deep-link payload), with the bot_command entity."""
    text = "/start" + (f" {payload}" if payload else "")
    msg = telegram_message(chat_id=chat_id, text=text, **kw)
    msg["entities"] = [{"offset": 0, "length": 6, "type": "bot_command"}]
    return telegram_update(update_id, message=msg)


_MEDIA_SAMPLES: dict[str, Any] = {
    "photo": [
        {"file_id": "AgAC-small", "file_unique_id": "AQAD1", "file_size": 1200, "width": 90,
         "height": 90},
        {"file_id": "AgAC-big", "file_unique_id": "AQAD2", "file_size": 52000, "width": 800,
         "height": 800},
    ],
    "voice": {"file_id": "AwAC-voice", "file_unique_id": "AgAD3", "duration": 3,
              "mime_type": "audio/ogg", "file_size": 9000},
    "audio": {"file_id": "CQAC-audio", "file_unique_id": "AgAD7", "duration": 4,
              "mime_type": "audio/mpeg", "file_size": 30000, "title": "note"},
    "video_note": {"file_id": "DQAC-round", "file_unique_id": "AgAD8", "length": 240,
                   "duration": 5, "file_size": 90000},
    "sticker": {"file_id": "CAAC-st", "file_unique_id": "AgAD4", "type": "regular", "width": 512,
                "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"},
    "document": {"file_id": "BQAC-doc", "file_unique_id": "AgAD5", "file_name": "price.pdf",
                 "mime_type": "application/pdf", "file_size": 20000},
    "video": {"file_id": "BAAC-vid", "file_unique_id": "AgAD6", "width": 640, "height": 360,
              "duration": 5},
    "location": {"latitude": 41.311081, "longitude": 69.240562},
    "contact": {"phone_number": "+998901234567", "first_name": "Aziz", "user_id": 555000111},
}  # fmt: skip


def telegram_media_update(
    kind: str = "photo",
    chat_id: int = 555000111,
    *,
    caption: str | None = None,
    update_id: int | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A photo / voice / sticker / document / video / location / contact, optional caption."""
    sample = _MEDIA_SAMPLES.get(kind, {"file_id": f"x-{kind}"})
    if "file_id" in kw or "duration" in kw:  # this test's own file (and length)
        extra = {k: kw.pop(k) for k in ("file_id", "duration") if k in kw}
        sample = [{**sample[-1], **extra}] if isinstance(sample, list) else {**sample, **extra}
    content: dict[str, Any] = {kind: sample}
    if caption is not None:
        content["caption"] = caption
    return telegram_update(update_id, message=telegram_message(chat_id=chat_id, **content, **kw))


def telegram_callback_update(
    data: str = "lang:ru",
    chat_id: int = 555000111,
    *,
    callback_id: str | None = None,
    update_id: int | None = None,
    first_name: str | None = "Aziz",
    language_code: str | None = "uz",
) -> dict[str, Any]:
    """A press on an inline button of a message the bot sent."""
    bot_message = telegram_message(chat_id=chat_id, text="Tilni tanlang / Выберите язык")
    bot_message["from"] = {"id": 987654321, "is_bot": True, "first_name": "Shop",
                           "username": "shop_bot"}  # fmt: skip
    user = _user(chat_id, first_name, None, None, language_code)
    return telegram_update(
        update_id,
        callback_query={
            "id": callback_id or f"{chat_id}{next(_message_ids)}",
            "from": user,
            "message": bot_message,
            "chat_instance": "-1234567890123456789",
            "data": data,
        },
    )


def telegram_edited_update(
    text: str, chat_id: int = 555000111, *, update_id: int | None = None
) -> dict[str, Any]:
    """edited_message: not a new question."""
    msg = telegram_message(chat_id=chat_id, text=text)
    msg["edit_date"] = msg["date"] + 5
    return telegram_update(update_id, edited_message=msg)


def telegram_channel_post_update(
    text: str = "News", channel_id: int = -1001234567890, *, update_id: int | None = None
) -> dict[str, Any]:
    """channel_post: not a question."""
    post = {
        "message_id": next(_message_ids),
        "sender_chat": {"id": channel_id, "title": "Shop news", "type": "channel"},
        "chat": {"id": channel_id, "title": "Shop news", "type": "channel"},
        "date": int(time.time()),
        "text": text,
    }
    return telegram_update(update_id, channel_post=post)


def telegram_my_chat_member_update(
    status: str = "kicked",
    chat_id: int = 555000111,
    *,
    bot_id: int = 987654321,
    update_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """my_chat_member: "kicked" when the customer blocks the bot, "member" when unblocked."""
    old = "member" if status == "kicked" else "kicked"
    bot_user = {"id": bot_id, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
    entry = {
        "chat": {"id": chat_id, "first_name": "Aziz", "type": "private"},
        "from": _user(chat_id, "Aziz", None, None, "uz"),
        "date": int(time.time()) if date is None else date,
        "old_chat_member": {"user": bot_user, "status": old},
        "new_chat_member": {"user": bot_user, "status": status},
    }
    if status == "kicked":
        entry["new_chat_member"]["until_date"] = 0
    return telegram_update(update_id, my_chat_member=entry)
