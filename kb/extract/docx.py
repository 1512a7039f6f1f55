"""DOCX text: zip-bomb checks, then the body streamed block by block, headers and footers."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from typing import Any

from kb.extract import limits
from kb.extract.clean import clean_text
from kb.extract.docx_blocks import (
    DOCX_WRAPPERS,
    W_P,
    W_SDT,
    W_TBL,
    W,
    render_block,
    render_blocks,
)
from kb.extract.errors import FileParseError


def check_docx_zip(path: str) -> None:
    """Refuse non-DOCX zips and zip bombs using only the central directory."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except Exception:  # BadZipFile, unsupported zip versions, OSError and the like
        raise FileParseError("docx_invalid") from None
    if len(infos) > limits.MAX_ZIP_ENTRIES:
        raise FileParseError("zip_bomb")
    if not any(info.filename == "word/document.xml" for info in infos):
        raise FileParseError("docx_invalid")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    xml_total = sum(
        info.file_size for info in infos if info.filename.lower().endswith((".xml", ".rels"))
    )
    if total > limits.MAX_UNZIPPED_BYTES or xml_total > limits.MAX_DOCX_XML_BYTES:
        raise FileParseError("zip_bomb")
    if total > limits.ZIP_RATIO_MIN_BYTES and total > limits.MAX_ZIP_RATIO * max(packed, 1):
        raise FileParseError("zip_bomb")
    for info in infos:
        if (
            info.file_size > limits.ZIP_RATIO_MIN_BYTES
            and info.file_size > limits.MAX_ZIP_RATIO * max(info.compress_size, 1)
        ):
            raise FileParseError("zip_bomb")
        if info.flag_bits & 0x1:
            raise FileParseError("docx_invalid")


_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_W_BODY, _W_PPR, _W_SECTPR = W + "body", W + "pPr", W + "sectPr"
_DOCX_BODY_TAGS = (W_P, W_TBL, W_SDT, _W_SECTPR, *DOCX_WRAPPERS)
# python-docx's order: first-page, default, then even-page header (and footer) of each section.
_DOCX_HF_TYPES = ("first", "default", "even")


def _docx_xml_options() -> dict[str, Any]:
    """Parser options for untrusted Word XML: no entities, no network, no DTD (as python-docx)."""
    return {
        "remove_blank_text": True,
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
    }


def _docx_section_refs(sect_pr: Any) -> dict[tuple[str, str], str]:
    """Map (header|footer, type) to the relationship id a w:sectPr points at."""
    refs: dict[tuple[str, str], str] = {}
    for child in sect_pr:
        kind = {W + "headerReference": "header", W + "footerReference": "footer"}.get(child.tag)
        if kind and child.get(_R_ID):
            refs[(kind, child.get(W + "type", "default"))] = child.get(_R_ID)
    return refs


def _docx_body(zf: zipfile.ZipFile, lines: list[str]) -> list[dict[tuple[str, str], str]]:
    """Stream word/document.xml one top-level block at a time; return each section's refs.

    python-docx builds the whole tree, about 9x the XML in RAM (a 10 MB text-only DOCX holds
    ~52 MB of XML: 503 MB).  Here memory is bounded by the largest single block, and the text
    is capped, so the XML size limit only has to bound the time.
    """
    from lxml import etree

    sections: list[dict[tuple[str, str], str]] = []
    size = 0
    parser = etree.XMLPullParser(events=("end",), tag=_DOCX_BODY_TAGS, **_docx_xml_options())
    with zf.open("word/document.xml") as fh:
        # Feeding big blocks is about 25% faster than iterparse's small reads.
        while block := fh.read(1024 * 1024):
            parser.feed(block)
            size = _docx_body_events(parser, lines, sections, size)
    parser.close()
    return sections


def _docx_body_events(
    parser: Any, lines: list[str], sections: list[dict[tuple[str, str], str]], size: int
) -> int:
    """Render the top-level blocks the parser has finished; return the text size so far."""
    for _event, element in parser.read_events():
        parent = element.getparent()
        if parent is None or parent.tag != _W_BODY:
            continue  # nested: rendered with its top-level block
        if element.tag == _W_SECTPR:
            sections.append(_docx_section_refs(element))
        else:
            if element.tag == W_P:
                sect_pr = element.find(f"{_W_PPR}/{_W_SECTPR}")
                if sect_pr is not None:  # a section ends with this paragraph
                    sections.append(_docx_section_refs(sect_pr))
            before = len(lines)
            render_block(element, lines, lines)
            size += sum(len(line) + 1 for line in lines[before:])
            if size > limits.MAX_DOCX_TEXT_CHARS:
                raise FileParseError("zip_bomb")
        # Drop what has been rendered, as the lxml docs advise for iterparse.
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
    return size


def _docx_part_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map the main document's relationship ids to zip member names."""
    from lxml import etree

    try:
        data = zf.read("word/_rels/document.xml.rels")
    except KeyError:
        return {}
    root = etree.fromstring(data, etree.XMLParser(**_docx_xml_options()))
    names = {}
    for rel in root.iter(_REL):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not rel.get("Id") or not target:
            continue
        name = target.lstrip("/") if target.startswith("/") else f"word/{target}"
        names[rel.get("Id")] = posixpath.normpath(name)
    return names


def _docx_headers_footers(
    zf: zipfile.ZipFile, sections: list[dict[tuple[str, str], str]]
) -> tuple[list[str], list[str]]:
    """Return the distinct header and footer texts of every section."""
    from lxml import etree

    names = _docx_part_names(zf) if sections else {}
    parser = etree.XMLParser(**_docx_xml_options())
    found: dict[str, list[str]] = {"header": [], "footer": []}
    seen: set[str] = set()
    for refs in sections:
        for kind, target in found.items():
            for hf_type in _DOCX_HF_TYPES:
                # No reference means "linked to the previous section": nothing new to read.
                name = names.get(refs.get((kind, hf_type), ""))
                if name is None:
                    continue
                block: list[str] = []
                try:
                    render_blocks(etree.fromstring(zf.read(name), parser), block, block)
                except (KeyError, ValueError, etree.XMLSyntaxError):
                    continue  # a broken header part should not sink the body text
                text = "\n".join(block)
                if text and text not in seen:
                    seen.add(text)
                    target.append(text)
    return found["header"], found["footer"]


def extract_docx(path: str, _arg: str, emit: Callable[[dict], None], started: float) -> dict:
    """Extract headers, body (paragraphs and tables in order) and footers of a DOCX."""
    body: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            sections = _docx_body(zf, body)
            headers, footers = _docx_headers_footers(zf, sections)
    except (FileParseError, MemoryError, RecursionError):
        raise
    except Exception:  # bad zip, CRC or size mismatch, broken XML
        raise FileParseError("docx_invalid") from None
    return {"text": clean_text("\n".join(headers + body + footers))}
