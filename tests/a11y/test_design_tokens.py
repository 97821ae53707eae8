"""Colour contrast from the design tokens (WCAG 2.1 AA, JIS X 8341-3): 4.5:1 for text, 3:1 for large
text, borders of controls and the focus indicator. The pairs are the ones portal.css uses; the colours
are resolved from portal.css's custom properties and the vendored Digital Agency tokens."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
VAR = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);")


def _variables() -> dict[str, str]:
    values: dict[str, str] = {}
    for css in (STATIC / "vendor/design-tokens/tokens.css", STATIC / "css/portal.css"):
        values.update({name: value.strip() for name, value in VAR.findall(css.read_text(encoding="utf-8"))})
    return values


def colour(name: str, values: dict[str, str] | None = None) -> tuple[int, int, int]:
    """Resolve var(--a, #fallback) chains to an RGB triple."""
    values = values or _variables()
    value = values[name]
    for _ in range(10):
        match = re.fullmatch(r"var\((--[\w-]+)(?:\s*,\s*(.+))?\)", value)
        if not match:
            break
        value = values.get(match.group(1)) or (match.group(2) or "")
    hex_value = value.lstrip("#")
    if len(hex_value) == 3:
        hex_value = "".join(c * 2 for c in hex_value)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", hex_value), f"{name} is not a solid colour: {value}"
    return int(hex_value[0:2], 16), int(hex_value[2:4], 16), int(hex_value[4:6], 16)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def luminance(rgb: tuple[int, int, int]) -> float:
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (foreground, background, minimum ratio, where portal.css uses the pair)
PAIRS = [
    ("--yk-text", "--yk-bg", 4.5, "body text"),
    ("--yk-text", "--yk-surface", 4.5, "table headers, flashes"),
    ("--yk-muted", "--yk-bg", 4.5, "hints, footer, subtitles"),
    ("--yk-muted", "--yk-surface", 4.5, "hints on grey panels"),
    ("--yk-primary", "--yk-bg", 4.5, "links, secondary buttons, badges"),
    ("--yk-primary", "--yk-surface", 4.5, "secondary button hover"),
    ("--yk-primary-dark", "--yk-bg", 4.5, "link hover"),
    ("--yk-bg", "--yk-primary", 4.5, "primary buttons"),
    ("--yk-bg", "--yk-primary-dark", 4.5, "primary button hover"),
    ("--yk-bg", "--yk-error", 4.5, "danger buttons"),
    ("--yk-error", "--yk-bg", 4.5, "error messages"),
    ("--yk-error", "--yk-surface", 4.5, "error flashes"),
    ("--yk-success", "--yk-surface", 4.5, "success flashes"),
    ("--yk-text", "--yk-focus", 4.5, "highlighted search terms (mark)"),
    ("--yk-border", "--yk-bg", 3.0, "borders of text fields (non-text contrast)"),
    ("--yk-text", "--yk-bg", 3.0, "dark edge of the focus ring"),
    ("--yk-focus", "--yk-primary", 3.0, "focus ring on a primary button"),
]


@pytest.mark.parametrize(("fg", "bg", "minimum", "use"), PAIRS, ids=[p[3] for p in PAIRS])
def test_token_contrast(fg: str, bg: str, minimum: float, use: str) -> None:
    values = _variables()
    ratio = contrast(colour(fg, values), colour(bg, values))
    assert ratio >= minimum, f"{use}: {fg} on {bg} is {ratio:.2f}:1, needs {minimum}:1"


def test_contrast_formula() -> None:
    assert round(contrast((0, 0, 0), (255, 255, 255)), 1) == 21.0
    assert round(contrast((0x76, 0x76, 0x76), (255, 255, 255)), 2) == 4.54
