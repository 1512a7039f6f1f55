"""Channels end to end: webhooks in, engine, replies out through fake Telegram and Graph APIs."""

import json
import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from extensions import db
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from models.conversation import Conversation, Message
from models.user import User
from tests.channel_fixtures import (
    APP_SECRET,
    IG_TOKEN,
    TOKEN,
    WA_TOKEN,
    meta_post,
    meta_post_raw,
    tg_post,
)
from tests.engine_helpers import add_kb
from tests.fakes import graph as g
from tests.fakes import telegram as t

OWNER_LANGUAGE = "en"  # the assertions read English text


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Telegram ---------------------------------------------------------------------------------
def test_connect_telegram_validates_stores_encrypted_and_sets_webhook(client, app, fakes, owner):
    tg, _ = fakes
    response = client.post("/channels/telegram", data={"token": TOKEN, "default_language": "ru"})
    assert response.status_code == 302
    with app.app_context():
        bot = db.session.scalar(select(TelegramBot))
        assert bot.username == "gullar_shop_bot" and bot.bot_id == "987654321"
        assert TOKEN not in bot.token_encrypted and bot.token == TOKEN
        secret = bot.secret_token
    hook = tg.webhook(TOKEN)
    assert hook.webhook_url == f"https://bot.example.test/telegram/webhook/{owner.id}"
    assert hook.secret_token == secret
    assert set(hook.allowed_updates) == {"message", "callback_query", "my_chat_member"}
    assert hook.drop_pending_updates is True
    page = client.get("/channels")
    assert b"@gullar_shop_bot" in page.data and TOKEN.encode() not in page.data
    assert TOKEN.split(":")[1].encode() not in page.data


def test_bad_token_and_token_of_another_owner_are_refused(
    client, app, fakes, user_factory, auth, owner
):
    client.set_cookie("lang", "en")
    bad = client.post(
        "/channels/telegram",
        data={
            "token": "123456789:AAH-wrong-token-abcdefghijklmnopqrstuv",
            "default_language": "uz",
        },
        follow_redirects=True,
    )
    assert b"Telegram did not accept this token" in bad.data
    client.post("/channels/telegram", data={"token": TOKEN, "default_language": "uz"})
    other = user_factory(language="en")
    auth.logout()
    auth.login(other.email)
    client.set_cookie("lang", "en")
    again = client.post(
        "/channels/telegram", data={"token": TOKEN, "default_language": "uz"}, follow_redirects=True
    )
    assert b"already connected to another account" in again.data
    assert count(app, TelegramBot) == 1


def test_disconnect_deletes_the_webhook(client, app, fakes, owner):
    tg, _ = fakes
    client.post("/channels/telegram", data={"token": TOKEN, "default_language": "uz"})
    client.post("/channels/telegram/disconnect")
    assert tg.calls("deleteWebhook") and count(app, TelegramBot) == 0


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_telegram_webhook_rejects_a_missing_or_wrong_secret(client, app, fakes, shop, secret):
    response = tg_post(client, shop.id, t.telegram_text_update("Salom"), secret)
    assert response.status_code == 403
    assert count(app, Message) == 0


def test_telegram_webhook_for_unknown_owner_is_403(client, fakes, shop):
    assert (
        tg_post(
            client, shop.id + 999, t.telegram_text_update("Salom"), shop.telegram_secret
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yetkazib berish narxi qancha?", "15 000"),
        ("Етказиб бериш нархи қанча?", "15 000"),
    ],
)
def test_telegram_text_is_answered_from_the_kb(client, app, fakes, shop, text, expected):
    tg, _ = fakes
    response = tg_post(
        client, shop.id, t.telegram_text_update(text, chat_id=4242), shop.telegram_secret
    )
    assert response.status_code == 200
    sent = tg.sent_messages(chat_id=4242)
    assert len(sent) == 1 and expected in sent[0]["text"]
    assert "parse_mode" not in sent[0]
    with app.app_context():
        inbound = db.session.scalar(select(Message).where(Message.direction == "in"))
        assert inbound.status == "answered" and inbound.external_id.isdigit()


def test_redelivered_update_gets_one_reply(client, app, fakes, shop):
    tg, _ = fakes
    update = t.telegram_text_update("Ish vaqti qanday?", chat_id=777)
    for _ in range(3):
        assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert len(tg.sent_messages(chat_id=777)) == 1
    assert count(app, Message, Message.direction == "in") == 1


def test_replies_in_two_chats_of_one_bot_are_each_stored_and_sent_once(client, app, fakes, shop):
    """Bot API message ids are numbered per chat: both chats' first replies are message 1."""
    from datetime import timedelta

    from models.base import utcnow
    from pipeline.recovery import requeue_stale

    tg, _ = fakes
    for chat_id in (1001, 1002):
        update = t.telegram_text_update("Ish vaqti qanday?", chat_id=chat_id)
        assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert [m["message_id"] for m in tg.sent_messages()] == [1, 1]
    with app.app_context():
        inbound = db.session.scalars(select(Message.status).where(Message.direction == "in"))
        assert list(inbound) == ["answered", "answered"]
        keys = db.session.scalars(select(Message.external_id).where(Message.direction == "out"))
        assert sorted(keys) == ["out:1001:1", "out:1002:1"]
        # Nothing is left claimed for the recovery sweep to send again.
        assert requeue_stale(now=utcnow() + timedelta(hours=1))["requeued"] == 0
    assert len(tg.sent_messages(chat_id=1001)) == len(tg.sent_messages(chat_id=1002)) == 1


def test_two_concurrent_deliveries_get_one_reply(app, fakes, shop):
    tg, _ = fakes
    update = t.telegram_text_update("Qaytarish mumkinmi?", chat_id=888)
    results = []

    def deliver():
        results.append(
            tg_post(app.test_client(), shop.id, update, shop.telegram_secret).status_code
        )

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [200] * 4
    assert len(tg.sent_messages(chat_id=888)) == 1
    assert count(app, Message, Message.direction == "in") == 1


def test_start_shows_the_language_picker_and_a_choice_is_remembered(client, app, fakes, shop):
    tg, _ = fakes
    tg_post(client, shop.id, t.telegram_start_update(chat_id=321), shop.telegram_secret)
    greeting = tg.sent_messages(chat_id=321)[-1]
    buttons = [
        b["callback_data"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert set(buttons) == {"lang:uz", "lang:ru", "lang:en"}
    tg_post(
        client,
        shop.id,
        t.telegram_callback_update("lang:ru", chat_id=321, callback_id="cb-1"),
        shop.telegram_secret,
    )
    assert [c["callback_query_id"] for c in tg.answered_callbacks()] == ["cb-1"]
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.language == "ru" and conv.language_chosen
    tg_post(
        client,
        shop.id,
        t.telegram_text_update("Yetkazib berish narxi qancha?", chat_id=321),
        shop.telegram_secret,
    )
    with app.app_context():
        reply = db.session.scalar(
            select(Message).where(Message.direction == "out").order_by(Message.id.desc())
        )
        assert reply.language == "ru"


def test_media_without_text_gets_a_short_reply_and_no_ai(client, app, fakes, shop):
    tg, _ = fakes
    tg_post(client, shop.id, t.telegram_media_update("voice", chat_id=11), shop.telegram_secret)
    texts = tg.sent_texts(chat_id=11)
    assert len(texts) == 1 and "15 000" not in texts[0]
    with app.app_context():
        reply = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert reply.provider is None
    tg_post(
        client,
        shop.id,
        t.telegram_media_update("photo", chat_id=12, caption="Yetkazib berish narxi qancha?"),
        shop.telegram_secret,
    )
    assert "15 000" in tg.sent_texts(chat_id=12)[0]


@pytest.mark.parametrize(
    "update",
    [
        t.telegram_edited_update("Salom", chat_id=13)
        if hasattr(t, "telegram_edited_update")
        else None,
        t.telegram_channel_post_update("Kanal posti"),
    ],
)
def test_edits_and_channel_posts_are_not_answered(client, app, fakes, shop, update):
    tg, _ = fakes
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    assert tg.sent_messages() == [] and count(app, Message) == 0


def test_blocked_bot_is_recorded(client, app, fakes, shop):
    tg_post(
        client,
        shop.id,
        t.telegram_my_chat_member_update("kicked", chat_id=99),
        shop.telegram_secret,
    )
    with app.app_context():
        assert db.session.scalar(select(Conversation)).blocked_at is not None


def test_expired_owner_keeps_messages_but_the_bot_does_not_answer(client, app, fakes, shop):
    tg, _ = fakes
    with app.app_context():
        from datetime import timedelta

        from models.base import utcnow

        db.session.get(User, shop.id).trial_ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    tg_post(client, shop.id, t.telegram_text_update("Salom", chat_id=5), shop.telegram_secret)
    assert tg.sent_messages() == []
    with app.app_context():
        assert db.session.scalar(select(Message)).status == "not_served"


def test_messages_older_than_the_limit_are_stored_not_answered(client, app, fakes, shop):
    tg, _ = fakes
    old = t.telegram_text_update("Salom", chat_id=6, date=int(time.time()) - 3600)
    tg_post(client, shop.id, old, shop.telegram_secret)
    assert tg.sent_messages() == []
    with app.app_context():
        assert db.session.scalar(select(Message)).status == "too_old"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b"", b'"text"', b"[" * 100_000 + b"]" * 100_000],  # nested: issue 14
    ids=["broken", "list", "empty", "string", "deeply-nested"],
)
def test_malformed_telegram_body_is_400_never_500(client, fakes, shop, body):
    response = client.post(
        f"/telegram/webhook/{shop.id}",
        data=body,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": shop.telegram_secret},
    )
    assert response.status_code == 400


def test_long_answers_are_split_for_telegram(client, app, fakes, shop):
    tg, _ = fakes
    with app.app_context():
        from pipeline.send import send_reply

        conv = Conversation.get_or_create(shop.id, "telegram", "987654321", "31337")
        db.session.flush()
        msg = send_reply(conv, ("Uzun javob. " * 800).strip())
        db.session.commit()
        assert msg.status == "sent"
    parts = tg.sent_texts(chat_id=31337)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)


# --- WhatsApp ---------------------------------------------------------------------------------
def test_whatsapp_verification_handshake(client, fakes, shop):
    ok = client.get(
        "/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=verify-wa-123&hub.challenge=1158201444"
    )
    assert ok.status_code == 200 and ok.data == b"1158201444"
    assert (
        client.get(
            "/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"
        ).status_code
        == 403
    )
    assert client.get("/whatsapp/webhook").status_code == 403


def test_whatsapp_text_is_answered_in_the_detected_language(client, app, fakes, shop):
    _, graph = fakes
    assert (
        meta_post(
            client, "whatsapp", g.whatsapp_text_payload("Сколько стоит доставка по Ташкенту?")
        ).status_code
        == 200
    )
    sent = graph.whatsapp_sent()
    assert len(sent) == 1 and "15 000 сумов" in sent[0]["text"]["body"]
    assert sent[0]["to"] == g.DEFAULT_WA_ID
    assert (
        sent[0]["_path"]
        == f"/{app.config['GRAPH_API_VERSION']}/{g.DEFAULT_PHONE_NUMBER_ID}/messages"
    )
    with app.app_context():
        reply = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert reply.language == "ru" and reply.external_id.startswith("wamid")


@pytest.mark.parametrize(
    "headers", [{}, {"X-Hub-Signature-256": "sha256=deadbeef"}, {"X-Hub-Signature-256": "garbage"}]
)
def test_whatsapp_bad_signature_is_403_and_nothing_is_stored(client, app, fakes, shop, headers):
    body = json.dumps(g.whatsapp_text_payload("Salom")).encode()
    response = client.post(
        "/whatsapp/webhook", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 403 and count(app, Message) == 0


def test_signature_with_another_tenants_secret_is_403(client, app, fakes, shop):
    assert (
        meta_post(client, "whatsapp", g.whatsapp_text_payload("Salom"), secret="f" * 32).status_code
        == 403
    )


def test_whatsapp_statuses_update_our_message_and_are_never_answered(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "whatsapp", g.whatsapp_text_payload("Ish vaqti qanday?"))
    with app.app_context():
        wamid = db.session.scalar(select(Message.external_id).where(Message.direction == "out"))
    for status in ("delivered", "read", "delivered"):
        meta_post(client, "whatsapp", g.whatsapp_status_payload(wamid, status))
    with app.app_context():
        assert (
            db.session.scalar(select(Message.status).where(Message.external_id == wamid)) == "read"
        )
    meta_post(client, "whatsapp", g.whatsapp_status_payload(wamid, "failed", error_code=131047))
    with app.app_context():
        msg = db.session.scalar(select(Message).where(Message.external_id == wamid))
        assert msg.status == "failed" and msg.error
    assert len(graph.whatsapp_sent()) == 1


def test_whatsapp_batch_of_several_entries_and_changes(client, app, fakes, shop):
    _, graph = fakes
    batch = g.merge_payloads(
        g.whatsapp_text_payload("Yetkazib berish narxi qancha?", wa_id="998901111111"),
        g.whatsapp_batch(
            g.whatsapp_text_payload("Do you have a warranty?", wa_id="998902222222"),
            g.whatsapp_text_payload("Ish vaqti qanday?", wa_id="998903333333"),
        ),
    )
    assert meta_post(client, "whatsapp", batch).status_code == 200
    assert {m["to"] for m in graph.whatsapp_sent()} == {
        "998901111111",
        "998902222222",
        "998903333333",
    }
    assert count(app, Conversation) == 3


def test_whatsapp_reactions_and_unknown_numbers(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "whatsapp", g.whatsapp_reaction_payload())
    unknown = g.whatsapp_text_payload("Salom", phone_number_id="999999999999")
    assert meta_post(client, "whatsapp", unknown).status_code == 200
    assert graph.whatsapp_sent() == [] and count(app, Message) == 0


@pytest.mark.parametrize("platform", ["whatsapp", "instagram"])
@pytest.mark.parametrize(
    "body", [b"{broken", b"[]", b'{"entry": "x"}', b'{"entry": [{"changes": [null]}]}']
)
def test_malformed_meta_bodies_never_500(client, fakes, shop, platform, body):
    response = meta_post_raw(client, platform, body)
    assert response.status_code in (200, 400)


def test_whatsapp_media_gets_text_only_reply(client, fakes, shop):
    _, graph = fakes
    meta_post(client, "whatsapp", g.whatsapp_media_payload("audio"))
    assert len(graph.whatsapp_sent()) == 1


# --- Instagram --------------------------------------------------------------------------------
def test_instagram_text_answer_and_echo_of_our_reply_is_ignored(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_text_payload("Do you have a warranty?"))
    sent = graph.instagram_sent()
    assert len(sent) == 1 and "warranty" in sent[0]["message"]["text"].lower()
    assert sent[0]["_path"] == f"/{app.config['GRAPH_API_VERSION']}/me/messages"
    with app.app_context():
        our_mid = db.session.scalar(select(Message.external_id).where(Message.direction == "out"))
    meta_post(client, "instagram", g.instagram_echo_payload("(our reply)", mid=our_mid))
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert not conv.is_paused()
    assert len(graph.instagram_sent()) == 1


def test_echo_from_the_owners_app_pauses_the_bot(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_echo_payload("Assalomu alaykum, men egasiman"))
    meta_post(client, "instagram", g.instagram_text_payload("Yetkazib berish narxi qancha?"))
    assert graph.instagram_sent() == []
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert conv.is_paused()
        assert (
            db.session.scalar(select(Message.status).where(Message.direction == "in")) == "paused"
        )


def test_instagram_changes_style_reads_and_reactions(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "instagram", g.instagram_read_payload())
    meta_post(client, "instagram", g.instagram_reaction_payload())
    assert count(app, Message) == 0
    payload = g.instagram_changes_payload(
        "Ish vaqti qanday?",
        account_id=g.DEFAULT_IG_ACCOUNT_ID,
        sender_id="555",
        recipient_id=g.DEFAULT_IG_ACCOUNT_ID,
    )
    assert meta_post(client, "instagram", payload).status_code == 200
    assert len(graph.instagram_sent()) == 1


def test_instagram_verification(client, fakes, shop):
    assert (
        client.get(
            "/instagram/webhook?hub.mode=subscribe&hub.verify_token=verify-ig-456&hub.challenge=42"
        ).data
        == b"42"
    )
    assert (
        client.get(
            "/instagram/webhook?hub.mode=subscribe&hub.verify_token=verify-wa-123&hub.challenge=42"
        ).status_code
        == 403
    )


# --- isolation, conversations page, takeover --------------------------------------------------
def test_a_message_for_owner_a_never_reaches_owner_b(client, app, auth, fakes, shop, user_factory):
    tg, _ = fakes
    other = user_factory()
    with app.app_context():
        add_kb(other.id, "Owner B sells bicycles. Bicycle delivery costs 99 000 soum.")
    tg_post(
        client,
        shop.id,
        t.telegram_text_update("Yetkazib berish narxi qancha?", chat_id=1),
        shop.telegram_secret,
    )
    assert "99 000" not in tg.sent_texts()[0]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.user_id == other.id)
            )
            == 0
        )
        conv_id = db.session.scalar(select(Conversation.id))
    auth.logout()
    auth.login(other.email)
    assert client.get(f"/conversations/{conv_id}").status_code == 404
    assert b"conversation-list" not in client.get("/conversations").data
    assert client.post(f"/conversations/{conv_id}/reply", data={"text": "hi"}).status_code == 404


def test_owner_sees_conversations_and_replies_by_hand(client, app, fakes, shop):
    tg, _ = fakes
    tg_post(
        client,
        shop.id,
        t.telegram_text_update("<b>Salom</b> <script>x</script>", chat_id=1, first_name="Ali"),
        shop.telegram_secret,
    )
    listing = client.get("/conversations?platform=telegram&q=Salom")
    assert b"conversation-list" in listing.data and b"Ali" in listing.data
    assert b"conversation-list" not in client.get("/conversations?platform=whatsapp").data
    with app.app_context():
        conv_id = db.session.scalar(select(Conversation.id))
    view = client.get(f"/conversations/{conv_id}")
    assert b"&lt;script&gt;" in view.data and b"<script>x" not in view.data
    client.post(f"/conversations/{conv_id}/reply", data={"text": "Men egasiman, yordam beraman"})
    assert tg.sent_texts(chat_id=1)[-1] == "Men egasiman, yordam beraman"
    with app.app_context():
        conv = db.session.get(Conversation, conv_id)
        assert conv.is_paused()
    tg_post(client, shop.id, t.telegram_text_update("Yana savol", chat_id=1), shop.telegram_secret)
    assert len(tg.sent_texts(chat_id=1)) == 2  # the bot stayed quiet
    client.post(f"/conversations/{conv_id}/resume")
    tg_post(client, shop.id, t.telegram_text_update("Ish vaqti?", chat_id=1), shop.telegram_secret)
    assert len(tg.sent_texts(chat_id=1)) == 3


def test_reply_outside_the_24_hour_window_is_refused(client, app, fakes, shop):
    _, graph = fakes
    meta_post(client, "whatsapp", g.whatsapp_text_payload("Salom"))
    with app.app_context():
        from datetime import timedelta

        conv = db.session.scalar(select(Conversation))
        conv.last_inbound_at = conv.last_inbound_at - timedelta(hours=25)
        db.session.commit()
        conv_id = conv.id
    sent_before = len(graph.whatsapp_sent())
    client.set_cookie("lang", "en")
    page = client.post(
        f"/conversations/{conv_id}/reply", data={"text": "Hello"}, follow_redirects=True
    )
    assert b"more than 24 hours ago" in page.data
    assert len(graph.whatsapp_sent()) == sent_before


def test_check_connection_calls_graph(client, app, fakes, shop):
    client.set_cookie("lang", "en")
    page = client.post("/channels/whatsapp/check", follow_redirects=True)
    assert b"Connection works" in page.data
    page = client.get("/channels")
    assert WA_TOKEN.encode() not in page.data and APP_SECRET.encode() not in page.data
    assert (
        b"verify-wa-123" in page.data and b"https://bot.example.test/whatsapp/webhook" in page.data
    )


def test_save_whatsapp_and_instagram_settings_through_the_page(
    client, app, fakes, owner, auth, user_factory
):
    form = {
        "phone_number_id": g.DEFAULT_PHONE_NUMBER_ID,
        "waba_id": "102290129340398",
        "app_id": "55501",
    }
    client.set_cookie("lang", "en")
    missing = client.post("/channels/whatsapp", data=form, follow_redirects=True)
    assert b"Enter the access token and the app secret." in missing.data
    assert count(app, WhatsAppAccount) == 0
    client.post(
        "/channels/whatsapp", data={**form, "access_token": WA_TOKEN, "app_secret": APP_SECRET}
    )
    client.post("/channels/whatsapp", data={**form, "app_id": "55502"})  # blank secrets: kept
    with app.app_context():
        wa = db.session.scalar(select(WhatsAppAccount))
        assert (wa.app_id, wa.access_token, wa.app_secret) == ("55502", WA_TOKEN, APP_SECRET)
        assert WA_TOKEN not in wa.access_token_encrypted and wa.verify_token.startswith("bb_")
    client.post(
        "/channels/instagram",
        data={
            "ig_account_id": g.DEFAULT_IG_ACCOUNT_ID,
            "page_id": "",
            "access_token": IG_TOKEN,
            "app_secret": APP_SECRET,
        },
    )
    with app.app_context():
        ig = db.session.scalar(select(InstagramAccount))
        assert ig.page_id is None and ig.access_token == IG_TOKEN
    assert (
        b"Connection works" in client.post("/channels/instagram/check", follow_redirects=True).data
    )

    other = user_factory(language="en")
    auth.logout()
    auth.login(other.email)
    taken = client.post(
        "/channels/whatsapp",
        data={**form, "access_token": WA_TOKEN, "app_secret": APP_SECRET},
        follow_redirects=True,
    )
    assert b"already connected to another BilimBot account" in taken.data
    assert count(app, WhatsAppAccount) == 1
    bad = client.post(
        "/channels/whatsapp", data={**form, "phone_number_id": "abc"}, follow_redirects=True
    )
    assert b"numeric id" in bad.data


# --- what the shared Meta webhooks log when they cannot act -----------------------------------
WEBHOOK_LOGGER = "routes.messaging_routes.webhooks"


def _webhook_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == WEBHOOK_LOGGER)


@pytest.mark.parametrize("platform", ["whatsapp", "instagram"])
@pytest.mark.parametrize(
    "body,expected",
    [
        (b'{"entry": [{"changes": [{"value": "Salom, narxi qancha', "not a JSON object"),
        (b'["Salom, narxi qancha?"]', "not a JSON object (list"),
        (b'{"object": "page", "entry": "Salom, narxi qancha?"}', "unexpected shape"),
        (b'{"hello": "Salom, narxi qancha?"}', "unexpected shape"),
    ],
)
def test_meta_webhooks_log_bodies_they_cannot_use_without_the_body(
    client, fakes, shop, caplog, platform, body, expected
):
    with caplog.at_level(logging.INFO, logger=WEBHOOK_LOGGER):
        response = meta_post_raw(client, platform, body)
    assert response.status_code in (200, 400)
    logged = _webhook_log(caplog)
    assert expected in logged
    assert "Salom" not in logged and APP_SECRET not in logged


@pytest.mark.parametrize(
    "platform,payload",
    [
        ("whatsapp", g.whatsapp_text_payload("Salom", phone_number_id="999999999999")),
        ("instagram", g.instagram_text_payload("Salom", account_id="17849999999999999")),
    ],
)
def test_meta_webhooks_log_unknown_accounts(client, fakes, shop, caplog, platform, payload):
    with caplog.at_level(logging.INFO, logger=WEBHOOK_LOGGER):
        assert meta_post(client, platform, payload, secret="f" * 32).status_code == 200
    logged = _webhook_log(caplog)
    assert "unknown account" in logged and "Salom" not in logged


def test_meta_webhook_logs_a_bad_signature_without_it(client, fakes, shop, caplog):
    payload = g.whatsapp_text_payload("Salom")
    body, headers = g.signed(payload, "f" * 32)
    with caplog.at_level(logging.INFO, logger=WEBHOOK_LOGGER):
        assert client.post("/whatsapp/webhook", data=body, headers=headers).status_code == 403
    logged = _webhook_log(caplog)
    assert "wrong signature" in logged and g.DEFAULT_PHONE_NUMBER_ID in logged
    assert headers["X-Hub-Signature-256"][7:] not in logged and "Salom" not in logged


def test_malformed_telegram_body_is_logged(client, fakes, shop, caplog):
    with caplog.at_level(logging.INFO, logger=WEBHOOK_LOGGER):
        response = client.post(
            f"/telegram/webhook/{shop.id}",
            data=b"{not json",
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": shop.telegram_secret},
        )
    assert response.status_code == 400
    assert "telegram webhook: body is not a JSON object" in _webhook_log(caplog)


# --- Meta webhooks: duplicates, races, signatures, odd items, batches ---------------------------
def test_whatsapp_redelivered_wamid_gets_one_reply(client, app, fakes, shop):
    _, graph = fakes
    payload = g.whatsapp_text_payload("Ish vaqti qanday?", wa_id="998901112233")
    for _ in range(3):
        assert meta_post(client, "whatsapp", payload).status_code == 200
    assert len(graph.whatsapp_sent(to="998901112233")) == 1
    assert count(app, Message, Message.direction == "in") == 1


def test_instagram_redelivered_mid_gets_one_reply(client, app, fakes, shop):
    _, graph = fakes
    payload = g.instagram_text_payload("Ish vaqti qanday?", sender_id="7000000000000042")
    for _ in range(3):
        assert meta_post(client, "instagram", payload).status_code == 200
    assert len(graph.instagram_sent(recipient_id="7000000000000042")) == 1
    assert count(app, Message, Message.direction == "in") == 1


def test_two_concurrent_whatsapp_deliveries_get_one_reply(app, fakes, shop):
    _, graph = fakes
    body, headers = g.signed(g.whatsapp_text_payload("Qaytarish mumkinmi?"), APP_SECRET)
    results = []
    start = threading.Barrier(4)

    def deliver():
        http = app.test_client()
        start.wait()
        results.append(http.post("/whatsapp/webhook", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [200] * 4
    assert len(graph.whatsapp_sent()) == 1
    assert count(app, Message, Message.direction == "in") == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Hub-Signature-256": "sha256=" + "0" * 64}, {"X-Hub-Signature-256": "garbage"}],
    ids=["missing", "wrong", "garbage"],
)
def test_instagram_bad_signature_is_403_and_nothing_is_stored(client, app, fakes, shop, headers):
    _, graph = fakes
    body = json.dumps(g.instagram_text_payload("Salom")).encode()
    response = client.post(
        "/instagram/webhook", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 403
    assert count(app, Message) == 0 and count(app, Conversation) == 0
    assert graph.instagram_sent() == []


def test_instagram_signed_with_another_secret_is_403(client, app, fakes, shop):
    payload = g.instagram_text_payload("Salom")
    assert meta_post(client, "instagram", payload, secret="f" * 32).status_code == 403
    assert count(app, Message) == 0


def _text_only(app, language, script="latn"):
    from pipeline import replies

    with app.test_request_context():
        return replies.text_only(language, script)


def test_instagram_media_without_text_gets_the_text_only_reply(client, app, fakes, shop):
    _, graph = fakes
    for sender, kind in (("7000000000000101", "image"), ("7000000000000102", "audio")):
        meta_post(client, "instagram", g.instagram_attachment_payload(kind, sender_id=sender))
        assert graph.instagram_texts(sender) == [_text_only(app, "uz")]
    with app.app_context():
        inbound = db.session.scalars(select(Message).where(Message.direction == "in")).all()
        assert [m.kind for m in inbound] == ["media", "media"]
        replies = db.session.scalars(select(Message).where(Message.direction == "out")).all()
        assert len(replies) == 2 and all(r.provider is None for r in replies)


@pytest.mark.parametrize(
    "payload",
    [
        g.instagram_edit_payload("Yetkazib berish narxi qancha?"),
        g.instagram_deleted_payload(),
        g.instagram_read_payload(),
        g.instagram_reaction_payload(),
    ],
    ids=["message_edit", "is_deleted", "read", "reaction"],
)
def test_instagram_edits_deletions_reads_and_reactions_are_ignored(
    client, app, fakes, shop, payload
):
    _, graph = fakes
    assert meta_post(client, "instagram", payload).status_code == 200
    assert graph.instagram_sent() == []
    assert count(app, Message) == 0 and count(app, Conversation) == 0


def test_instagram_batch_of_several_entries(client, app, fakes, shop):
    _, graph = fakes
    first = g.instagram_envelope(
        g.instagram_item(
            sender_id="701", message={"mid": g.new_mid(), "text": "Ish vaqti qanday?"}
        ),
        g.instagram_item(sender_id="702", read={"mid": g.new_mid()}),
        g.instagram_item(
            sender_id="703",
            message={"mid": g.new_mid(), "attachments": [{"type": "image", "payload": {}}]},
        ),
    )
    batch = g.merge_payloads(
        first,
        g.instagram_text_payload("Do you have a warranty?", sender_id="704"),
        g.instagram_reaction_payload(sender_id="705"),
        g.instagram_edit_payload("edited", sender_id="706"),
        g.instagram_text_payload("Salom", account_id="17849999999999999", sender_id="707"),
    )
    assert meta_post(client, "instagram", batch).status_code == 200
    sent = {m["recipient"]["id"]: m["message"]["text"] for m in graph.instagram_sent()}
    assert set(sent) == {"701", "703", "704"}
    assert "9:00" in sent["701"] and "warranty" in sent["704"].lower()
    assert sent["703"] == _text_only(app, "uz")
    assert count(app, Conversation) == 3 and count(app, Message, Message.direction == "in") == 3


# --- Uzbek through the WhatsApp webhook --------------------------------------------------------
@pytest.fixture
def english_default(app, shop):
    """The owner's default language is English, so Uzbek can only come from detection."""
    from models.ai_config import AIConfig

    with app.app_context():
        AIConfig.for_user(shop.id).default_language = "en"
        db.session.commit()
    return shop


def _found_intro(app, language, script="latn"):
    from pipeline import replies

    with app.test_request_context():
        return replies.found_intro(language, script)


@pytest.mark.parametrize(
    "text,script",
    [
        ("Toshkent bo‘ylab yetkazib berish narxi qancha?", "latn"),  # U+2018
        ("Toshkent boʻylab yetkazib berish narxi qancha?", "latn"),  # U+02BB, the official one
        ("Toshkent bo'ylab yetkazib berish narxi qancha?", "latn"),  # ASCII apostrophe
        ("Toshkent bo`ylab yetkazib berish narxi qancha?", "latn"),  # backtick
        ("Toshkent bo’ylab yetkazib berish narxi qancha? Og’ir yuk ham bormi?", "latn"),  # U+2019
        ("Тошкент бўйлаб етказиб бериш нархи қанча?", "cyrl"),
    ],
)
def test_whatsapp_uzbek_is_detected_and_answered_in_uzbek(
    client, app, fakes, english_default, text, script
):
    _, graph = fakes
    assert meta_post(client, "whatsapp", g.whatsapp_text_payload(text)).status_code == 200
    with app.app_context():
        conv = db.session.scalar(select(Conversation))
        assert (conv.language, conv.script) == ("uz", script)
        reply = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert reply.language == "uz" and reply.status == "sent"
    body = graph.whatsapp_texts()
    assert len(body) == 1 and "15 000" in body[0]
    assert body[0].startswith(_found_intro(app, "uz", script))
    assert not body[0].startswith(_found_intro(app, "en"))


def test_whatsapp_uzbek_media_reply_follows_the_conversation_language(
    client, app, fakes, english_default
):
    _, graph = fakes
    meta_post(client, "whatsapp", g.whatsapp_text_payload("Ish vaqti qanday, do‘kon ochiqmi?"))
    meta_post(client, "whatsapp", g.whatsapp_media_payload("audio"))
    texts = graph.whatsapp_texts()
    assert len(texts) == 2 and texts[1] == _text_only(app, "uz")


# --- tenant isolation on the shared Meta webhooks ----------------------------------------------
B_PHONE_ID = "106540352249999"
B_IG_ID = "17841400000000002"
B_WA_TOKEN = "EAAG-whatsapp-owner-b-token-111111111111"
B_IG_TOKEN = "EAAG-instagram-owner-b-token-22222222222"
B_SECRET = "fedcba9876543210fedcba9876543210"
B_KB = (
    "Yetkazib berish: velosipedlarni yetkazib berish narxi 99 000 so‘m.\n\n"
    "Ish vaqti: velosiped do‘konimiz soat 7:00 dan 23:00 gacha ishlaydi.\n\n"
    "Warranty: our bicycles come with a five-year frame warranty."
)


@pytest.fixture
def rival(app, fakes, shop, user_factory):
    """Owner B: another shop with its own WhatsApp number, Instagram account and secrets."""
    _, graph = fakes
    graph.add_whatsapp_number(B_PHONE_ID, B_WA_TOKEN)
    graph.add_instagram_account(B_IG_ID, B_IG_TOKEN)
    other = user_factory(language="en")
    with app.app_context():
        add_kb(other.id, B_KB)
        wa = WhatsAppAccount(
            user_id=other.id, phone_number_id=B_PHONE_ID, waba_id="3", app_id="4",
            verify_token="verify-wa-b",
        )  # fmt: skip
        wa.set_secrets(B_WA_TOKEN, B_SECRET)
        ig = InstagramAccount(user_id=other.id, ig_account_id=B_IG_ID, verify_token="verify-ig-b")
        ig.set_secrets(B_IG_TOKEN, B_SECRET)
        db.session.add_all([wa, ig])
        db.session.commit()
    return other


def _owned_by(app, user_id):
    with app.app_context():
        convs = db.session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.user_id == user_id)
        )
        msgs = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.user_id == user_id)
        )
    return convs, msgs


def _b_sees_nothing(client, app, auth, rival, *secrets_):
    with app.app_context():
        conv_ids = db.session.scalars(select(Conversation.id)).all()
    auth.logout()
    auth.login(rival.email)
    listing = client.get("/conversations")
    assert listing.status_code == 200 and b"conversation-list" not in listing.data
    for text in secrets_:
        assert text.encode() not in listing.data
    for conv_id in conv_ids:
        assert client.get(f"/conversations/{conv_id}").status_code == 404


@pytest.mark.parametrize("secret", [APP_SECRET, B_SECRET], ids=["signed-by-a", "signed-by-b"])
def test_whatsapp_message_for_owner_a_reaches_only_owner_a(
    client, app, auth, fakes, shop, rival, secret
):
    _, graph = fakes
    payload = g.whatsapp_text_payload("Yetkazib berish narxi qancha?", wa_id="998905550001")
    response = meta_post(client, "whatsapp", payload, secret=secret)
    if secret == B_SECRET:  # B's secret cannot speak for A's number
        assert response.status_code == 403
        assert graph.requests_to("/messages$") == [] and _owned_by(app, shop.id) == (0, 0)
    else:
        assert response.status_code == 200
        calls = graph.requests_to("/messages$")
        assert [c.path for c in calls] == [f"/v26.0/{g.DEFAULT_PHONE_NUMBER_ID}/messages"]
        assert calls[0].headers["authorization"] == f"Bearer {WA_TOKEN}"
        (text,) = graph.whatsapp_texts(to="998905550001")
        assert "15 000" in text and "99 000" not in text  # A's knowledge base, not B's
        assert _owned_by(app, shop.id) == (1, 2)
    assert graph.whatsapp_sent(B_PHONE_ID) == []
    assert _owned_by(app, rival.id) == (0, 0)
    _b_sees_nothing(client, app, auth, rival, "998905550001", "Yetkazib berish narxi")


@pytest.mark.parametrize("secret", [APP_SECRET, B_SECRET], ids=["signed-by-a", "signed-by-b"])
def test_instagram_message_for_owner_a_reaches_only_owner_a(
    client, app, auth, fakes, shop, rival, secret
):
    _, graph = fakes
    payload = g.instagram_text_payload("Do you have a warranty?", sender_id="7000000000005501")
    response = meta_post(client, "instagram", payload, secret=secret)
    if secret == B_SECRET:
        assert response.status_code == 403
        assert graph.requests_to("/messages$") == [] and _owned_by(app, shop.id) == (0, 0)
    else:
        assert response.status_code == 200
        calls = graph.requests_to("/messages$")
        assert [c.path for c in calls] == ["/v26.0/me/messages"]
        assert calls[0].headers["authorization"] == f"Bearer {IG_TOKEN}"
        (text,) = graph.instagram_texts("7000000000005501")
        assert "one-year" in text and "five-year" not in text
        assert _owned_by(app, shop.id) == (1, 2)
    assert graph.instagram_sent(B_IG_ID) == []
    assert _owned_by(app, rival.id) == (0, 0)
    _b_sees_nothing(client, app, auth, rival, "7000000000005501", "warranty")


def test_a_batch_signed_by_a_never_acts_for_b(client, app, fakes, shop, rival):
    """Entries for B's number inside a body signed with A's secret are not B's: dropped."""
    _, graph = fakes
    batch = g.merge_payloads(
        g.whatsapp_text_payload("Ish vaqti qanday?", wa_id="998905550002"),
        g.whatsapp_text_payload(
            "Ish vaqti qanday?", wa_id="998905550003", phone_number_id=B_PHONE_ID
        ),
    )
    assert meta_post(client, "whatsapp", batch, secret=APP_SECRET).status_code == 200
    assert [m["to"] for m in graph.whatsapp_sent()] == ["998905550002"]
    assert graph.whatsapp_sent(B_PHONE_ID) == [] and _owned_by(app, rival.id) == (0, 0)
    assert meta_post(client, "whatsapp", batch, secret=B_SECRET).status_code == 200
    assert [m["to"] for m in graph.whatsapp_sent(B_PHONE_ID)] == ["998905550003"]
    assert "7:00" in graph.whatsapp_texts(to="998905550003")[0]
    assert _owned_by(app, rival.id) == (1, 2) and _owned_by(app, shop.id) == (1, 2)
