"""Linking the owner's Telegram chat: a one-time, expiring deep link to the owner's own bot; the
owner's chat kept out of the customer pipeline; someone else's code links nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from models.base import utcnow
from models.channel import TelegramBot
from models.conversation import Conversation
from models.owner_alerts import AlertSettings, code_hash
from tests.channel_fixtures import tg_post
from tests.fakes import telegram as t
from tests.outreach.alert_helpers import (
    CUSTOMER_CHAT,
    OWNER_CHAT,
    alerts,
    customer_rows,
    link,
    new_link,
    owner_texts,
    settings,
    start,
)

OWNER_LANGUAGE = "en"
STRANGER = 424242


def test_without_a_bot_the_page_explains_one_is_needed(client, owner):
    page = client.get("/auth/account").get_data(as_text=True)
    assert "Connect one first on the Channels page" in page
    assert 'id="alerts-link-form"' not in page
    response = client.post("/account/alerts/link", follow_redirects=True)
    assert "Connect a Telegram bot on the Channels page first." in response.get_data(as_text=True)
    assert settings(client.application, owner.id) is None


def test_the_deep_link_links_the_owners_chat_once(client, app, fakes, shop):
    tg, _ = fakes
    bot, code = new_link(client)
    assert bot == "gullar_shop_bot" and code.startswith("al_")
    row = settings(app, shop.id)
    assert row.code_hash == code_hash(code) and code not in (row.code_hash or "")
    assert not row.linked

    start(client, shop, code)
    row = settings(app, shop.id)
    assert row.chat_id == str(OWNER_CHAT) and row.bot_id == "987654321" and row.code_hash is None
    assert "Alerts are connected" in owner_texts(tg)[-1]
    assert customer_rows(app, str(OWNER_CHAT)) == 0  # the /start never became a customer's

    # Used once: a stranger with the same code links nothing and hears nothing about why.
    start(client, shop, code, chat_id=STRANGER, language_code="ru")
    assert settings(app, shop.id).chat_id == str(OWNER_CHAT)
    assert owner_texts(tg, STRANGER) == [
        "Эта ссылка больше не действует. Откройте новую на странице аккаунта в BilimBot."
    ]
    assert customer_rows(app, str(STRANGER)) == 0

    page = client.get("/auth/account").get_data(as_text=True)
    assert 'id="alerts-linked"' in page and "@gullar_shop_bot" in page
    assert code not in page


def test_an_expired_code_links_nothing(client, app, fakes, shop):
    tg, _ = fakes
    _bot, code = new_link(client)
    with app.app_context():
        AlertSettings.find(shop.id).code_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    start(client, shop, code)  # the owner's Telegram is in Uzbek: so is the answer
    assert not settings(app, shop.id).linked
    assert owner_texts(tg)[-1].startswith("Bu havola endi ishlamaydi.")
    assert 'id="alerts-link"' not in client.get("/auth/account").get_data(as_text=True)


def test_a_new_link_replaces_the_old_one(client, app, fakes, shop):
    _bot, first = new_link(client)
    _bot, second = new_link(client)
    assert first != second
    start(client, shop, first)
    assert not settings(app, shop.id).linked
    start(client, shop, second)
    assert settings(app, shop.id).linked


def test_another_owners_code_links_nothing_on_this_bot(client, app, fakes, shop, user_factory):
    """Owner B's code sent to owner A's bot links neither A nor B."""
    other = user_factory(language="en")
    with app.app_context():
        bot = TelegramBot(user_id=other.id, bot_id="111222333", username="other_bot")
        bot.set_token("111222333:AAH-other-token-abcdefghijklmnopqrstuv")
        db.session.add(bot)
        code = AlertSettings.for_user(other.id).new_code()
        db.session.commit()
    start(client, shop, code, chat_id=STRANGER)
    assert settings(app, shop.id) is None or not settings(app, shop.id).linked
    assert not settings(app, other.id).linked
    assert customer_rows(app, str(STRANGER)) == 0


def test_the_owners_own_messages_never_reach_the_customer_pipeline(client, app, fakes, shop):
    tg, _ = fakes
    link(client, shop)
    update = t.telegram_text_update("Narxlar qancha?", chat_id=OWNER_CHAT)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    tg_post(client, shop.id, update, shop.telegram_secret)  # Telegram redelivers it
    assert customer_rows(app, str(OWNER_CHAT)) == 0
    helps = [m for m in owner_texts(tg) if m.startswith("To answer a customer, reply")]
    assert len(helps) == 1  # once, though delivered twice
    # A customer of the same bot is still answered as before.
    tg_post(
        client,
        shop.id,
        t.telegram_text_update("Salom", chat_id=CUSTOMER_CHAT),
        shop.telegram_secret,
    )
    assert customer_rows(app, str(CUSTOMER_CHAT)) == 2 and owner_texts(tg, CUSTOMER_CHAT)


def test_unlinking_is_one_button_and_stops_the_interception(client, app, fakes, shop):
    link(client, shop)
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'id="alerts-unlink-form"' in page
    response = client.post("/account/alerts/unlink", follow_redirects=True)
    assert "Telegram alerts are off" in response.get_data(as_text=True)
    assert not settings(app, shop.id).linked
    tg_post(
        client, shop.id, t.telegram_text_update("Salom", chat_id=OWNER_CHAT), shop.telegram_secret
    )
    assert customer_rows(app, str(OWNER_CHAT)) == 2  # now just a customer of the bot


def test_alert_settings_are_saved_and_a_bad_time_is_a_clear_error(client, app, fakes, shop):
    data = {"notify_customers": "y", "notify_plan": "y", "summary_time": "08:30"}
    response = client.post("/account/alerts/settings", data=data, follow_redirects=True)
    assert "Your alert settings have been saved." in response.get_data(as_text=True)
    row = settings(app, shop.id)
    assert row.notify_customers and row.notify_plan
    assert not row.notify_channels and not row.notify_summary
    assert row.summary_minute == 8 * 60 + 30
    bad = client.post("/account/alerts/settings", data={"summary_time": "25:99"})
    assert bad.status_code == 400
    assert "Not a valid time value." in bad.get_data(
        as_text=True
    ) or "Enter a time" in bad.get_data(as_text=True)
    assert settings(app, shop.id).summary_minute == 8 * 60 + 30


def test_the_settings_and_links_are_the_logged_in_owners_own(
    client, app, fakes, shop, user_factory, auth
):
    link(client, shop)
    other = user_factory(language="en")
    auth.logout()
    auth.login(other.email)
    client.post("/account/alerts/unlink")
    client.post("/account/alerts/settings", data={"summary_time": "07:00"})
    row = settings(app, shop.id)
    assert row.linked and row.summary_minute == 20 * 60
    with app.app_context():
        assert (
            db.session.scalar(
                select(AlertSettings).where(AlertSettings.user_id == other.id)
            ).summary_minute
            == 7 * 60
        )
    assert alerts(app, other.id) == []


def test_the_owner_blocking_the_bot_is_no_customer_event(client, app, fakes, shop):
    link(client, shop)
    update = t.telegram_my_chat_member_update("kicked", chat_id=OWNER_CHAT)
    assert tg_post(client, shop.id, update, shop.telegram_secret).status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Conversation.id)).where(
                    Conversation.customer_ref == str(OWNER_CHAT)
                )
            )
            == 0
        )
    # A customer blocking the bot is recorded as before.
    tg_post(client, shop.id, t.telegram_my_chat_member_update("kicked"), shop.telegram_secret)
    with app.app_context():
        conv = db.session.scalar(
            select(Conversation).where(Conversation.customer_ref == str(CUSTOMER_CHAT))
        )
        assert conv is not None and conv.blocked_at is not None
