"""Tests for kb.extract: every format, every rejection, and random garbage."""

from __future__ import annotations

import os
import pickle
import random
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

from kb.extract import (
    ALLOWED_EXTENSIONS,
    MAX_FILE_BYTES,
    FileParseError,
    ParsedDocument,
    errors,
    extract_text,
    limits,
    parse,
    parse_file,
)
from tests.kb import fixture_files as ff

RU_TEXT = (
    "Привет! Доставка по Ташкенту бесплатная при заказе от 100 000 сум.\n"
    "Цена хлеба - 5 000 сум, молоко - 12 500 сум. Работаем ежедневно."
)
RU_SHORT = "Цена хлеба 5 000 сум"


def write(tmp_path: Path, name: str, data: bytes) -> str:
    """Write ``data`` under a safe on-disk name and return its path."""
    path = tmp_path / f"upload-{abs(hash(name))}-{len(data)}"
    path.write_bytes(data)
    return str(path)


def parse_bytes(tmp_path: Path, name: str, data: bytes) -> ParsedDocument:
    """Parse ``data`` as if it were uploaded with the file name ``name``."""
    return parse_file(write(tmp_path, name, data), name)


def error_code(tmp_path: Path, name: str, data: bytes) -> str:
    """Return the FileParseError code raised for ``data`` uploaded as ``name``."""
    with pytest.raises(FileParseError) as info:
        parse_bytes(tmp_path, name, data)
    assert str(info.value)  # always a non-empty user-facing message
    return info.value.code


# --- contract ------------------------------------------------------------------------------


def test_public_constants():
    assert ALLOWED_EXTENSIONS == ("pdf", "docx", "csv", "txt")
    assert MAX_FILE_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize("name", ["setup.exe", "photo.jpg", "README", "archive.tar.gz", ".", ""])
def test_unsupported_type_names_allowed_types(tmp_path, name):
    with pytest.raises(FileParseError) as info:
        parse_bytes(tmp_path, name, b"hello")
    assert info.value.code == "unsupported_type"
    assert "PDF, DOCX, CSV, TXT" in str(info.value)


def test_extension_is_last_suffix_case_insensitive(tmp_path):
    assert parse_bytes(tmp_path, "Narxlar.v2.TXT", b"Non 5 000 so'm").kind == "txt"
    assert parse_bytes(tmp_path, "C:\\fakepath\\eski.Txt", b"Salom").text == "Salom"
    assert error_code(tmp_path, "notes.txt.exe", b"Salom") == "unsupported_type"


def test_extract_text_returns_parsed_text(tmp_path):
    path = write(tmp_path, "a.txt", b"Salom, dunyo!")
    assert extract_text(path, "a.txt") == "Salom, dunyo!"


def test_empty_and_whitespace_files_are_rejected(tmp_path):
    assert error_code(tmp_path, "empty.txt", b"") == "empty"
    assert error_code(tmp_path, "blank.txt", b" \n\t\r\n  \n") == "empty"
    assert error_code(tmp_path, "blank.csv", b";;\n;;\n") == "empty"
    assert error_code(tmp_path, "empty.pdf", b"") == "empty"


def test_too_large_file_is_rejected(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FileParseError) as info:
        parse_file(str(path), "big.txt")
    assert info.value.code == "too_large"
    assert "10" in str(info.value)


def test_missing_file_is_a_parse_error(tmp_path):
    with pytest.raises(FileParseError) as info:
        parse_file(str(tmp_path / "nope.txt"), "nope.txt")
    assert info.value.code == "unreadable"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("report.pdf", b"Just some text, not a PDF at all."),
        ("notes.txt", b"%PDF-1.7\n%binary"),
        ("table.csv", b"PK\x03\x04" + b"\x00" * 50),
        ("price.docx", b"%PDF-1.4\n1 0 obj"),
    ],
)
def test_content_must_match_extension(tmp_path, name, data):
    with pytest.raises(FileParseError) as info:
        parse_bytes(tmp_path, name, data)
    assert info.value.code == "content_mismatch"
    assert "." + name.rsplit(".", 1)[1] in str(info.value)


def test_error_pickles_and_keeps_message():
    error = FileParseError("content_mismatch", ext="pdf")
    clone = pickle.loads(pickle.dumps(error))
    assert clone.code == "content_mismatch"
    assert str(clone) == str(error)
    assert ".pdf" in str(clone)


def test_unknown_error_code_falls_back_to_generic():
    assert FileParseError("no-such-code").code == "unreadable"


def test_errors_and_warnings_translate_in_the_active_locale(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from flask import Flask
    from flask_babel import Babel, force_locale

    catalog = Catalog(locale="ru")
    catalog.add("The file is empty or contains no text.", "Файл пуст или не содержит текста.")
    catalog.add(
        "Pages without text (probably scanned images) were skipped: %(num)d of %(total)d.",
        "Пропущены страницы без текста (вероятно, сканы): %(num)d из %(total)d.",
        flags=("python-format",),
    )
    mo_dir = tmp_path / "translations" / "ru" / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    with (mo_dir / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    # Parsed outside any app (as a background job would), rendered later in the owner's locale.
    doc = parse_bytes(tmp_path, "mixed.pdf", ff.build_pdf([["Matn"], None]))
    error = FileParseError("empty")
    assert doc.warnings == ["Pages without text (probably scanned images) were skipped: 1 of 2."]
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path / "translations")
    Babel(app)
    with app.app_context(), force_locale("ru"):
        assert str(doc.warnings[0]) == "Пропущены страницы без текста (вероятно, сканы): 1 из 2."
        assert str(error) == "Файл пуст или не содержит текста."
    with app.test_request_context("/"):
        assert "PDF, DOCX, CSV, TXT" in str(FileParseError("unsupported_type"))


# --- TXT -----------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1251", "koi8_r"])
@pytest.mark.parametrize("text", [RU_TEXT, RU_SHORT, RU_SHORT.upper()])
def test_txt_russian_encodings(tmp_path, codec, text):
    assert parse_bytes(tmp_path, "ru.txt", text.encode(codec)).text == text


def test_txt_cp1251_and_koi8r_are_not_confused(tmp_path):
    for word in ["Хлеб", "молоко", "сыр", "ДОСТАВКА", "Ёлка и щи"]:
        assert parse_bytes(tmp_path, "a.txt", word.encode("cp1251")).text == word
        assert parse_bytes(tmp_path, "b.txt", word.encode("koi8_r")).text == word


def test_txt_utf16_be_and_uzbek(tmp_path):
    uz = "Oʻzbekiston: non narxi 5 000 soʻm. Ўзбекистон: нон нархи 5 000 сўм, қанд, ғишт, ҳа."
    assert parse_bytes(tmp_path, "uz.txt", uz.encode("utf-16")).text == uz
    assert parse_bytes(tmp_path, "uz.txt", uz.encode("utf-16-be")).text == uz
    assert parse_bytes(tmp_path, "uz.txt", uz.encode("utf-8")).text == uz


def test_txt_western_legacy_text(tmp_path):
    text = "Our café serves crème brûlée — “the best” in Tashkent."
    assert parse_bytes(tmp_path, "en.txt", text.encode("cp1252")).text == text


def test_txt_utf8_with_a_few_broken_bytes_is_kept_with_a_warning(tmp_path):
    data = (RU_TEXT * 20).encode("utf-8") + b"\xff" + "конец".encode()
    doc = parse_bytes(tmp_path, "broken.txt", data)
    assert doc.text.startswith("Привет!")
    assert doc.text.endswith("конец")
    assert doc.warnings


def test_txt_cleanup(tmp_path):
    raw = (
        "\ufeffSarlavha\r\n\r\n\r\n\r\n\r\nBirinchi\x00 qator\x07 \x1b\u00a0 bo‘sh\t\t  joy   \r\n"
        "   chetida bo‘shliq   \n\x0cIkkinchi\u2028uchinchi\n\n\n"
    )
    text = parse_bytes(tmp_path, "clean.txt", raw.encode()).text
    assert text == ("Sarlavha\n\nBirinchi qator bo‘sh\tjoy\nchetida bo‘shliq\n\nIkkinchi\nuchinchi")


def test_txt_output_is_nfc(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Qarȯ o‘zbekcha: ё й ü é")
    text = parse_bytes(tmp_path, "nfd.txt", decomposed.encode()).text
    assert text == unicodedata.normalize("NFC", decomposed)
    assert unicodedata.is_normalized("NFC", text)


def test_txt_two_megabyte_single_line(tmp_path):
    # Whitespace runs, tabs and trailing spaces: the inputs that make naive regexes quadratic.
    line = ("so‘z" + " " * 50 + "\t \t" + " " * 40) * 20_000 + " " * 200_000 + "oxiri"
    data = line.encode()
    assert len(data) > 2 * 1024 * 1024
    # Its speed is measured by bench/kb_bench.py; here the normalisation itself is checked.
    text = parse_bytes(tmp_path, "line.txt", data).text
    assert "\n" not in text
    assert text.startswith("so‘z\tso‘z\t")
    assert text.endswith("so‘z\toxiri")


def test_txt_binary_is_rejected_as_unknown_encoding(tmp_path):
    rng = random.Random(1)
    data = bytes(rng.randrange(256) for _ in range(5000))
    assert error_code(tmp_path, "random.txt", data) == "encoding"
    assert error_code(tmp_path, "nuls.txt", b"ab\x00\x00\x01\x02" * 500) == "encoding"


# --- CSV -----------------------------------------------------------------------------------


def test_csv_semicolon_and_decimal_commas(tmp_path):
    data = b"Mahsulot;Narx;Izoh\nNon;5 000,50;issiq\nSut;12,5;\n\nQand;7,25;oq\n"
    doc = parse_bytes(tmp_path, "narx.csv", data)
    assert doc.kind == "csv"
    assert doc.rows == 3
    assert doc.text.splitlines() == [
        "Mahsulot: Non | Narx: 5 000,50 | Izoh: issiq",
        "Mahsulot: Sut | Narx: 12,5",
        "Mahsulot: Qand | Narx: 7,25 | Izoh: oq",
    ]


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r", "utf-8-sig", "utf-16"])
def test_csv_russian_encodings(tmp_path, codec):
    data = 'Товар,Цена,Примечание\nХлеб,"5,5",свежий\nМолоко,12,\n'.encode(codec)
    doc = parse_bytes(tmp_path, "price.csv", data)
    assert doc.rows == 2
    assert doc.text == "Товар: Хлеб | Цена: 5,5 | Примечание: свежий\nТовар: Молоко | Цена: 12"


def test_csv_excel_unicode_text_export(tmp_path):
    # Excel's "Unicode Text" is UTF-16 with a BOM and tab-separated.
    data = "Nomi\tNarxi\r\nPatir\t8 000\r\nSomsa\t6 000\r\n".encode("utf-16")
    doc = parse_bytes(tmp_path, "export.csv", data)
    assert doc.text == "Nomi: Patir | Narxi: 8 000\nNomi: Somsa | Narxi: 6 000"


def test_csv_keeps_na_like_values_and_leading_zeros(tmp_path):
    data = b"Kod,Holat\n007,NA\n010,null\n"
    assert (
        parse_bytes(tmp_path, "a.csv", data).text == "Kod: 007 | Holat: NA\nKod: 010 | Holat: null"
    )


def test_csv_malformed_rows_do_not_crash(tmp_path):
    data = b"a;b\n1;2\n3;4;5;6\n7\n8;9\n"
    doc = parse_bytes(tmp_path, "bad.csv", data)
    assert doc.text.splitlines() == ["a: 1 | b: 2", "a: 3 | b: 4 | 5 | 6", "a: 7", "a: 8 | b: 9"]
    assert doc.rows == 4


def test_csv_unclosed_quote_falls_back_to_text(tmp_path):
    doc = parse_bytes(tmp_path, "quote.csv", b'name,price\n"Non,5000\nSut,12000\n')
    assert "Sut" in doc.text
    assert isinstance(doc.text, str)


def test_csv_header_only(tmp_path):
    doc = parse_bytes(tmp_path, "head.csv", b"Mahsulot;Narx\n")
    assert doc.rows == 0
    assert doc.text == "Mahsulot | Narx"


# --- PDF -----------------------------------------------------------------------------------


def _pdf(pages: int = 3) -> bytes:
    return ff.build_pdf(
        [[f"Page {n} price list", "Non narxi 5 000 so‘m", "informa-", "tion"] for n in range(pages)]
    )


def test_pdf_text_in_page_order(tmp_path):
    doc = parse_bytes(tmp_path, "a.pdf", _pdf(5))
    assert doc.kind == "pdf"
    assert doc.pages == 5
    assert not doc.warnings
    positions = [doc.text.index(f"Page {n} price list") for n in range(5)]
    assert positions == sorted(positions)
    assert "Non narxi 5 000 so‘m" in doc.text
    assert "information" in doc.text  # end-of-line hyphenation re-joined


def test_pdf_compressed_and_kerned(tmp_path):
    data = ff.build_pdf(
        [["Yetkazib berish bepul", "Delivery is free"]], compress=True, kerning=True
    )
    text = parse_bytes(tmp_path, "k.pdf", data).text
    assert "Yetkazib berish bepul" in " ".join(text.split())


def test_pdf_encrypted_with_empty_password_opens(tmp_path):
    doc = parse_bytes(tmp_path, "enc.pdf", ff.encrypt_pdf(_pdf(2), user_password=""))
    assert "Page 1 price list" in doc.text


def test_pdf_with_password_is_rejected(tmp_path):
    data = ff.encrypt_pdf(_pdf(2), user_password="secret")
    with pytest.raises(FileParseError) as info:
        parse_bytes(tmp_path, "locked.pdf", data)
    assert info.value.code == "pdf_password"
    assert "password" in str(info.value)


def test_truncated_pdf_is_recovered_with_a_warning_or_rejected(tmp_path):
    data = _pdf(6)
    doc = parse_bytes(tmp_path, "cut.pdf", data[: len(data) * 2 // 3])
    assert "Page 0 price list" in doc.text
    assert any("damaged" in w for w in doc.warnings)
    assert error_code(tmp_path, "stub.pdf", data[:200]) == "pdf_damaged"
    assert error_code(tmp_path, "junk.pdf", b"%PDF-1.4\n" + b"garbage " * 100) == "pdf_damaged"


def test_scanned_pdf_is_rejected(tmp_path):
    with pytest.raises(FileParseError) as info:
        parse_bytes(tmp_path, "scan.pdf", ff.build_pdf([None, None]))
    assert info.value.code == "pdf_scanned"
    assert "scanned images; text is needed" in str(info.value)
    assert error_code(tmp_path, "blank.pdf", ff.build_pdf([[]])) == "pdf_scanned"


def test_partly_scanned_pdf_warns_about_skipped_pages(tmp_path):
    doc = parse_bytes(tmp_path, "mixed.pdf", ff.build_pdf([["Matn bor"], None, None]))
    assert doc.text == "Matn bor"
    assert doc.warnings == ["Pages without text (probably scanned images) were skipped: 2 of 3."]


def test_pdf_timeout_is_reported(tmp_path, monkeypatch):
    # Enough pages that the child is still working at the parent's first check.
    data = _pdf(400)
    monkeypatch.setattr(limits, "TIME_LIMIT_SECONDS", -1.0)
    monkeypatch.setattr(limits, "PDF_SECONDS_PER_PAGE", 0.0)
    assert error_code(tmp_path, "slow.pdf", data) == "timeout"
    monkeypatch.setattr(limits, "RUN_IN_SUBPROCESS", False)
    assert error_code(tmp_path, "slow.pdf", data) == "timeout"


def test_child_memory_limit_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CHILD_MAX_RSS_BYTES", 1)
    assert error_code(tmp_path, "fat.pdf", _pdf(400)) == "timeout"


def test_in_process_fallback_when_no_child_can_start(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    assert "Page 0 price list" in parse_bytes(tmp_path, "a.pdf", _pdf(1)).text
    doc = parse_bytes(tmp_path, "a.csv", b"a,b\n1,2\n")
    assert doc.text == "a: 1 | b: 2"


# --- DOCX ----------------------------------------------------------------------------------


def test_docx_tables_headers_footers_and_unicode_name(tmp_path):
    path = tmp_path / "Narxlar ro‘yxati – прайс.docx"
    ff.build_price_docx(path)
    doc = parse_file(str(path), path.name)
    assert doc.kind == "docx"
    assert doc.text.splitlines() == [
        "Bilim Non do‘koni — sarlavha",
        "Narxlar ro‘yxati",
        "Mahsulot: Non | Narx: 5 000 so‘m",
        "Mahsulot: Sut | Narx: 12 500 so‘m",
        "Hajm: 1 litr | Ichki narx: 12 500",
        "Yetkazib berish bepul.",
        "Tel: +998 90 123 45 67 — pastki qism",
    ]


def test_docx_merged_cells_keep_their_header(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    for col, label in enumerate(["Turi", "Nomi", "Narx"]):
        table.cell(0, col).text = label
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Non"
    table.cell(1, 1).text = "Patir"
    table.cell(1, 2).text = "8 000"
    table.cell(2, 1).text = "Obi non"
    table.cell(2, 2).text = "4 000"
    table.cell(3, 0).merge(table.cell(3, 1)).text = "Jami"
    table.cell(3, 2).text = "12 000"
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert parse_file(str(path), "merged.docx").text.splitlines() == [
        "Turi: Non | Nomi: Patir | Narx: 8 000",
        "Turi: Non | Nomi: Obi non | Narx: 4 000",
        "Turi: Jami | Narx: 12 000",
    ]


def test_docx_paragraphs_and_tables_keep_document_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Birinchi")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Kun", "Vaqt"
    table.cell(1, 0).text, table.cell(1, 1).text = "Dushanba", "9:00–18:00"
    document.add_paragraph("Oxirgi")
    path = tmp_path / "order.docx"
    document.save(str(path))
    assert parse_file(str(path), "order.docx").text == (
        "Birinchi\nKun: Dushanba | Vaqt: 9:00–18:00\nOxirgi"
    )


def test_docx_tracked_changes_content_controls_and_text_boxes(tmp_path):
    box = "<w:txbxContent><w:p><w:r><w:t>Quti matni</w:t></w:r></w:p></w:txbxContent>"
    body = (
        "<w:p><w:r><w:t xml:space='preserve'>Qoldi </w:t></w:r>"
        "<w:ins><w:r><w:t>qo‘shildi</w:t></w:r></w:ins>"
        "<w:del><w:r><w:delText>o‘chirildi</w:delText></w:r></w:del></w:p>"
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>Boshqaruv elementi</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
        "<w:p><w:r><w:t>Langar</w:t></w:r><w:r><mc:AlternateContent>"
        f"<mc:Choice Requires='wps'><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox>{box}</v:textbox></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
        "<w:tbl><w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>"
        "<w:tr><w:tc><w:p><w:r><w:t>Kun</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>Vaqt</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:p><w:r><w:t>Shanba</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>10:00</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    )
    path = tmp_path / "xml.docx"
    ff.build_docx_with_body(path, body)
    assert parse_file(str(path), "xml.docx").text.splitlines() == [
        "Qoldi qo‘shildi",
        "Boshqaruv elementi",
        "Langar",
        "Quti matni",
        "Kun: Shanba | Vaqt: 10:00",
    ]


def test_docx_hostile_grid_spans_are_clamped(tmp_path):
    def cell(text: str) -> str:
        span = "<w:tcPr><w:gridSpan w:val='999999999'/></w:tcPr>"
        return f"<w:tc>{span}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    rows = [f"<w:tr>{cell(a)}{cell(b)}</w:tr>" for a, b in (("A", "B"), ("1", "2"))]
    path = tmp_path / "span.docx"
    ff.build_docx_with_body(path, f"<w:tbl>{''.join(rows)}</w:tbl>")
    assert parse_file(str(path), "span.docx").text == "A: 1 | B: 2"


def test_docx_zip_bomb_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "bomb.docx"
    ff.build_zip_bomb(path)
    monkeypatch.setattr(parse, "run_extractor", lambda *a: pytest.fail("parsed a zip bomb"))
    with pytest.raises(FileParseError) as info:
        parse_file(str(path), "bomb.docx")
    assert info.value.code == "zip_bomb"


def test_docx_declared_total_too_large(tmp_path, monkeypatch):
    path = tmp_path / "big.docx"
    ff.build_price_docx(path)
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1000)
    assert error_code(tmp_path, "big.docx", path.read_bytes()) == "zip_bomb"


def test_docx_lying_sizes_are_caught(tmp_path):
    # Claims a tiny document.xml; zipfile stops at the declared size and the CRC fails.
    path = tmp_path / "liar.docx"
    ff.build_price_docx(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("word/document.xml")
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    while central != -1:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_len] == b"word/document.xml":
            data[central + 24 : central + 28] = (info.file_size // 4).to_bytes(4, "little")
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    assert error_code(tmp_path, "liar.docx", bytes(data)) == "docx_invalid"


def test_docx_random_bytes_and_foreign_zips(tmp_path):
    rng = random.Random(7)
    assert error_code(tmp_path, "r.docx", bytes(rng.randrange(256) for _ in range(4096))) == (
        "docx_invalid"
    )
    zip_path = tmp_path / "plain.zip"
    ff.build_zip(zip_path, {"hello.txt": b"hi", "word/other.xml": b"<x/>"})
    assert error_code(tmp_path, "fake.docx", zip_path.read_bytes()) == "docx_invalid"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    assert error_code(tmp_path, "old.docx", ole) == "docx_invalid"
    assert error_code(tmp_path, "bad.docx", b"PK\x03\x04 not really a zip") == "docx_invalid"


def test_docx_with_broken_xml_is_invalid(tmp_path):
    zip_path = tmp_path / "broken.docx"
    ff.build_price_docx(zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/document.xml"] = members["word/document.xml"][:200]
    ff.build_zip(zip_path, members)
    assert error_code(tmp_path, "broken.docx", zip_path.read_bytes()) == "docx_invalid"


def _dense_docx(path: Path, xml_mb: int) -> None:
    """Write a text-only DOCX of formatted paragraphs (python-docx's run markup), ``xml_mb`` big."""
    rng = random.Random(11)
    run = (
        '<w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/>'
        '<w:sz w:val="24"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>'
    )
    words = ff.UZ_WORDS + ff.RU_WORDS + ff.EN_WORDS
    parts, size = [], 0
    while size < xml_mb * 1024 * 1024:
        paragraph = "<w:p>" + "".join(run.format(ff.sentence(rng, words, 12)) for _ in range(3))
        parts.append(paragraph + "</w:p>")
        size += len(parts[-1].encode())
    parts.append("<w:p><w:r><w:t>Oxirgi xatboshi</w:t></w:r></w:p>")
    ff.build_docx_with_body(path, "".join(parts))


def test_dense_text_only_docx_past_the_old_xml_limit_is_read(tmp_path):
    # ~55 MB of XML is what a 10 MB text-only DOCX holds (Word XML deflates ~5.5x); the old
    # 48 MB limit refused it as a zip bomb, and python-docx's whole tree outgrew the child's RSS.
    path = tmp_path / "dense.docx"
    _dense_docx(path, 55)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("word/document.xml").file_size > 48 * 1024 * 1024
    text = parse_file(str(path), "dense.docx").text
    assert text.endswith("Oxirgi xatboshi") and len(text) > 10_000_000


def test_docx_text_past_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RUN_IN_SUBPROCESS", False)
    monkeypatch.setattr(limits, "MAX_DOCX_TEXT_CHARS", 5_000)
    path = tmp_path / "long.docx"
    ff.build_text_docx(path, [f"Xatboshi {n}: non va sut narxi" for n in range(400)])
    assert error_code(tmp_path, "long.docx", path.read_bytes()) == "zip_bomb"


def test_docx_headers_of_every_section_and_linked_ones_once(tmp_path):
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Birinchi bo‘lim sarlavhasi"
    document.sections[0].footer.paragraphs[0].text = "Pastki qism"
    document.add_paragraph("Birinchi matn")
    second = document.add_section()
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Ikkinchi bo‘lim sarlavhasi"
    document.add_paragraph("Ikkinchi matn")
    path = tmp_path / "sections.docx"
    document.save(str(path))
    assert parse_file(str(path), "sections.docx").text.splitlines() == [
        "Birinchi bo‘lim sarlavhasi",
        "Ikkinchi bo‘lim sarlavhasi",
        "Birinchi matn",
        "Ikkinchi matn",
        "Pastki qism",
    ]


def test_docx_without_text_is_empty(tmp_path):
    path = tmp_path / "blank.docx"
    ff.build_text_docx(path, ["", "   "])
    assert error_code(tmp_path, "blank.docx", path.read_bytes()) == "empty"


# --- fuzz ----------------------------------------------------------------------------------


def _mutations(seed: bytes, rng: random.Random, count: int) -> list[bytes]:
    """Return ``count`` damaged variants of ``seed``: flipped bytes, cuts and splices."""
    out = []
    for n in range(count):
        data = bytearray(seed)
        action = n % 4
        if action == 0:
            for _ in range(rng.randint(1, 40)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif action == 1:
            data = data[: rng.randrange(1, len(data))]
        elif action == 2:
            start = rng.randrange(len(data))
            data[start : start + rng.randint(1, 500)] = os.urandom(rng.randint(0, 500))
        else:
            data = data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        out.append(bytes(data))
    return out


def _seeds(tmp_path: Path) -> dict[str, bytes]:
    docx_path = tmp_path / "seed.docx"
    ff.build_price_docx(docx_path)
    return {
        "pdf": ff.build_pdf([["Fuzz seed page", "Narx 1 000"], None], compress=True),
        "docx": docx_path.read_bytes(),
        "csv": "Товар;Цена\nХлеб;5,5\n".encode("cp1251"),
        "txt": RU_TEXT.encode("koi8_r"),
    }


def _assert_parses_or_rejects(tmp_path: Path, name: str, data: bytes) -> None:
    try:
        result = parse_bytes(tmp_path, name, data)
    except FileParseError as exc:
        assert exc.code in errors._MESSAGES
        assert str(exc)
    else:
        assert isinstance(result.text, str)
        assert result.text.strip()
        assert all(isinstance(w, str) for w in result.warnings)


@pytest.mark.parametrize("ext", ALLOWED_EXTENSIONS)
def test_fuzz_random_and_mutated_bytes_in_process(tmp_path, monkeypatch, ext):
    monkeypatch.setattr(limits, "RUN_IN_SUBPROCESS", False)
    rng = random.Random(f"fuzz-{ext}")
    seed = _seeds(tmp_path)[ext]
    inputs = [bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))) for _ in range(15)]
    inputs += [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"%PDF-", b"PK\x05\x06" + b"\x00" * 18]
    inputs += _mutations(seed, rng, 40)
    for data in inputs:
        _assert_parses_or_rejects(tmp_path, f"fuzz.{ext}", data)


@pytest.mark.parametrize("ext", ["pdf", "docx", "csv"])
def test_fuzz_mutated_bytes_in_child_process(tmp_path, ext):
    rng = random.Random(f"child-{ext}")
    for data in _mutations(_seeds(tmp_path)[ext], rng, 6):
        _assert_parses_or_rejects(tmp_path, f"fuzz.{ext}", data)
