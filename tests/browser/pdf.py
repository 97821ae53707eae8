"""Render a page of the live portal to an A4 PDF with Chromium and read its text back."""
from __future__ import annotations

import io
import re
import unicodedata

from pypdf import PdfReader

# Noto Sans CJK draws some kanji with the same glyph as a radical, and the PDF's text map then names
# the radical (⻘ for 青, ⽇ for 日; ‧ for ・). Map them back so that tests can look for ordinary Japanese.
_RADICAL_SUPPLEMENT = str.maketrans({
    "\u2e9f": "母", "\u2ea0": "民", "\u2ec4": "西", "\u2ec6": "角", "\u2ed1": "長", "\u2ed8": "青",
    "\u2edd": "食", "\u2ee3": "骨", "\u2ee4": "鬼", "\u2ee8": "麦", "\u2ee9": "黄", "\u2eeb": "斉",
    "\u2eed": "歯", "\u2eef": "竜", "\u2ef2": "亀", "\u2027": "・",
})
_KANGXI = re.compile("[\u2f00-\u2fdf]")


def normalise_pdf_text(text: str) -> str:
    """Radicals back to the kanji they stand for; nothing else is changed (full-width stays full-width)."""
    return _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text.translate(_RADICAL_SUPPLEMENT))


def page_pdf_pages(page, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open ``path`` in the (logged-in) page, print it to PDF, return the text of each page."""
    page.goto(path)
    page.emulate_media(media="print")
    data = page.pdf(format="A4", print_background=False, prefer_css_page_size=True)
    return [normalise_pdf_text(p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages]


def page_pdf_text(page, path: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Open ``path`` in the (logged-in) page, print it to PDF, return (text of all pages, page count)."""
    pages = page_pdf_pages(page, path)
    return "\n".join(pages), len(pages)
