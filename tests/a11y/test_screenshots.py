"""Screenshots of the main pages in Japanese for the README (docs/screenshots/*.png).

Opt-in, so that `make test` never rewrites files:

    YOKOTEN_SCREENSHOTS=1 .venv/bin/python -m pytest tests/a11y/test_screenshots.py

The pages are found like the survey finds them (login, each role's navigation, the administration
and the first printable sheet of the matrix), so new sections appear without editing this test.
Viewport 1280×800, the top of each page only, Noto Sans CJK (Debian's fonts-noto-cjk).
"""
from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path

import pytest

from tests.a11y.survey import login_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("YOKOTEN_SCREENSHOTS") != "1",
                       reason="writes docs/screenshots/: run with YOKOTEN_SCREENSHOTS=1"),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def optimise_png(data: bytes) -> bytes:
    """Re-pack a Chromium PNG: drop the alpha channel of an opaque RGBA image and compress at level 9."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    header = chunks[0][1]
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    if depth != 8 or interlace or colour not in (2, 6):
        return data
    channels = 4 if colour == 6 else 3
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], (previous[x - channels] if x >= channels else 0)
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    if channels == 4:
        if any(row[3::4] != b"\xff" * width for row in rows):
            return data  # really transparent: keep as it is
        rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
    # Filter "up" for every row: good for screenshots (flat areas repeat line after line).
    packed, previous = bytearray(), bytes(width * 3)
    for row in rows:
        packed.append(2)
        packed.extend((a - b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    out = data[:8] + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(bytes(packed), 9)) + chunk(b"IEND", b"")
    return out if len(out) < len(data) else data


def _shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.png"
    target.write_bytes(optimise_png(page.screenshot(type="png")))
    return target


def _first_link(page, pattern: str) -> str | None:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))")
    return next((h for h in hrefs if re.fullmatch(pattern, h.split("?")[0])), None)


def test_screenshots_of_the_main_pages(browser, a11y_server) -> None:  # type: ignore[no-untyped-def]
    """The demo data as people see it (run alone: the survey's matrix objects are not made then)."""
    written: list[Path] = []

    def session(role: str | None):  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=a11y_server.url, locale="ja-JP", viewport=VIEWPORT)
        page = context.new_page()
        if role:
            login_role(page, role)
        return context, page

    context, page = session(None)
    page.goto("/login")
    written.append(_shoot(page, "01-login"))
    context.close()

    context, page = session("member")
    page.goto("/")
    written.append(_shoot(page, "02-dashboard"))
    hrefs = page.eval_on_selector_all("nav.site-nav a[href]", "els => els.map(a => a.getAttribute('href'))")
    sheet = None
    for number, href in enumerate([h for h in hrefs if h != "/"], start=3):
        page.goto(href)
        written.append(_shoot(page, f"{number:02d}-{_slug(href)}"))
        # The first object listed in the section (a case, an entry, a project …) and its sheet.
        detail = _first_link(page, re.escape(href.rstrip("/")) + r"/(?:[a-z-]+/)?\d+")
        if detail:
            page.goto(detail)
            written.append(_shoot(page, f"{number + 10:02d}-{_slug(href)}-detail"))
            sheet = sheet or _first_link(page, r"/.+/print")
    if sheet:
        page.goto(sheet)
        written.append(_shoot(page, "20-print-sheet"))
    context.close()

    context, page = session("tenant_admin")
    page.goto("/admin/users")
    written.append(_shoot(page, "30-admin-users"))
    context.close()

    context, page = session("curator")
    hrefs = page.eval_on_selector_all("nav.site-nav a[href]", "els => els.map(a => a.getAttribute('href'))")
    if len(hrefs) > 1:
        page.goto(hrefs[1])
        written.append(_shoot(page, f"40-curator-{_slug(hrefs[1])}"))
    context.close()

    for stale in set(OUT.glob("*.png")) - set(written):
        stale.unlink()
    assert all(p.stat().st_size < 400_000 for p in written), {p.name: p.stat().st_size for p in written}
