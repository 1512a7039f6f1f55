"""The channels page: Telegram health, replacing a bot, racing owners, translated failures."""

import re
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models.channel import InstagramAccount, TelegramBot
from models.user import User
from tests.channel_fixtures import TOKEN, WA_TOKEN, connect_all
from tests.engine_helpers import configured
from tests.factories import AuthActions

OWNER_LANGUAGE = "en"
NEW_TOKEN = "223456789:AAH-second-bot-token-abcdefghijklmnopq"
BAD_TOKEN = "323456789:AAH-never-issued-token-abcdefghijklmn"  # the fake answers 401


def _speak(app, user_id: int, lang: str) -> None:
    """The page language follows the owner's saved language (before any cookie)."""
    with app.app_context():
        db.session.get(User, user_id).language = lang
        db.session.commit()


def _health(page: bytes) -> str:
    match = re.search(rb'id="telegram-health">(.*?)</p>', page, re.S)
    assert match, "no Telegram health line"
    return match[1].decode()


def _bots(app) -> list[TelegramBot]:
    with app.app_context():
        bots = db.session.scalars(select(TelegramBot)).all()
        for bot in bots:
            db.session.expunge(bot)
        return bots


# --- health line ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lang,error_words,pending_words",
    [
        ("en", "Last delivery error", "Updates waiting: 7"),
        ("ru", "Последняя ошибка доставки", "Ожидающих обновлений: 7"),
        ("uz", "Yetkazishdagi so‘nggi xatolik", "Kutilayotgan yangilanishlar: 7"),
    ],
)
def test_health_shows_the_last_error_and_the_pending_count_together(
    client, app, fakes, owner, lang, error_words, pending_words
):
    tg, _ = fakes
    with app.app_context():
        connect_all(owner.id)
    tg.set_webhook_state(
        TOKEN, pending_update_count=7, last_error_message="Wrong response from the webhook: 502"
    )
    _speak(app, owner.id, lang)
    line = _health(client.get("/channels").data)
    assert error_words in line and "Wrong response from the webhook: 502" in line
    assert pending_words in line


def test_health_without_errors_shows_the_pending_count(client, app, fakes, owner):
    tg, _ = fakes
    with app.app_context():
        connect_all(owner.id)
    tg.set_webhook_state(TOKEN, pending_update_count=3)
    _speak(app, owner.id, "en")
    line = _health(client.get("/channels").data)
    assert "Webhook works." in line and "Updates waiting: 3" in line


def test_health_when_telegram_refuses_the_token_is_translated(client, app, fakes, owner):
    tg, _ = fakes
    with app.app_context():
        connect_all(owner.id)
    tg.remove_bot(TOKEN)
    try:
        _speak(app, owner.id, "ru")
        line = _health(client.get("/channels").data)
    finally:
        tg.add_bot(TOKEN, 987654321, "gullar_shop_bot")
    assert "Не удалось получить состояние вебхука" in line
    assert "токен неверный или отозван" in line


# --- replacing the connected bot ----------------------------------------------------------------
def test_connecting_another_token_deletes_the_old_bots_webhook(client, app, fakes, owner):
    """The old bot would keep delivering to our URL with a secret we no longer hold."""
    tg, _ = fakes
    tg.add_bot(NEW_TOKEN, 223456789, "gullar_shop_2_bot")
    client.post("/channels/telegram", data={"token": TOKEN, "default_language": "uz"})
    assert tg.webhook(TOKEN).webhook_url
    client.post("/channels/telegram", data={"token": NEW_TOKEN, "default_language": "uz"})
    assert tg.webhook(TOKEN).webhook_url == ""  # deleteWebhook went to the old bot
    new_hook = tg.webhook(NEW_TOKEN)
    assert new_hook.webhook_url == f"https://bot.example.test/telegram/webhook/{owner.id}"
    (bot,) = _bots(app)
    assert (bot.bot_id, bot.username) == ("223456789", "gullar_shop_2_bot")
    with app.app_context():
        assert db.session.get(TelegramBot, bot.id).secret_token == new_hook.secret_token


def test_reconnecting_the_same_token_does_not_delete_its_webhook(client, app, fakes, owner):
    tg, _ = fakes
    for _ in range(2):
        client.post("/channels/telegram", data={"token": TOKEN, "default_language": "uz"})
    assert tg.calls("deleteWebhook") == [] and tg.webhook(TOKEN).webhook_url
    assert len(_bots(app)) == 1


def test_an_invalid_new_token_keeps_the_connected_bot(client, app, fakes, owner):
    tg, _ = fakes
    client.post("/channels/telegram", data={"token": TOKEN, "default_language": "uz"})
    client.post("/channels/telegram", data={"token": BAD_TOKEN, "default_language": "uz"})
    assert tg.calls("deleteWebhook") == [] and tg.webhook(TOKEN).webhook_url
    assert [b.username for b in _bots(app)] == ["gullar_shop_bot"]


# --- two owners, one token, the same moment --------------------------------------------------
def test_two_owners_connecting_the_same_token_at_once(app, fakes, user_factory):
    tg, _ = fakes
    tg.slow_down("getMe", 0.5)  # both requests pass the "already taken?" check first
    owners = [user_factory(language="en") for _ in range(2)]
    clients = []
    for user in owners:
        http = app.test_client()
        AuthActions(http).login(user.email)
        http.set_cookie("lang", "en")
        clients.append(http)
    start = threading.Barrier(2)
    pages: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def connect(i: int) -> None:
        start.wait()
        try:
            response = clients[i].post(
                "/channels/telegram",
                data={"token": TOKEN, "default_language": "uz"},
                follow_redirects=True,
            )
            assert response.status_code == 200
            pages[i] = response.data
        except BaseException as exc:  # an IntegrityError surfaces here in testing mode
            errors.append(exc)

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    (bot,) = _bots(app)
    winner = [u.id for u in owners].index(bot.user_id)
    loser = 1 - winner
    assert b"is connected" in pages[winner]
    assert b"This bot is already connected to another account." in pages[loser]
    # Only the owner who holds the token ever set its webhook.
    assert len(tg.calls("setWebhook")) == 1
    assert tg.webhook(TOKEN).webhook_url.endswith(f"/telegram/webhook/{bot.user_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TelegramBot)) == 1


# --- failures are explained in the owner's language --------------------------------------------
def test_wrong_token_is_explained_in_uzbek(client, app, fakes, owner):
    _speak(app, owner.id, "uz")
    page = client.post(
        "/channels/telegram",
        data={"token": BAD_TOKEN, "default_language": "uz"},
        follow_redirects=True,
    ).data.decode()
    assert "Telegram bu tokenni qabul qilmadi" in page
    assert "token noto‘g‘ri yoki bekor qilingan" in page
    assert "copy it from @BotFather" not in page and "401 Unauthorized" not in page


def test_unreachable_telegram_is_explained_in_russian(client, app, fakes, owner):
    _speak(app, owner.id, "ru")
    with configured(app, TELEGRAM_API_BASE="http://127.0.0.1:9"):
        page = client.post(
            "/channels/telegram",
            data={"token": TOKEN, "default_language": "uz"},
            follow_redirects=True,
        ).data.decode()
    assert "Не удалось связаться с Telegram" in page and "could not reach" not in page


def test_refused_webhook_quotes_telegram_after_our_russian_sentence(client, app, fakes, owner):
    _speak(app, owner.id, "ru")
    with configured(app, WEBHOOK_BASE_URL="http://bot.example.test"):
        page = client.post(
            "/channels/telegram",
            data={"token": TOKEN, "default_language": "uz"},
            follow_redirects=True,
        ).data.decode()
    assert "Бот сохранён, но Telegram отклонил вебхук: Ответ Telegram: «" in page
    assert "An HTTPS URL must be provided" in page  # Telegram's own words, as it wrote them
    assert "Telegram setWebhook failed" not in page


def test_expired_meta_token_is_explained_in_russian(client, app, fakes, owner):
    _, graph = fakes
    with app.app_context():
        connect_all(owner.id)
    graph.expire_token(WA_TOKEN)
    _speak(app, owner.id, "ru")
    page = client.post("/channels/whatsapp/check", follow_redirects=True).data.decode()
    assert "Не удалось подключиться: срок действия токена доступа истёк" in page
    assert "Ответ Meta: «Error validating access token" in page
    assert "Generate a new access token" not in page
    # The page's own line frames Meta's words in Russian too.
    health = re.search(r'id="whatsapp_accounts-health">(.*?)</p>', page, re.S)[1]
    assert "Не удалось подключиться" in health and "Error validating access token" in health


def test_unknown_instagram_account_is_explained_in_uzbek(client, app, fakes, owner):
    with app.app_context():
        connect_all(owner.id)
        db.session.scalar(select(InstagramAccount)).ig_account_id = "17840000000000999"
        db.session.commit()
    _speak(app, owner.id, "uz")
    page = client.post("/channels/instagram/check", follow_redirects=True).data.decode()
    assert "Meta bu ID raqamini topmadi" in page and "Meta javobi: “Unsupported get request" in page


def test_unreachable_meta_is_explained_and_works_again(client, app, fakes, owner):
    with app.app_context():
        connect_all(owner.id)
    _speak(app, owner.id, "en")
    with configured(app, GRAPH_API_BASE="http://127.0.0.1:9"):
        page = client.post("/channels/whatsapp/check", follow_redirects=True).data.decode()
    assert "Connection failed: Meta could not be reached" in page
    assert "could not reach the" not in page
    page = client.post("/channels/whatsapp/check", follow_redirects=True).data.decode()
    assert "Connection works: +998 71 200 00 00 (Test Biznes)" in page
