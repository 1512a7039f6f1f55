"""The owner's and the admin's conversation views show what a voice note said (or a photo
showed) with a translated "voice" / "photo" marker; another owner's conversation stays a 404."""

from __future__ import annotations

import pytest

from extensions import db
from models.conversation import Conversation, Message

TRANSCRIPT = "Yetkazib berish narxi qancha?"
DESCRIPTION = "Bu telefonning narxi qancha?"
MARKERS = {
    "uz": ("Ovozli xabar", "Rasm"),
    "ru": ("Голосовое сообщение", "Фото"),
    "en": ("Voice message", "Photo"),
}


def _conversation(app, user_id: int) -> int:
    with app.app_context():
        conv = Conversation.get_or_create(user_id, "telegram", "42", "9001", "Jasur")
        db.session.flush()
        media = {"media_type": "voice", "media_ref": "AwAC-1", "media_mime": "audio/ogg"}
        heard = Message.store_inbound(conv, external_id="1", text=None, kind="media", media=media)
        heard.transcript, heard.status = TRANSCRIPT, "answered"
        photo = {"media_type": "photo", "media_ref": "AgAC-1"}
        seen = Message.store_inbound(conv, external_id="2", text=None, kind="media", media=photo)
        seen.transcript, seen.status = DESCRIPTION, "answered"
        # Offline: a voice note nobody transcribed still shows it was one.
        Message.store_inbound(conv, external_id="3", text=None, kind="media", media=media)
        db.session.commit()
        return conv.id


def _markers(html: str, marker: str) -> int:
    return html.count(f'data-marker="{marker}"')


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_the_owner_sees_transcripts_with_the_markers(client, app, user_factory, auth, lang):
    owner = user_factory(language=lang)  # the page speaks the owner's language
    auth.login(owner.email)
    conv_id = _conversation(app, owner.id)
    html = client.get(f"/conversations/{conv_id}").get_data(as_text=True)
    voice, photo = MARKERS[lang]
    assert TRANSCRIPT in html and DESCRIPTION in html
    assert voice in html and photo in html
    assert (_markers(html, "voice"), _markers(html, "photo")) == (2, 1)


@pytest.mark.parametrize("lang", ["uz", "ru"])
def test_the_admin_sees_transcripts_with_the_markers(client, app, user_factory, auth, lang):
    auth.login(user_factory(name="Admin", is_admin=True, language=lang).email)
    conv_id = _conversation(app, user_factory().id)
    response = client.get(f"/admin/conversations/{conv_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert TRANSCRIPT in html and DESCRIPTION in html and MARKERS[lang][0] in html
    assert (_markers(html, "voice"), _markers(html, "photo")) == (2, 1)


def test_another_owners_voice_note_is_a_404(client, app, owner, user_factory):
    other = user_factory()
    conv_id = _conversation(app, other.id)
    response = client.get(f"/conversations/{conv_id}")
    assert response.status_code == 404 and TRANSCRIPT not in response.get_data(as_text=True)


def test_the_owners_search_finds_words_said_in_a_voice_note(client, app, owner):
    conv_id = _conversation(app, owner.id)
    found = client.get("/conversations?q=narxi qancha").get_data(as_text=True)
    assert f"/conversations/{conv_id}" in found
    missing = client.get("/conversations?q=vertolyot").get_data(as_text=True)
    assert f"/conversations/{conv_id}" not in missing
