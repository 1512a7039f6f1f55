"""The website chat on the channels page: switched on with a list of sites (checked and
normalised), the tag to paste, switched off with the same key, errors in the owner's language."""

import pytest
from sqlalchemy import select

from extensions import db
from models.channel import WebWidget
from models.user import User

OWNER_LANGUAGE = "en"


def _save(client, domains: str, enabled: bool = True):
    data = {"domains": domains}
    if enabled:
        data["enabled"] = "y"
    return client.post("/channels/website-chat", data=data, follow_redirects=True)


def _widget(app, user_id: int) -> WebWidget | None:
    with app.app_context():
        row = db.session.scalar(select(WebWidget).where(WebWidget.user_id == user_id))
        if row is not None:
            db.session.expunge(row)
        return row


def test_the_page_offers_the_website_chat(client, owner):
    page = client.get("/channels").get_data(as_text=True)
    assert 'id="widget-card"' in page and "Website chat" in page
    assert 'id="widget-tag"' not in page  # nothing to paste before it is saved


def test_switching_it_on_stores_normalised_sites_and_shows_the_tag(app, client, owner):
    page = _save(client, "Shop.uz\nhttps://www.shop.uz/contacts, localhost:8080\nshop.uz")
    text = page.get_data(as_text=True)
    widget = _widget(app, owner.id)
    assert widget.enabled
    assert widget.allowed_origins == [
        "https://shop.uz",
        "https://www.shop.uz",
        "http://localhost:8080",
    ]
    assert "The website chat is on." in text
    tag = (
        "&lt;script src=&#34;https://bot.example.test/static/js/widget.js&#34; "
        f"data-bilimbot=&#34;{widget.widget_key}&#34; async&gt;&lt;/script&gt;"
    )
    assert tag in text
    assert "https://shop.uz\nhttps://www.shop.uz\nhttp://localhost:8080" in text  # the form


def test_switching_it_off_keeps_the_key(app, client, owner):
    _save(client, "shop.uz")
    key = _widget(app, owner.id).widget_key
    page = _save(client, "shop.uz", enabled=False).get_data(as_text=True)
    widget = _widget(app, owner.id)
    assert (widget.enabled, widget.widget_key) == (False, key)
    assert "The website chat is off." in page and 'id="widget-tag"' not in page
    assert client.get(f"/widget/{key}").status_code == 404
    _save(client, "shop.uz")
    assert _widget(app, owner.id).widget_key == key


@pytest.mark.parametrize(
    "lang,domains,words",
    [
        ("en", "http://shop.uz", "“http://shop.uz”: a website must use https"),
        ("ru", "http://shop.uz", "сайт должен использовать https"),
        ("uz", "shop", "“shop” sayt manzili emas"),
        ("en", "https://shop.uz;script-src *", "“https://shop.uz;script-src” is not a website"),
        ("en", "<b>x</b>", "“&lt;b&gt;x&lt;/b&gt;” is not a website"),
        ("en", "", "List at least one website"),
        ("ru", "", "Укажите хотя бы один сайт"),
    ],
)
def test_a_bad_list_is_refused_in_the_owners_language(app, client, owner, lang, domains, words):
    with app.app_context():
        db.session.get(User, owner.id).language = lang
        db.session.commit()
    page = _save(client, domains).get_data(as_text=True)
    assert words in page
    assert _widget(app, owner.id) is None


def test_one_owner_saves_only_their_own_widget(app, client, owner, user_factory):
    other = user_factory()
    with app.app_context():
        theirs = WebWidget(user_id=other.id, allowed_origins_text="https://other.uz")
        db.session.add(theirs)
        db.session.commit()
    _save(client, "shop.uz")
    assert _widget(app, other.id).allowed_origins == ["https://other.uz"]
    assert _widget(app, owner.id).widget_key != _widget(app, other.id).widget_key


def test_the_dashboard_lists_the_website_chat(app, client, owner):
    assert "Website chat" in client.get("/dashboard").get_data(as_text=True)
