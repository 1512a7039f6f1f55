"""Render Word XML blocks as text lines: paragraphs, text boxes and tables with headers."""

from __future__ import annotations

from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
W_P, W_TBL, _W_TR, _W_TC, _W_R = W + "p", W + "tbl", W + "tr", W + "tc", W + "r"
W_SDT, _W_SDT_CONTENT, _W_TXBX = W + "sdt", W + "sdtContent", W + "txbxContent"
# Wrappers whose children are ordinary content; deleted and moved-away text is not.
DOCX_WRAPPERS = {W + "customXml", W + "ins", W + "moveTo", W + "smartTag", _W_SDT_CONTENT}
_DOCX_SKIP = {W + "del", W + "moveFrom", W + "pPr", W + "rPr", W + "tcPr", _MC_FALLBACK}
_RUN_CHARS = {
    W + "tab": "\t",
    W + "ptab": "\t",
    W + "br": "\n",
    W + "cr": "\n",
    W + "noBreakHyphen": "-",
}
_W_T = W + "t"
_DOCX_TEXT_TAGS = (_W_T, *_RUN_CHARS)
_DOCX_SLOW_TAGS = frozenset((W + "del", W + "moveFrom", _W_TXBX, _MC_FALLBACK))
_MAX_GRID = 64  # clamp for gridSpan/gridBefore, which hostile files set to billions


def _docx_run_text(run: Any) -> str:
    """Return a w:r element's visible text (w:t, tabs and breaks)."""
    parts = []
    for child in run:
        tag = child.tag
        if tag == _W_T:
            parts.append(child.text or "")
        elif tag in _RUN_CHARS:
            parts.append(_RUN_CHARS[tag])
    return "".join(parts)


def _docx_inline(element: Any, parts: list[str], boxes: list[Any]) -> None:
    """Collect run text under a paragraph, and text boxes to render after it."""
    for child in element:
        tag = child.tag
        if tag == _W_R:
            parts.append(_docx_run_text(child))
            _docx_inline(child, parts, boxes)  # drawings inside runs hold text boxes
        elif tag == _W_TXBX:
            boxes.append(child)
        elif isinstance(tag, str) and tag not in _DOCX_SKIP:
            _docx_inline(child, parts, boxes)


def _docx_paragraph(p: Any, lines: list[str]) -> None:
    """Append a paragraph's text, then the content of any text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[Any] = []
    # Fast path: lxml filters the text-bearing tags in C.  Paragraphs holding deletions,
    # moves, text boxes or alternate content take the careful walk instead.
    for node in p.iter(*_DOCX_TEXT_TAGS, *_DOCX_SLOW_TAGS):
        tag = node.tag
        if tag in _DOCX_SLOW_TAGS:
            parts.clear()
            _docx_inline(p, parts, boxes)
            break
        parts.append(node.text or "" if tag == _W_T else _RUN_CHARS[tag])
    text = "".join(parts).strip()
    if text:
        lines.append(text)
    for box in boxes:
        render_blocks(box, lines, lines)


def render_blocks(container: Any, lines: list[str], table_lines: list[str]) -> None:
    """Render block content in document order; tables go to ``table_lines``."""
    for child in container:
        render_block(child, lines, table_lines)


def render_block(child: Any, lines: list[str], table_lines: list[str]) -> None:
    """Render one block element (paragraph, table, content control or wrapper)."""
    tag = child.tag
    if tag == W_P:
        _docx_paragraph(child, lines)
    elif tag == W_TBL:
        _docx_table(child, table_lines)
    elif tag == W_SDT:
        content = child.find(_W_SDT_CONTENT)
        if content is not None:
            render_blocks(content, lines, table_lines)
    elif tag in DOCX_WRAPPERS:
        render_blocks(child, lines, table_lines)


def _docx_children(element: Any, wanted: str) -> Any:
    """Yield ``wanted`` children, looking through content controls and custom XML."""
    for child in element:
        if child.tag == wanted:
            yield child
        elif child.tag == W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _docx_children(content, wanted)
        elif child.tag in DOCX_WRAPPERS:
            yield from _docx_children(child, wanted)


def _docx_int(element: Any, path: str, default: int) -> int:
    """Read an integer w:val under ``element``, clamped to a sane grid range."""
    node = element.find(path)
    if node is None:
        return default
    try:
        return max(0, min(_MAX_GRID, int(node.get(W + "val", default))))
    except (TypeError, ValueError):
        return default


def _docx_table(tbl: Any, lines: list[str]) -> None:
    """Render a table so every value keeps its column header: 'Narx: 5 000 so‘m'."""
    rows: list[tuple[list[tuple[int, int, str]], list[str]]] = []
    above: dict[int, str] = {}  # text per grid column, for vertically merged cells
    for tr in _docx_children(tbl, _W_TR):
        col = _docx_int(tr, f"{W}trPr/{W}gridBefore", 0)
        cells: list[tuple[int, int, str]] = []
        nested: list[str] = []
        for tc in _docx_children(tr, _W_TC):
            span = max(1, _docx_int(tc, f"{W}tcPr/{W}gridSpan", 1))
            vmerge = tc.find(f"{W}tcPr/{W}vMerge")
            if vmerge is not None and vmerge.get(W + "val", "continue") == "continue":
                text = above.get(col, "")
            else:
                parts: list[str] = []
                render_blocks(tc, parts, nested)
                text = " ".join(parts)
            for c in range(col, col + span):
                above[c] = text
            cells.append((col, span, text))
            col += span
        rows.append((cells, nested))
    # Some tables start with an empty spacer row; the first row with text is the header.
    while rows and not any(text for _s, _n, text in rows[0][0]):
        lines.extend(rows.pop(0)[1])
    if not rows:
        return
    width = max((start + span for cells, _ in rows for start, span, _t in cells), default=0)
    if width < 2 or len(rows) < 2:
        # Layout tables (one column or one row) read better as plain lines.
        for cells, nested in rows:
            line = " | ".join(text for _s, _n, text in cells if text)
            if line:
                lines.append(line)
            lines.extend(nested)
        return
    header_cells, header_nested = rows[0]
    labels: dict[int, tuple[int, str]] = {}
    for index, (start, span, text) in enumerate(header_cells):
        for c in range(start, start + span):
            labels[c] = (index, text)
    lines.extend(header_nested)
    for cells, nested in rows[1:]:
        groups: dict[Any, tuple[str, list[str]]] = {}
        for start, _span, text in cells:
            if not text:
                continue
            key, label = labels.get(start, (("col", start), ""))
            _label, values = groups.setdefault(key, (label, []))
            if text not in values:
                values.append(text)
        pairs = [(label, " ".join(values)) for label, values in groups.values()]
        if pairs and any(label != value for label, value in pairs):
            lines.append(
                " | ".join(f"{label}: {value}" if label else value for label, value in pairs)
            )
        lines.extend(nested)
