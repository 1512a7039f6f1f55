"""`flask ensure-admin` (the framed notice, --reset-password) and seed-demo's believable data."""

import re

from sqlalchemy import select

from commands.demo.data import FAQ, FIRST_NAMES, feminine_surname
from extensions import db
from models.conversation import Conversation, Message
from models.user import User
from tests.engine_helpers import configured

FRAMED = re.compile(r"^\+-+\+\n(\| .* \|\n)+\+-+\+$")


def _admin(app) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == app.config["ADMIN_EMAIL"]))
        db.session.expunge(user)
        return user


def test_ensure_admin_prints_a_framed_block_and_resets_the_password(app, client, tmp_path):
    runner = app.test_cli_runner()
    with configured(app, ADMIN_PASSWORD=""):
        created = runner.invoke(args=["ensure-admin"])
        assert created.exit_code == 0, created.output
        block = created.output.strip()
        assert FRAMED.match(block), block
        password = re.search(r"Password: (\S+)", block)[1]
        assert app.config["ADMIN_EMAIL"] in block
        assert (
            client.post(
                "/auth/login", data={"login": app.config["ADMIN_EMAIL"], "password": password}
            ).status_code
            == 302
        )
        generation = _admin(app).session_generation

        again = runner.invoke(args=["ensure-admin"])
        assert "exists" in again.output and "--reset-password" in again.output
        with app.app_context():
            assert _admin(app).check_password(password)

        notice = tmp_path / "notice.txt"
        reset = runner.invoke(
            args=["ensure-admin", "--reset-password", "--notice-file", str(notice)]
        )
        assert reset.exit_code == 0 and reset.output == ""  # written for make run to print last
        text = notice.read_text().strip()
        assert FRAMED.match(text) and "password reset" in text
        assert notice.stat().st_mode & 0o077 == 0  # readable by its owner only
        new_password = re.search(r"Password: (\S+)", text)[1]
    with app.app_context():
        admin = _admin(app)
        assert new_password != password and admin.check_password(new_password)
        assert admin.session_generation == generation + 1  # the old sessions end


def test_makefile_prints_the_notice_after_the_migrations():
    from tests.factories import ROOT

    run = (ROOT / "Makefile").read_text().split("\nrun:")[1].split("\n\n")[0]
    steps = [line.strip() for line in run.splitlines()]
    upgrade = next(i for i, s in enumerate(steps) if "db upgrade" in s)
    shown = next(i for i, s in enumerate(steps) if "cat instance/admin-notice.txt" in s)
    serve = next(i for i, s in enumerate(steps) if "main.py" in s)
    assert upgrade < shown < serve


def test_feminine_surnames_agree():
    assert feminine_surname("Смирнов", "ru") == "Смирнова"
    assert feminine_surname("Никитин", "ru") == "Никитина"
    assert feminine_surname("Ким", "ru") == "Ким"
    assert feminine_surname("Abdullayev", "uz") == "Abdullayeva"
    assert feminine_surname("Smith", "en") == "Smith"


def test_seed_demo_names_agree_in_gender_and_answers_match_questions(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--owners", "30", "--messages", "300"])
    assert result.exit_code == 0, result.output
    women = {lang: set(names["f"]) for lang, names in FIRST_NAMES.items()}
    answer_of = {q: a for pairs in FAQ.values() for q, a in pairs}
    with app.app_context():
        names = [
            u.full_name for u in db.session.scalars(select(User).where(User.is_admin.is_(False)))
        ]
        names += [c.customer_name for c in db.session.scalars(select(Conversation))]
        for name in names:
            first, last = name.split(" ", 1)
            if first in women["ru"]:
                assert last.endswith("а") or last in ("Ким", "Пак", "Цой"), name
            elif first in women["uz"]:
                assert last.endswith("a"), name
            elif any(first in FIRST_NAMES[lang]["m"] for lang in ("ru", "uz")):
                assert not last.endswith(("ова", "ева", "ина", "ova", "eva")), name
        questions = {
            m.id: m.text
            for m in db.session.scalars(select(Message).where(Message.sender == "customer"))
        }
        replies = db.session.scalars(select(Message).where(Message.sender == "bot")).all()
        assert replies
        for reply in replies:
            assert reply.text == answer_of[questions[reply.reply_to_id]]
