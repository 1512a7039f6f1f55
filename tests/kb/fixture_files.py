"""Builders for parser fixtures (PDF, DOCX, zip bombs), so no binary blobs live in the repo."""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from pathlib import Path

# Words used for generated documents: Uzbek (Latin), Russian and English.
_UZ = (
    "non sut go‘sht narxi so‘m yetkazib berish bepul buyurtma do‘kon manzil Toshkent "
    "Samarqand ish vaqti dushanba shanba chegirma mahsulot sifat kafolat to‘lov naqd "
    "karta Click Payme o‘zbek tilida savol javob mijoz xizmat"
)
_RU = (
    "доставка заказ цена сум хлеб молоко магазин адрес режим работы скидка товар "
    "качество гарантия оплата наличными картой вопрос ответ клиент сервис бесплатно"
)
_EN = (
    "delivery order price bread milk shop address opening hours discount product "
    "quality warranty payment cash card question answer customer service free"
)
UZ_WORDS = tuple(_UZ.split())
RU_WORDS = tuple(_RU.split())
EN_WORDS = tuple(_EN.split())


def sentence(rng: random.Random, words: tuple[str, ...] | list[str], n: int) -> str:
    """Return ``n`` random words joined by spaces, capitalised like a sentence."""
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[:1].upper() + text[1:]


def pdf_string(text: str) -> bytes:
    """Encode text for a WinAnsi Type1 font and escape it as a PDF literal string."""
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content_stream(lines: list[str] | None, kerning: bool) -> bytes:
    """Build one page's content stream; ``None`` draws an image only, like a scan."""
    if lines is None:
        return b"q 200 0 0 200 100 500 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x10\xf0\xf0\x10 EI Q"
    out = [b"BT /F1 9 Tf 10.5 TL 36 806 Td"]
    for line in lines:
        if kerning:
            # Real producers emit TJ arrays with kerning between word fragments.
            parts = []
            for word in line.split(" "):
                cut = max(1, len(word) // 2)
                parts.append(pdf_string(word[:cut]) + b" 12 " + pdf_string(word[cut:] + " "))
            out.append(b"[" + b" -8 ".join(parts) + b"] TJ T*")
        else:
            out.append(pdf_string(line) + b" '")
    out.append(b"ET")
    return b"\n".join(out)


def build_pdf(
    pages: list[list[str] | None], *, compress: bool = False, kerning: bool = False
) -> bytes:
    """Write a valid PDF with one page per item (lines of Latin text, or None for an image)."""
    return build_pdf_from_streams(
        [_content_stream(lines, kerning) for lines in pages], compress=compress
    )


def build_pdf_from_streams(streams: list[bytes], *, compress: bool = False) -> bytes:
    """Write a valid PDF with one page per ready-made content stream (font /F1 = Helvetica)."""
    objects: dict[int, bytes] = {
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    }
    kids = []
    number = 4
    for stream in streams:
        extra = b""
        if compress:
            stream = zlib.compress(stream, 6)
            extra = b" /Filter /FlateDecode"
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        objects[number + 1] = (
            b"<< /Length %d%s >>\nstream\n" % (len(stream), extra) + stream + b"\nendstream"
        )
        kids.append(b"%d 0 R" % number)
        number += 2
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(streams)
    chunks = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offset = len(chunks[0])
    offsets = []
    for num in range(1, number):
        offsets.append(offset)
        chunk = b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
        chunks.append(chunk)
        offset += len(chunk)
    chunks.append(b"xref\n0 %d\n0000000000 65535 f \n" % number)
    chunks.extend(b"%010d 00000 n \n" % off for off in offsets)
    chunks.append(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (number, offset)
    )
    return b"".join(chunks)


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner-secret") -> bytes:
    """Return ``data`` encrypted with pypdf (AES-128)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_price_docx(path: Path) -> None:
    """Write a DOCX with a header, a footer, a price table and a table nested in a cell."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Bilim Non do‘koni — sarlavha"
    section.footer.paragraphs[0].text = "Tel: +998 90 123 45 67 — pastki qism"
    document.add_paragraph("Narxlar ro‘yxati")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "Mahsulot"
    table.cell(0, 1).text = "Narx"
    table.cell(1, 0).text = "Non"
    table.cell(1, 1).text = "5 000 so‘m"
    table.cell(2, 0).text = "Sut"
    table.cell(2, 1).text = "12 500 so‘m"
    nested = table.cell(2, 0).add_table(rows=2, cols=2)
    nested.cell(0, 0).text = "Hajm"
    nested.cell(0, 1).text = "Ichki narx"
    nested.cell(1, 0).text = "1 litr"
    nested.cell(1, 1).text = "12 500"
    document.add_paragraph("Yetkazib berish bepul.")
    document.save(str(path))


def build_text_docx(path: Path, paragraphs: list[str]) -> None:
    """Write a DOCX containing only the given paragraphs."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def build_zip(path: Path, members: dict[str, bytes]) -> None:
    """Write a deflated zip with the given members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def build_zip_bomb(path: Path, unpacked_mb: int = 60) -> None:
    """Write a DOCX-shaped zip whose document.xml inflates about 1000x."""
    filler = b"<w:t>" + b"0" * (unpacked_mb * 1024 * 1024) + b"</w:t>"
    build_zip(
        path,
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": filler,
        },
    )


DOCX_NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def build_docx_with_body(path: Path, body_xml: str) -> None:
    """Write a DOCX whose w:body is ``body_xml`` (namespaces w, mc, wps and v are declared)."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    document_xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<w:document {DOCX_NAMESPACES}><w:body>{body_xml}<w:sectPr/></w:body></w:document>"
    ).encode()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["word/document.xml"] = document_xml
    build_zip(path, members)
