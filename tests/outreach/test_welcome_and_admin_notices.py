"""The owner's welcome e-mail, the admin's notice of a plan request, and a plain-text offer that
does not speak of a button it does not have."""

from extensions import db
from outreach.owner_emails import run_marketing
from tests.billing.helpers import messages


def _parts(msg) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in msg.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }


def _register(client, lang: str):
    client.set_cookie("lang", lang)
    return client.post(
        "/auth/register",
        data={
            "full_name": "Ivan Petrov",
            "phone": "90 123 45 67",
            "email": "ivan@example.uz",
            "password": "strong-pass-1",
            "confirm": "strong-pass-1",
        },
    )


def test_a_new_owner_gets_a_welcome_email_in_their_language(client, app, smtp_server):
    assert _register(client, "ru").status_code == 302
    (msg,) = smtp_server.messages
    assert msg["To"] == "ivan@example.uz"
    assert msg["Subject"] == "Добро пожаловать в BilimBot, Ivan Petrov!"
    text, html = _parts(msg)["text/plain"], _parts(msg)["text/html"]
    assert "пробный период действует до" in text and '<html lang="ru">' in html
    assert "/dashboard" in text and 'href="https://bot.example.test/dashboard"' in html
    (record,) = messages(app, kind="welcome")
    assert record.status == "sent" and record.subject == msg["Subject"]


def test_admins_are_emailed_about_a_new_plan_request(client, app, user_factory, auth, smtp_server):
    uz_admin = user_factory(is_admin=True, language="uz", email="boss@example.uz")
    user_factory(is_admin=True, language="en", email="ops@example.uz")
    user_factory(is_admin=True, language="en", status="banned", email="gone@example.uz")
    owner = user_factory(name="Malika Yusupova", status="expired", language="ru")
    auth.login(owner.email)
    response = client.post(
        "/billing/request-access",
        data={"plan": "quarterly", "note": "Позвоните после 18:00", "submit": "1"},
    )
    assert response.status_code == 302
    by_admin = {m["To"]: m for m in smtp_server.messages}
    assert set(by_admin) == {"boss@example.uz", "ops@example.uz"}  # not the banned one
    uz = _parts(by_admin[uz_admin.email])["text/plain"]
    assert "Malika Yusupova" in uz and "810\u00a0000 so‘m" in uz and "Позвоните после 18:00" in uz
    assert "https://bot.example.test/admin/plan-requests" in uz
    en = by_admin["ops@example.uz"]
    assert en["Subject"] == "BilimBot: new plan request from Malika Yusupova"
    assert "810,000 soum" in _parts(en)["text/plain"]


def test_the_plain_text_offer_has_no_button_to_press(app, user_factory, smtp_server):
    user_factory(status="expired", language="en")
    with app.app_context():
        assert run_marketing()["sent"] == 1
        db.session.commit()
    parts = _parts(smtp_server.messages[0])
    assert "button" not in parts["text/plain"].lower()
    assert "Open the link below" in parts["text/plain"]
    assert "Press the button" in parts["text/html"]
