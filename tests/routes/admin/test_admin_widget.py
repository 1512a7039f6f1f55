"""The website chat in the admin's lists: counted on the dashboard, found by the channel filter,
shown on the owner's page, and its conversations filtered and labelled like the others."""

from extensions import db
from models.channel import WebWidget
from tests.factories import make_user
from tests.routes.admin.helpers import add_conversation


def _owner_with_widget(app) -> tuple[int, int]:
    with app.app_context():
        user = make_user(name="Dilnoza Saytova")
        widget = WebWidget(user_id=user.id)
        widget.allowed_origins = ["https://gullar.uz"]
        db.session.add(widget)
        db.session.commit()
        conv_id = add_conversation(user.id, platform="web-widget", account_ref=widget.widget_key)
        make_user(name="Bobur Telegramov")
        return user.id, conv_id


def test_admin_sees_the_website_chat_everywhere(app, client, admin):  # admin reads Uzbek
    user_id, conv_id = _owner_with_widget(app)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert 'id="count-channel-web-widget">1<' in dashboard
    users = client.get("/admin/users?platform=web-widget").get_data(as_text=True)
    assert "Dilnoza Saytova" in users and "Bobur Telegramov" not in users
    assert 'title="Sayt chati"' in users
    detail = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'data-platform="web-widget"' in detail and "https://gullar.uz" in detail
    listing = client.get("/admin/conversations?platform=web-widget").get_data(as_text=True)
    assert f"/admin/conversations/{conv_id}" in listing
    assert "Sayt chati" in listing
