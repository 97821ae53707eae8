"""Blind review: what judges see instead of the entrant — in text, file names and PDF metadata."""
from __future__ import annotations

import hashlib
import hmac
import io
import re

from pypdf import PdfReader, PdfWriter

from tenants.models import Tenant

MASK = "〇〇"
_SUFFIXES = ("市", "区", "町", "村")
_EN_SUFFIXES = (" City", " Ward", " Town", " Village")


def entrant_names(tenant: Tenant) -> list[str]:
    """Every way the municipality's name is likely to be written (longest first)."""
    names = {tenant.name_ja, tenant.name_en, tenant.name_kana}
    if tenant.name_ja.endswith(_SUFFIXES) and len(tenant.name_ja) >= 3:
        names.add(tenant.name_ja[:-1])
    for suffix in _EN_SUFFIXES:
        if tenant.name_en.endswith(suffix):
            names.add(tenant.name_en[: -len(suffix)])
    return sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True)


def redact(text: str, tenant: Tenant) -> str:
    """Replace the entrant's name in free text with 〇〇 (case-insensitive for Latin script)."""
    for name in entrant_names(tenant):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    return text


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def judge_code(submission_id: int) -> str:
    """The label and URL key judges know an entry by: keyed-hash, so it reveals neither the entrant, nor
    the order of submission, nor how many other (hidden or conflicted) entries exist."""
    from flask import current_app

    key = str(current_app.secret_key or "").encode()
    digest = hmac.new(key, f"award-submission:{submission_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(6):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "R-" + "".join(chars)


def anonymous_filename(position: int) -> str:
    return f"attachment-{position}.pdf"


def strip_pdf_metadata(data: bytes) -> bytes:
    """Copy the pages into a new PDF without the document information and XMP metadata."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
