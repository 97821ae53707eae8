"""Render a page of the live portal to an A4 PDF with Chromium and read its text back."""
from __future__ import annotations

import io

from pypdf import PdfReader


def page_pdf_text(page, path: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Open ``path`` in the (logged-in) page, print it to PDF, return (text of all pages, page count)."""
    page.goto(path)
    page.emulate_media(media="print")
    data = page.pdf(format="A4", print_background=False, prefer_css_page_size=True)
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)
