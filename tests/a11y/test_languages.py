"""Japanese complete and natural, English complete: catalogues, templates, Python sources, rendered pages.

- Catalogues: every Japanese string is Japanese (no English left in it but acronyms and product
  names), keeps the placeholders of its English id, and every id is English (the English UI).
- Templates and Python: no words shown to users outside the translation functions (they would be
  English in the Japanese UI, or Japanese in the English one).
- Rendered pages (the survey's pages of every role): the interface's words (buttons, labels, table
  headers, navigation, messages, accessible names) have no English in Japanese and no Japanese in
  English, text marked with another ``lang`` (names, code) aside.
"""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.a11y.survey import ROLES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "tenants", "casebook", "procurement", "awards", "workload", "support")
CATALOGUES = sorted(ROOT.glob("*/translations/ja/LC_MESSAGES/messages.po"))
TEMPLATES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).glob("templates/**/*.html"))
SOURCES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "translations" not in p.parts)

JAPANESE = re.compile(r"[\u3041-\u30fa\u30fc-\u30ff\u3400-\u9fff\uff66-\uff9f々〆〇]")
# A word with a lower-case letter: acronyms (API, CSV, OCDS, DX, SSO, ID) are fine in Japanese text.
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_./@:-])[A-Za-z]*[a-z][A-Za-z]*(?:['’][a-z]+)?(?![A-Za-z0-9_@])")
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sd]|\{[a-z_0-9]*\}")
# Addresses, paths, file names and commands to type (`flask sso keys rotate`) are not English prose.
URLISH = re.compile(r"\S+@\S+|https?://\S+|/[\w./{}-]+|\b[\w-]+\.(?:jp|com|org|json|csv|xlsx|pdf)\b"
                    r"|\bflask(?: [a-z][\w-]*)+")
# Product names, standards and units kept as they are in Japanese text.
ALLOWED_IN_JAPANESE = {
    "OpenID", "Connect", "Excel", "Microsoft", "Google", "LoGo", "kintone", "Slack", "Teams", "LINE", "Zoom",
    "Chromium", "Playwright", "Yokoten", "GovTech", "Tokyo", "Markdown", "JSON", "Base64", "Reiwa", "Heisei",
    "Showa", "e", "mail", "Web", "web", "px", "mm", "pt", "kg", "iPhone", "iPad", "Android", "Windows", "Mac",
    "Wi", "Fi", "QR", "No", "vs", "etc", "https", "http", "cm", "km", "Box", "Zip", "zip", "tenant_id",
    "Entra", "Graph", "Keycloak", "Okta", "Azure",
}
ALLOWED_ENGLISH_IDS = {"日本語"}  # the language switch names each language in itself


def _catalogue(po: Path):  # type: ignore[no-untyped-def]
    with po.open("rb") as handle:
        return read_po(handle)


def _texts(message) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return list(zip(ids + ids[-1:] * (len(strings) - len(ids)), strings, strict=False))


def english_leftovers(text: str) -> list[str]:
    """English words of a text (placeholders, URLs, addresses, acronyms and known names aside)."""
    text = URLISH.sub(" ", PLACEHOLDER.sub(" ", text))
    return [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_IN_JAPANESE]


WORD = r"[A-Za-z]+(?:['’][a-z]+)?"
ENGLISH_PHRASE = re.compile(rf"{WORD}(?:[ \t]+{WORD}){{2,}}")


def untranslated(text: str) -> list[str]:
    """What in a Japanese text is left in English: all of it when it has no Japanese at all; else any
    English phrase of three words or more (a technical term such as IdP or issuer may stay)."""
    if not JAPANESE.search(text):
        return english_leftovers(text)
    text = URLISH.sub(" ", PLACEHOLDER.sub(" ", text))
    return [phrase for phrase in ENGLISH_PHRASE.findall(text)
            if english_leftovers(phrase) and not all(w in ALLOWED_IN_JAPANESE or w.isupper() for w in phrase.split())]


@pytest.mark.parametrize("po", CATALOGUES, ids=[p.parts[-5] for p in CATALOGUES])
def test_japanese_catalogue_is_japanese(po: Path) -> None:
    problems = []
    for message in _catalogue(po):
        if not message.id:
            continue
        for msgid, msgstr in _texts(message):
            if not msgstr:
                continue  # tests/kernel/test_i18n_catalogues.py reports missing translations
            if JAPANESE.search(msgid) and not english_leftovers(msgid) and msgid not in ALLOWED_ENGLISH_IDS:
                problems.append(f"message id is not English (the English UI shows it): {msgid!r}")
            if leftovers := untranslated(msgstr):
                problems.append(f"English left in the Japanese of {msgid!r}: {leftovers} in {msgstr!r}")
            if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                problems.append(f"placeholders differ: {msgid!r} → {msgstr!r}")
    assert not problems, f"{po.relative_to(ROOT)}:\n" + "\n".join(problems)


class _TagStack(HTMLParser):
    """An HTML parser that keeps the open elements, each with a flag (skipped, or marked), and the
    texts it found. An end tag closes the innermost open element of that name and those inside it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break


class _TemplateText(_TagStack):
    """Collects literal text and user-facing attributes of a template with its Jinja code removed."""

    SKIP = {"script", "style", "code", "kbd", "samp", "pre"}
    ATTRS = {"aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"}

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in self.SKIP or "lang" in values
        if not skip and not self._skipping():
            self.found.extend(v for k, v in attrs if k in self.ATTRS and v and v.strip())
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.found.append(data.strip())


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def literal_texts(source: str) -> list[str]:
    parser = _TemplateText()
    parser.feed(JINJA.sub(" ", source))
    return parser.found


def _words(text: str) -> bool:
    """Text a person reads: Japanese, or an English word (not punctuation, numbers, symbols)."""
    return bool(JAPANESE.search(text) or english_leftovers(text))


def test_templates_have_no_untranslated_text() -> None:
    problems = []
    for path in TEMPLATES:
        for text in literal_texts(path.read_text(encoding="utf-8")):
            if _words(text):
                problems.append(f"{path.relative_to(ROOT)}: {text[:80]!r} is outside _()")
    assert not problems, "text in templates must go through _() (or carry a lang attribute):\n" + "\n".join(problems)


# Calls whose string arguments reach the user: flash(...), form fields' labels, validators' messages,
# the errors that services raise for the user (ServiceError and its subclasses).
USER_FACING_CALLS = {"flash", "ValidationError", "ServiceError", "abort_with", "Figure"}
FIELD_SUFFIXES = ("Field",)


def _is_domain(relative: Path) -> bool:
    """The modules built beside the foundation (casebook, procurement, awards, tenants/sso/), and
    tenants/services.py, whose messages share the catalogue the SSO module is filling right now."""
    return relative.parts[0] in ("casebook", "procurement", "awards") or relative.parts[:2] == ("tenants", "sso") or (
        relative.parts[0] == "tenants" and relative.name == "services.py")


def _service_error_names(trees: list[ast.AST]) -> set[str]:
    """ServiceError and the classes derived from it anywhere in the code."""
    names = {"ServiceError"}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in names for b in node.bases):
                names.add(node.name)
    return names


def _literal_user_strings(tree: ast.AST, calls: set[str] = USER_FACING_CALLS) -> list[tuple[int, str, str]]:
    """(line, text, called name) of literal strings given to calls that show them to the user."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        candidates: list[ast.expr] = []
        field = name.endswith(FIELD_SUFFIXES)
        if name in calls or field:
            candidates.extend(node.args[:1])
        candidates.extend(kw.value for kw in node.keywords
                          if kw.arg == "message" or (field and kw.arg in ("label", "description")))
        for arg in candidates:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _words(arg.value):
                found.append((node.lineno, arg.value, name))
            elif isinstance(arg, ast.JoinedStr):
                found.append((node.lineno, ast.unparse(arg), name))
    return found


def _untranslated_in_sources() -> tuple[list[str], list[str]]:
    """(problems outside the domains' service errors, literal service errors of the domain packages)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    service_errors = _service_error_names(list(trees.values()))
    problems, domain_errors = [], []
    for path, tree in trees.items():
        relative = path.relative_to(ROOT)
        for line, text, name in _literal_user_strings(tree, USER_FACING_CALLS | service_errors):
            entry = f"{relative}:{line}: {text[:80]!r} not wrapped in _() / _l()"
            (domain_errors if name in service_errors and _is_domain(relative) else problems).append(entry)
    return problems, domain_errors


def test_python_user_strings_are_translated() -> None:
    problems, _domain_errors = _untranslated_in_sources()
    assert not problems, "\n".join(problems)


def test_domain_service_errors_are_translated() -> None:
    """Service errors are ``ServiceError(_("English"))``: a Japanese literal would show untranslated in
    the English interface."""
    _problems, domain_errors = _untranslated_in_sources()
    assert not domain_errors, (f"{len(domain_errors)} service errors are Japanese literals, shown untranslated "
                               "in English:\n" + "\n".join(domain_errors))


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_rendered_japanese_pages_have_no_english(survey, role: str) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for page in survey[role].pages:
        for text in page.facts["ui"]:
            if leftovers := untranslated(text):
                problems.append(f"{page.path}: {leftovers} in {text[:100]!r}")
    assert not problems, f"{role}: English in the Japanese interface:\n" + "\n".join(sorted(set(problems)))


def japanese_interface_strings() -> list[re.Pattern[str]]:
    """Every Japanese translation of the catalogues as a pattern (placeholders match anything)."""
    patterns = []
    for po in CATALOGUES:
        for message in _catalogue(po):
            for _msgid, msgstr in _texts(message) if message.id else []:
                # Two-character words (効果, 状態) are as likely content as interface: left out.
                if msgstr and len(JAPANESE.findall(msgstr)) >= 3:
                    parts = PLACEHOLDER.split(re.sub(r"\s+", " ", msgstr.strip()))
                    patterns.append(re.compile(".+?".join(re.escape(part) for part in parts)))
    return patterns


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_rendered_english_pages_are_complete(survey_en, role: str) -> None:  # type: ignore[no-untyped-def]
    """No text of the English interface is a Japanese string of the catalogues (a translation shown in
    the wrong language, e.g. computed once at import). Japanese content (titles, names) may appear."""
    patterns = japanese_interface_strings()
    problems = []
    for page in survey_en[role].pages:
        if page.facts["lang"] != "en":
            problems.append(f"{page.path}: <html lang={page.facts['lang']!r}> in the English interface")
        for text in page.facts["ui"]:
            if JAPANESE.search(text) and any(p.fullmatch(text) for p in patterns):
                problems.append(f"{page.path}: the Japanese interface string {text[:100]!r}")
    assert not problems, f"{role}: the English interface is not complete:\n" + "\n".join(sorted(set(problems)))


def test_the_leftover_detector() -> None:
    assert untranslated("Save") == ["Save"]
    assert untranslated("保存しました") == []
    assert untranslated("事例を Save the case して") == ["Save the case"]
    assert untranslated("IdP のログアウトへ進む") == []  # a technical term may stay
    assert untranslated("PDF、CSV（%(mb)s MB まで）") == [] and untranslated("%(name)s") == []
    assert untranslated("Microsoft Teams の会議") == []
    assert literal_texts('<p>{{ _("Hello") }}</p><p>Hello there</p><code>x = 1</code><span lang="en">Ome</span>') \
        == ["Hello there"]



class _UnmarkedJapanese(_TagStack):
    """Text with Japanese script that no element marks as Japanese (``lang="ja"``), in an English page.

    Form controls' own values (textarea, select) and code are left out: the control is labelled in
    the interface language and its value is the person's own input."""

    SKIP = {"script", "style", "code", "kbd", "samp", "pre", "textarea", "select", "title"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        lang = dict(attrs).get("lang")
        parent_tag, parent_flag = self.stack[-1] if self.stack else ("", False)
        marked = (lang or "").startswith("ja") if lang is not None else parent_flag
        self.stack.append((tag, marked or tag in self.SKIP or parent_tag in self.SKIP))

    def handle_data(self, data: str) -> None:
        if data.strip() and JAPANESE.search(data) and not (self.stack and self.stack[-1][1]):
            self.found.append(re.sub(r"\s+", " ", data.strip()))


def unmarked_japanese(html: str) -> list[str]:
    parser = _UnmarkedJapanese()
    parser.feed(html)
    parser.close()
    return parser.found


def english_ids_with_japanese() -> list[re.Pattern[str]]:
    """English interface strings that quote Japanese on purpose (an example of what to type)."""
    patterns = []
    for po in CATALOGUES:
        for message in _catalogue(po):
            for msgid, _msgstr in _texts(message) if message.id else []:
                if JAPANESE.search(msgid) and msgid not in ALLOWED_ENGLISH_IDS:
                    parts = PLACEHOLDER.split(re.sub(r"\s+", " ", msgid.strip()))
                    patterns.append(re.compile(".*?".join(re.escape(part) for part in parts)))
    return patterns


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_english_pages_mark_japanese_content(survey, a11y_app, role: str) -> None:  # type: ignore[no-untyped-def]
    """In the English interface, Japanese content (titles, names, case text) carries lang="ja", so that
    a screen reader reads it with a Japanese voice (WCAG 3.1.2, language of parts)."""
    from tests.a11y.survey import english_pages

    allowed = english_ids_with_japanese()
    problems = []
    for path, html in english_pages(a11y_app, role, [page.path for page in survey[role].pages]):
        for text in unmarked_japanese(html):
            if not any(p.search(text) for p in allowed):
                problems.append(f"{path}: {text[:80]!r}")
    assert not problems, f"{role}: Japanese text without lang=\"ja\" in the English interface:\n" + \
        "\n".join(problems[:400])


def test_the_unmarked_japanese_detector() -> None:
    assert unmarked_japanese('<p>Title: <span lang="ja">窓口</span></p>') == []
    assert unmarked_japanese('<h1>窓口</h1><p lang="ja">a<b>申請</b></p><textarea>本文</textarea>') == ["窓口"]
    assert unmarked_japanese('<div lang="ja"><p lang="en">電子</p></div>') == ["電子"]
