"""`flask crypto rotate`: every stored secret re-encrypted with the first FERNET_KEY."""

from cryptography.fernet import Fernet
from sqlalchemy import select

from extensions import db
from models.ai_config import AIConfig
from models.channel import InstagramAccount, TelegramBot, WhatsAppAccount
from tests.channel_fixtures import APP_SECRET, IG_TOKEN, TOKEN, WA_TOKEN, connect_all
from tests.engine_helpers import configured
from tests.factories import make_user


def _secrets():
    bot = db.session.scalar(select(TelegramBot))
    wa = db.session.scalar(select(WhatsAppAccount))
    ig = db.session.scalar(select(InstagramAccount))
    cfg = db.session.scalar(select(AIConfig))
    return [bot.token, wa.access_token, wa.app_secret, ig.access_token, ig.app_secret,
            cfg.openai_key]  # fmt: skip


def test_rotate_reencrypts_every_secret_with_the_first_key(app):
    old, new = app.config["FERNET_KEY"], Fernet.generate_key().decode()
    with app.app_context():
        owner = make_user()
        connect_all(owner.id)
        cfg = AIConfig.for_user(owner.id)
        cfg.set_openai_key("sk-owner-key-1234567890")
        db.session.commit()
        before = _secrets()
    with configured(app, FERNET_KEY=f"{new},{old}"):
        result = app.test_cli_runner().invoke(args=["crypto", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 7 secret(s)" in result.output  # + the Telegram webhook secret
    with configured(app, FERNET_KEY=new), app.app_context():  # the old key is gone now
        assert _secrets() == before == [TOKEN, WA_TOKEN, APP_SECRET, IG_TOKEN, APP_SECRET,
                                        "sk-owner-key-1234567890"]  # fmt: skip


def test_a_secret_no_key_decrypts_is_reported_and_left_alone(app):
    with app.app_context():
        owner = make_user()
        connect_all(owner.id)
        bot = db.session.scalar(select(TelegramBot))
        bot.token_encrypted = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
        db.session.commit()
        broken = bot.token_encrypted
    result = app.test_cli_runner().invoke(args=["crypto", "rotate"])
    assert result.exit_code == 1
    assert "telegram_bots.token_encrypted #" in result.output
    with app.app_context():
        assert db.session.scalar(select(TelegramBot)).token_encrypted == broken
