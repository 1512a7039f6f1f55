"""Knowledge base through the pages: upload, replace, failed replacement, size limit, privacy."""

import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage

from extensions import db
from kb import service as kb_service
from models.base import utcnow
from models.knowledge_base import KnowledgeBase, KnowledgeChunk
from models.user import User
from tests.factories import ROOT

OWNER_LANGUAGE = "en"  # the assertions read English text

PRICE_LIST = (
    "Yetkazib berish Toshkent bo‘ylab 15 000 so‘m. "
    "300 000 so‘mdan ortiq buyurtmalar uchun bepul.\n\n"
    "Доставка по Ташкенту стоит 15 000 сумов, бесплатно при заказе от 300 000 сумов.\n\n"
    "We are open every day from 9:00 to 21:00, Sundays included.\n"
)
XHR = {"X-Requested-With": "XMLHttpRequest"}


def _upload(client, name: str, data: bytes, xhr: bool = True):
    return client.post(
        "/knowledge-base/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=XHR if xhr else {},
    )


def _docx_bytes(rows) -> bytes:
    doc = Document()
    doc.add_paragraph("Narxlar ro‘yxati")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Mahsulot", "Narx"
    for product, price in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = product, price
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _active(app, user_id):
    with app.app_context():
        kb = KnowledgeBase.active_for(user_id)
        if kb is not None:
            kb.text  # noqa: B018 -- deferred: read while the row is still in a session
            db.session.expunge(kb)
        return kb


def test_upload_txt_extracts_chunks_and_shows_preview(client, app, owner):
    response = _upload(client, "narxlar.txt", PRICE_LIST.encode())
    assert response.status_code == 202
    status = client.get(response.json["status_url"]).json
    assert status["status"] == "ready" and status["chunks"] >= 1
    kb = _active(app, owner.id)
    assert kb.file_type == "txt" and kb.char_count == len(kb.text) > 100
    assert kb.sha256 and kb.size_bytes == len(PRICE_LIST.encode())
    page = client.get("/knowledge-base/")
    assert "Доставка по Ташкенту".encode() in page.data
    # The original is kept outside static/, under a generated name.
    stored = Path(app.config["UPLOAD_DIR"]) / kb.stored_name
    assert stored.exists() and "narxlar" not in kb.stored_name
    assert not str(stored.resolve()).startswith(str((ROOT / "static").resolve()))


def test_the_preview_is_the_texts_beginning_read_without_the_rest(client, app, owner):
    lines = [f"Mahsulot {i:04d}: narxi {i * 1000} so'm, kafolat bir yil." for i in range(400)]
    _upload(client, "katalog.txt", "\n".join(lines).encode())
    kb = _active(app, owner.id)
    assert kb.char_count > 3 * KnowledgeBase.PREVIEW_CHARS
    seen = []
    listen = lambda *args: seen.append(args[2])  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listen)
    try:
        page = client.get("/knowledge-base/").get_data(as_text=True)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listen)
    preview = html.unescape(page.split('id="kb-preview">')[1].split("</div>")[0])
    assert preview.startswith("Mahsulot 0000") and preview.endswith("…")
    assert "Mahsulot 0399" not in page
    assert len(preview) <= KnowledgeBase.PREVIEW_CHARS + 1
    # The page's reads of the knowledge base leave the whole text in the database.
    reads = [s for s in seen if "FROM knowledge_bases" in s]
    columns = [s.split(" FROM ")[0] + "," for s in reads]
    assert reads and not [c for c in columns if re.search(r", knowledge_bases\.text,", c)]


def test_test_search_shows_passages_for_a_question(client, owner):
    _upload(client, "faq.txt", PRICE_LIST.encode())
    page = client.get("/knowledge-base/?q=dostavka+qancha")
    assert b'id="search-results"' in page.data
    assert b"15 000" in page.data
    latin_for_cyrillic = client.get("/knowledge-base/?q=Доставка")
    assert "Ташкенту".encode() in latin_for_cyrillic.data


def test_replace_with_docx_swaps_in_one_go(client, app, owner):
    _upload(client, "first.txt", PRICE_LIST.encode())
    first = _active(app, owner.id)
    response = _upload(
        client, "Narxlar ro‘yxati – прайс.docx", _docx_bytes([("Non", "5 000"), ("Sut", "12 000")])
    )
    assert response.status_code == 202
    second = _active(app, owner.id)
    assert second.id != first.id and second.file_type == "docx"
    assert "Mahsulot: Non" in second.text and "Narx: 12 000" in second.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(KnowledgeBase)) == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(KnowledgeChunk)
                .where(KnowledgeChunk.knowledge_base_id == first.id)
            )
            == 0
        )
    assert not (Path(app.config["UPLOAD_DIR"]) / first.stored_name).exists()
    page = client.get("/knowledge-base/")
    assert "Narxlar ro‘yxati – прайс.docx".encode() in page.data


def test_failed_replacement_keeps_the_old_knowledge_base(client, app, owner):
    _upload(client, "good.txt", PRICE_LIST.encode())
    good = _active(app, owner.id)
    client.set_cookie("lang", "en")
    response = _upload(client, "broken.docx", b"this is not a docx at all" * 10)
    assert response.status_code == 202
    assert client.get(response.json["status_url"]).json["status"] == "failed"
    still = _active(app, owner.id)
    assert still.id == good.id and still.text == good.text
    page = client.get("/knowledge-base/")
    assert (
        b'id="last-upload-error"' in page.data
        and b"previous knowledge base is still active" in page.data
    )
    assert (Path(app.config["UPLOAD_DIR"]) / good.stored_name).exists()


@pytest.mark.parametrize("name", ["virus.exe", "noext", "archive.zip", "doc.pdf.exe"])
def test_unsupported_type_names_the_allowed_types(client, owner, name):
    client.set_cookie("lang", "en")
    response = _upload(client, name, b"hello")
    assert response.status_code == 400
    assert "PDF, DOCX, CSV, TXT" in response.json["error"]


def test_file_over_10_mb_gets_a_friendly_413_in_the_users_language(client, owner):
    client.set_cookie("lang", "en")
    response = _upload(client, "big.txt", b"a" * int(10.5 * 1024 * 1024))
    assert response.status_code == 413
    assert "the limit is 10 MB" in response.json["error"]
    form_post = _upload(client, "big.txt", b"a" * int(10.5 * 1024 * 1024), xhr=False)
    assert form_post.status_code == 302
    assert b"the limit is 10 MB" in client.get("/knowledge-base/").data


def test_file_just_under_10_mb_is_accepted(client, app, owner):
    body = ("Savol: narx qancha? Javob: 10 000 so‘m.\n" * 300_000).encode()[
        : 10 * 1024 * 1024 - 1024
    ]
    response = _upload(client, "big.txt", body)
    assert response.status_code == 202


def test_download_for_owner_and_admin_only(client, app, auth, user_factory, owner):
    _upload(client, "Прайс.txt", PRICE_LIST.encode())
    kb = _active(app, owner.id)
    download = client.get(f"/knowledge-base/{kb.id}/download")
    assert download.status_code == 200 and download.data == PRICE_LIST.encode()
    assert "attachment" in download.headers["Content-Disposition"]
    admin = user_factory(is_admin=True)
    auth.logout()
    auth.login(admin.email)
    assert client.get(f"/knowledge-base/{kb.id}/download").status_code == 200


def test_other_owner_gets_404_on_every_kb_url(client, app, auth, user_factory, owner):
    _upload(client, "mine.txt", PRICE_LIST.encode())
    kb = _active(app, owner.id)
    other = user_factory()
    auth.logout()
    auth.login(other.email)
    for url in (f"/knowledge-base/{kb.id}/download", f"/knowledge-base/uploads/{kb.id}/status"):
        assert client.get(url).status_code == 404
    page = client.get("/knowledge-base/?q=dostavka")
    assert "Ташкенту".encode() not in page.data
    client.post("/knowledge-base/delete")
    assert _active(app, owner.id) is not None  # another owner's delete touches only their own


def test_anonymous_is_sent_to_login(client):
    for url in (
        "/knowledge-base/",
        "/knowledge-base/1/download",
        "/knowledge-base/uploads/1/status",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_delete_removes_kb_and_file(client, app, owner):
    _upload(client, "faq.txt", PRICE_LIST.encode())
    kb = _active(app, owner.id)
    assert client.post("/knowledge-base/delete").status_code == 302
    assert _active(app, owner.id) is None
    assert not (Path(app.config["UPLOAD_DIR"]) / kb.stored_name).exists()


def test_file_names_are_escaped(client, app, owner):
    _upload(client, "<img src=x onerror=alert(1)>.txt", PRICE_LIST.encode())
    page = client.get("/knowledge-base/")
    assert b"<img src=x" not in page.data and b"&lt;img src=x" in page.data


def test_search_never_uses_a_stale_index_after_delete_and_reupload(client, app, owner):
    """SQLite may give the new knowledge base the id of the deleted one; the cache must notice."""
    _upload(client, "a.txt", "Olma narxi 5 000 so‘m. Olma juda shirin va arzon.".encode())
    assert b"Olma narxi" in client.get("/knowledge-base/?q=olma").data
    client.post("/knowledge-base/delete")
    _upload(client, "b.txt", "Nok narxi 9 000 so‘m. Nok juda mazali va yumshoq.".encode())
    page = client.get("/knowledge-base/?q=nok+narxi")
    assert b"Nok narxi" in page.data and b"Olma" not in page.data


def test_index_cache_is_bounded_by_text_size(app, owner, user_factory):
    from kb import service as kb_service
    from tests.engine_helpers import add_kb

    other = user_factory()
    with app.app_context():
        first = add_kb(other.id, "Nok narxi 9 000 so‘m. " * 100)
        kb = add_kb(owner.id, "Olma narxi 5 000 so‘m. " * 100)
        saved = app.config["KB_INDEX_CACHE_MB"]
        app.config["KB_INDEX_CACHE_MB"] = 0  # nothing fits: only the entry just built is kept
        try:
            kb_service._CACHE.clear()
            kb_service._CACHE_CHARS.clear()
            assert kb_service.search(first, "nok", 1)
            assert kb_service.search(kb, "olma", 1)
            assert [key[0] for key in kb_service._CACHE] == [kb.id]  # the older one was evicted
        finally:
            app.config["KB_INDEX_CACHE_MB"] = saved


def test_file_over_10_mb_gets_the_413_in_russian(client, app, owner):
    with app.app_context():
        db.session.get(User, owner.id).language = "ru"
        db.session.commit()
    response = _upload(client, "big.txt", b"a" * int(10.5 * 1024 * 1024))
    assert response.status_code == 413
    assert "Файл слишком большой: ограничение — 10 МБ." in response.json["error"]


def test_wrong_content_names_the_allowed_types(client, owner):
    response = _upload(client, "prices.pdf", b"just some text, not a PDF at all")
    status = client.get(response.json["status_url"]).json
    assert status["status"] == "failed" and "PDF, DOCX, CSV, TXT" in status["error"]


def _accept(app, user_id, name, data):
    """Store an upload as the upload view does, without processing it yet."""
    with app.test_request_context():
        storage = FileStorage(io.BytesIO(data), filename=name)
        kb = kb_service.accept_upload(db.session.get(User, user_id), storage)
        db.session.commit()
        return kb.id, kb_service.stored_path(kb)


def _process(app, kb_id):
    with app.app_context():
        kb_service.process_upload(kb_id)


@pytest.mark.parametrize("newer_finishes_first", [True, False])
def test_the_newest_upload_wins_whichever_finishes_first(app, owner, newer_finishes_first):
    older, older_path = _accept(app, owner.id, "old.txt", b"Eski narxlar: olma 5 000 so'm.")
    newer, newer_path = _accept(app, owner.id, "new.txt", b"Yangi narxlar: olma 7 000 so'm.")
    for kb_id in (newer, older) if newer_finishes_first else (older, newer):
        _process(app, kb_id)
    active = _active(app, owner.id)
    assert active.id == newer and "7 000" in active.text
    with app.app_context():
        assert db.session.get(KnowledgeBase, older) is None  # discarded or replaced
    assert newer_path.exists() and not older_path.exists()


def test_a_crash_during_extraction_fails_the_upload_and_keeps_the_old_kb(
    client, app, owner, monkeypatch
):
    _upload(client, "good.txt", PRICE_LIST.encode())
    good = _active(app, owner.id)

    def broken_chunker(text):
        raise RuntimeError("a bug in chunking")

    monkeypatch.setattr(kb_service, "chunk_text", broken_chunker)
    response = _upload(client, "next.txt", b"Yangi matn: dam olish kunlari ishlaymiz.")
    status = client.get(response.json["status_url"]).json
    assert status["status"] == "failed" and "could not be read" in status["error"]
    assert _active(app, owner.id).id == good.id
    with app.app_context():
        failed = db.session.get(KnowledgeBase, response.json["id"])
        assert failed.stored_name is None


def test_uploads_interrupted_by_a_restart_are_failed_by_the_recovery_job(app, owner):
    from scheduler import run_job

    stuck, stuck_path = _accept(app, owner.id, "stuck.txt", b"Bu fayl hech qachon ishlanmadi.")
    fresh, _ = _accept(app, owner.id, "fresh.txt", b"Bu fayl hozir ishlanmoqda.")
    with app.app_context():
        db.session.get(User, owner.id).language = "ru"
        db.session.get(KnowledgeBase, stuck).uploaded_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    assert run_job(app, "messages-requeue-stale")["uploads_failed"] == 1
    with app.app_context():
        kb = db.session.get(KnowledgeBase, stuck)
        assert kb.status == "failed" and kb.error.startswith("Обработка файла была прервана")
        assert db.session.get(KnowledgeBase, fresh).status == "processing"
    assert not stuck_path.exists()


def test_test_search_shows_exactly_the_passages_the_bot_uses(client, app, owner):
    """The box is for checking the bot: it lists what the engine would put in its prompt."""
    from models.conversation import Conversation
    from pipeline.worker import answer_web

    branches = [
        f"{city} filialimiz manzili va narxlari: yetkazib berish {n} 000 so‘m. "
        + f"{city} filiali har kuni soat 9 dan 21 gacha ishlaydi, dam olish kunlari ham. " * 6
        for n, city in enumerate(
            ["Toshkent", "Samarqand", "Buxoro", "Xiva", "Namangan", "Andijon", "Farg‘ona"], 10
        )
    ]
    _upload(client, "filiallar.txt", "\n\n".join(branches).encode())
    question = "yetkazib berish narxlari filial"
    page = client.get("/knowledge-base/", query_string={"q": question}).data.decode()
    shown = re.findall(r'<div class="kb-passage">(.*?)</div>', page, re.S)
    with app.app_context():
        conv = Conversation.get_or_create(owner.id, "web", "test-chat", "kb-check")
        db.session.commit()
        reply = answer_web(conv, question)
        used = [p["text"] for p in json.loads(reply.chunks_json)]
        db.session.rollback()
    # The bot's top passages within its budget, not "everything that matches".
    assert 0 < len(shown) < len(branches) and len(shown) == len(used)
    assert all(html.unescape(s).startswith(u) for s, u in zip(shown, used, strict=True))
