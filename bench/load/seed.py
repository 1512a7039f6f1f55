"""Seed the benchmark's owners with all three channels connected. The ONLY place the benchmark
imports the application (secrets are encrypted by the models): after a refactor, adjust the
imports inside `seed()` and nothing else.

    .venv/bin/python bench/load/seed.py --app-dir . --owners 200 --out owners.json

Runs in a subprocess with the app's environment (DATABASE_URL, FERNET_KEY, ...), after the schema
was built with `flask db upgrade`. Writes a JSON list: per owner its id, Telegram bot (token, id,
webhook secret), WhatsApp number and Instagram account (ids, tokens, app secrets).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


def seed(owners: int) -> list[dict]:
    """Create `owners` paid owners, each with a Telegram bot, a WhatsApp number and an Instagram
    account (as the fakes will know them) and saved assistant settings; return their secrets."""
    from extensions import db
    from main import app
    from models import AIConfig, InstagramAccount, TelegramBot, User, WhatsAppAccount

    now = datetime.now(UTC)
    made = []
    with app.app_context():
        for i in range(1, owners + 1):
            user = User(
                full_name=f"Bench Owner {i}",
                email=f"owner{i}@bench.bilimbot.local",
                phone=f"+99890{i:07d}",
                password_hash="!bench-no-login",
                language="uz",
                created_at=now,
                trial_ends_at=now + timedelta(days=3),
                plan="monthly",
                plan_expires_at=now + timedelta(days=30),
            )
            db.session.add(user)
            db.session.flush()
            bot_id = 7_000_000_000 + i
            tg_token = f"{bot_id}:AAH{secrets.token_urlsafe(24)}"
            bot = TelegramBot(user_id=user.id, bot_id=str(bot_id), username=f"bench{i}_bot")
            bot.set_token(tg_token)
            wa_id, wa_token, wa_secret = (
                f"10{i:013d}",
                f"EAAGwa{secrets.token_hex(16)}",
                secrets.token_hex(16),
            )
            wa = WhatsAppAccount(
                user_id=user.id,
                phone_number_id=wa_id,
                waba_id=f"20{i:013d}",
                app_id=f"30{i:013d}",
                display_phone=f"+99871{i:07d}",
            )
            wa.set_secrets(wa_token, wa_secret)
            ig_id, ig_token, ig_secret = (
                f"1784{i:013d}",
                f"EAAGig{secrets.token_hex(16)}",
                secrets.token_hex(16),
            )
            ig = InstagramAccount(user_id=user.id, ig_account_id=ig_id, username=f"bench.{i}")
            ig.set_secrets(ig_token, ig_secret)
            db.session.add_all([bot, wa, ig, AIConfig(user_id=user.id, default_language="uz")])
            made.append((user, bot, tg_token, wa, wa_token, wa_secret, ig, ig_token, ig_secret))
        db.session.commit()
        return [
            {
                "user_id": user.id,
                "tg": {
                    "token": tg_token,
                    "bot_id": bot.bot_id,
                    "username": bot.username,
                    "secret": bot.secret_token,
                },
                "wa": {"id": wa.phone_number_id, "token": wa_token, "app_secret": wa_secret},
                "ig": {"id": ig.ig_account_id, "token": ig_token, "app_secret": ig_secret},
            }
            for user, bot, tg_token, wa, wa_token, wa_secret, ig, ig_token, ig_secret in made
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, required=True)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(args.app_dir.resolve()))
    args.out.write_text(json.dumps(seed(args.owners)))


if __name__ == "__main__":
    main()
