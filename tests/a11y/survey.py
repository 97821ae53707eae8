"""Crawl the portal as each role in one Chromium, run axe-core on every HTML page, collect page facts.

Which pages: the main navigation of the role, every GET row of tests/authz/*.yaml that the role may
open (expect 200; placeholders resolved with tests/authz/providers), every same-site link found on
those pages (one step; one route shape once: /cases/12 and /cases/13 are one page), and a missing
page (the error template). Pages that do not answer HTML (JSON, CSV, PDF downloads) are left out. Nothing here
names a module's pages: a new page is surveyed as soon as it is linked or listed in the matrix.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from tests.authz.matrix import ROLES, load_rows, resolve
from tests.authz.providers import load_all
from tests.conftest import ROLE_ACCOUNTS

AXE = Axe()
# WCAG 2.0/2.1 A and AA (JIS X 8341-3:2016 level AA) plus axe's best practices.
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
FAILING_IMPACTS = ("serious", "critical")
MAX_PAGES_PER_ROLE = 80
SKIP_PREFIXES = ("/static/", "/api/", "/healthz", "/readyz", "/logout", "/dev-login", "/lang")
SHAPE = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27,}|[0-9a-f]{16,})(?=/|$)")
MISSING_PAGE = "/a11y-survey-no-such-page"

# Facts read from each page in one evaluation: structure, assets, and the interface's own words
# (buttons, labels, headers, navigation…), leaving out text marked as another language, code and
# form values, for the language checks.
PAGE_FACTS_JS = r"""
() => {
  const lang = document.documentElement.getAttribute('lang');
  const focusable = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, '
    + 'summary, [tabindex]:not([tabindex="-1"])';
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    || el.classList.contains('skip-link');
  const first = [...document.querySelectorAll(focusable)].find(visible) || null;
  const skipTarget = first && first.matches('a.skip-link') ? first.getAttribute('href') : null;
  const hostOf = u => { try { return new URL(u, location.href).host; } catch (e) { return ''; } };
  const foreign = [...document.querySelectorAll('link[href], script[src], img[src], iframe[src], source[src], '
    + 'video[src], audio[src], object[data], form[action]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('data') || e.getAttribute('action'))
    .filter(u => u && !u.startsWith('data:') && !u.startsWith('#') && hostOf(u) !== location.host);
  const otherLang = el => { const owner = el.closest('[lang]'); return owner && owner.getAttribute('lang') !== lang; };
  const textOf = el => {
    let out = '';
    for (const node of el.childNodes) {
      if (node.nodeType === 3) out += node.textContent;
      else if (node.nodeType === 1) {
        const child = node;
        if (child.hasAttribute('lang') && child.getAttribute('lang') !== lang) continue;
        if (['CODE', 'KBD', 'SAMP', 'PRE', 'SCRIPT', 'STYLE', 'TEXTAREA', 'SELECT'].includes(child.tagName)) continue;
        if (child.hasAttribute('data-content')) continue;
        out += ' ' + textOf(child);
      }
    }
    return out;
  };
  const ui = [];
  const chrome = 'button, label, legend, caption, th, dt, summary, nav, .site-footer, .hint, .field-error, '
    + '.error-summary, .flash, .skip-link, .badge, [role=status], [role=alert]';
  for (const el of document.querySelectorAll(chrome)) {
    if (otherLang(el) || el.closest('[data-content]')) continue;
    const text = textOf(el).replace(/\s+/g, ' ').trim();
    if (text) ui.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
    if (otherLang(el) || el.closest('[data-content]')) continue;
    for (const attr of ['aria-label', 'title', 'placeholder', 'alt']) {
      const v = el.getAttribute(attr);
      if (v && v.trim()) ui.push(v.trim());
    }
  }
  // The structure of <main> (elements, classes, roles, which ones have text or a name), hashed: a
  // page whose main content is built exactly like one axe has already checked is not checked again.
  const main = document.querySelector('main') || document.body;
  let skeleton = '';
  for (const el of main.querySelectorAll('*')) {
    skeleton += el.tagName + '.' + (el.getAttribute('class') || '') + '['
      + ['role', 'type', 'lang', 'tabindex', 'scope', 'aria-hidden', 'aria-live', 'aria-expanded', 'disabled']
        .map(a => el.getAttribute(a) || '').join(',') + ']'
      + (el.hasAttribute('aria-label') || el.hasAttribute('alt') || el.hasAttribute('title') ? 'N' : '')
      + ((el.textContent || '').trim() ? 'T' : '') + ';';
  }
  let hash = 0;
  for (let i = 0; i < skeleton.length; i++) hash = (hash * 31 + skeleton.charCodeAt(i)) | 0;
  return {
    structure: document.title.length > 0 ? String(hash) + ':' + skeleton.length : '',
    lang,
    title: document.title,
    mains: document.querySelectorAll('main').length,
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1])),
    skipTarget,
    skipTargetExists: !!(skipTarget && skipTarget.startsWith('#') && document.getElementById(skipTarget.slice(1))),
    foreign,
    ui,
    links: [...document.querySelectorAll('a[href]')].filter(a => !a.hasAttribute('download'))
      .map(a => a.href),
  };
}
"""


@dataclass
class PageReport:
    role: str
    path: str
    source: str  # navigation / matrix row / link from … / error page
    facts: dict[str, Any]
    violations: list[dict[str, Any]]
    axe: str = "checked"  # or "same structure as <role> <path>" when axe had already checked it


@dataclass
class RoleSurvey:
    role: str
    pages: list[PageReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not HTML, or not 200
    problems: list[str] = field(default_factory=list)  # a matrix page that did not open, a provider failure
    broken: list[str] = field(default_factory=list)  # a linked page that answered 5xx or not at all


def shape(path: str) -> str:
    """The route shape of a path: ids replaced, query dropped (one page per shape is surveyed)."""
    return SHAPE.sub("/{id}", urlsplit(path).path.rstrip("/") or "/")


def matrix_targets(app: Flask) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """GET rows of the matrix that answer 200 per role, with placeholders resolved (objects committed)."""
    from kernel.extensions import db

    providers = load_all()
    resolved: dict[str, str] = {}
    targets: dict[str, list[tuple[str, str]]] = {role: [] for role in ROLES}
    problems: list[str] = []
    for row in load_rows():
        if row.method != "GET":
            continue
        roles = [role for role in ROLES if row.expect.get(role) == 200]
        if not roles:
            continue
        if row.path not in resolved:
            with app.test_request_context():
                try:
                    resolved[row.path] = resolve(row.path, providers)
                    db.session.commit()
                except Exception as error:  # noqa: BLE001 - reported as a survey problem, with the row
                    db.session.rollback()
                    problems.append(f"{row.source}: {row.id}: provider failed: {error!r}")
                    continue
                finally:
                    db.session.remove()
        for role in roles:
            targets[role].append((resolved[row.path], f"matrix {row.source}: {row.endpoint}"))
    return targets, problems


def login_role(page, role: str) -> None:  # type: ignore[no-untyped-def]
    _tenant, email = ROLE_ACCOUNTS[role]
    page.goto("/login")
    page.locator(f'button[data-email="{email}"]').click()
    page.wait_for_url("**/")


def _open(page, url: str) -> tuple[bool, int]:  # type: ignore[no-untyped-def]
    """Open ``url``: (answers HTML, status); a redirect counts as 302, a download as not HTML, and a
    connection the server dropped as status 0."""
    try:
        response = page.goto(url, timeout=10000)
    except Exception as error:  # noqa: BLE001 - reported below, never fatal for the survey
        return False, (200 if "Download is starting" in str(error) else 0)
    if response is None:
        return False, 0
    if response.request.redirected_from is not None:
        return False, 302
    return response.headers.get("content-type", "").startswith("text/html"), response.status


def survey_role(browser, base_url: str, role: str, matrix: list[tuple[str, str]],  # type: ignore[no-untyped-def]
                lang: str = "ja", run_axe: bool = True, checked: dict[str, str] | None = None,
                shared_seen: set[str] | None = None) -> RoleSurvey:
    """Visit every page the role can reach; run axe on each (unless run_axe is off).

    ``checked`` (shared between roles) maps the structure of a page's main content to the page axe
    checked for it; the same structure seen by another role is not checked twice. The first page of
    each role (its home, with the role's own header and navigation) is always checked."""
    checked = {} if checked is None else checked
    shared_seen = set() if shared_seen is None else shared_seen  # shapes another role already visited
    result = RoleSurvey(role)
    context = browser.new_context(base_url=base_url, locale="ja-JP", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        if role != "anonymous":
            login_role(page, role)
        else:
            page.goto("/login")
        if lang != "ja":
            page.locator('form[action$="/lang"] button[name="lang"]').click()
            page.wait_for_load_state()
        # (path, where it was found, must it open, follow its links): links are followed one step from
        # the navigation, the home page and the matrix pages (the matrix already lists every route).
        queue: deque[tuple[str, str, bool]] = deque()
        nav = page.eval_on_selector_all("nav.site-nav a[href]", "els => els.map(a => a.getAttribute('href'))")
        for href in nav:
            queue.append((href, "navigation", True))
        queue.append(("/" if role != "anonymous" else "/login", "home", True))
        for path, source in matrix:
            queue.append((path, source, True))
        queue.append((MISSING_PAGE, "error page", False))
        seen: set[str] = set()
        host = urlsplit(base_url).netloc
        while queue and len(result.pages) < MAX_PAGES_PER_ROLE:
            path, source, must_open = queue.popleft()
            key = shape(path)
            if key in seen or (key in shared_seen and result.pages):
                continue
            seen.add(key)
            ok, status = _open(page, path)
            if status == 0 or status >= 500:
                result.broken.append(f"{path} ({source}) answered {status or 'nothing (connection dropped)'}")
                continue
            if not ok or (status != 200 and path != MISSING_PAGE):
                if must_open and source.startswith("matrix") and status == 200:
                    result.skipped.append(f"{path} (not HTML)")
                elif must_open and source != "home":
                    result.problems.append(f"{path} ({source}) answered {status}")
                continue
            facts = page.evaluate(PAGE_FACTS_JS)
            violations: list[dict[str, Any]] = []
            axe_state = "not run"
            seen_before = checked.get(facts["structure"]) if result.pages else None
            if run_axe and seen_before:
                axe_state = f"same structure as {seen_before}"
            elif run_axe:
                axe_state = "checked"
                checked.setdefault(facts["structure"], f"{role} {path}")
                response = AXE.run(page, options=AXE_OPTIONS).response
                violations = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                               "targets": [n["target"] for n in v["nodes"][:5]]}
                              for v in response["violations"]]
            result.pages.append(PageReport(role, path, source, facts, violations, axe_state))
            shared_seen.add(key)
            links = facts.pop("links")
            if source.startswith("link from"):
                continue
            for link in links:
                parts = urlsplit(urljoin(base_url + path, link))
                if parts.netloc != host or parts.path.startswith(SKIP_PREFIXES):
                    continue
                local = parts.path + (f"?{parts.query}" if parts.query else "")
                queue.append((local, f"link from {path}", False))
    finally:
        context.close()
    return result


class _InterfaceText(HTMLParser):
    """The interface's words of an HTML page, as PAGE_FACTS_JS reads them in the browser: text of
    buttons, labels, table headers, navigation, hints and messages, and accessible names, leaving out
    text marked with another language, code and [data-content]."""

    CHROME_TAGS = {"button", "label", "legend", "caption", "th", "dt", "summary", "nav"}
    CHROME_CLASSES = {"site-footer", "hint", "field-error", "error-summary", "flash", "skip-link", "badge"}
    SKIP_TAGS = {"code", "kbd", "samp", "pre", "script", "style", "textarea", "select"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    ATTRS = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.stack: list[tuple[str, bool, list[str] | None]] = []  # (tag, skipped, chrome buffer)
        self.ui: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = values.get("lang", "")
            return
        skipped = (tag in self.SKIP_TAGS or "data-content" in values
                   or ("lang" in values and values["lang"] != self.lang))
        inside_skip = any(s for _t, s, _b in self.stack)
        if not skipped and not inside_skip:
            self.ui.extend(values[a].strip() for a in self.ATTRS if values.get(a, "").strip())
        chrome = (tag in self.CHROME_TAGS or bool(self.CHROME_CLASSES & set(values.get("class", "").split()))
                  or values.get("role") in ("status", "alert"))
        if tag not in self.VOID:
            self.stack.append((tag, skipped, [] if chrome and not skipped and not inside_skip else None))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for _tag, _skipped, buffer in self.stack[index:]:
                    text = re.sub(r"\s+", " ", " ".join(buffer)).strip() if buffer is not None else ""
                    if text:
                        self.ui.append(text)
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if any(s for _t, s, _b in self.stack):
            return
        for _tag, _skipped, buffer in self.stack:
            if buffer is not None:
                buffer.append(data)


def interface_text(html: str) -> dict[str, Any]:
    parser = _InterfaceText()
    parser.feed(html)
    parser.close()
    return {"lang": parser.lang, "ui": parser.ui}


def english_pages(app: Flask, role: str, paths: list[str]) -> list[tuple[str, str]]:
    """(path, HTML) of the given pages fetched in English in-process."""
    from tests.conftest import login

    client = app.test_client()
    if role != "anonymous":
        login(client, role)
    with client.session_transaction() as session:
        session["lang"] = "en"
    pages = []
    for path in paths:
        response = client.get(path)
        if response.mimetype == "text/html":
            pages.append((path, response.get_data(as_text=True)))
    return pages


def survey_in_english(app: Flask, role: str, paths: list[str]) -> RoleSurvey:
    """The pages the (Japanese) survey visited, fetched again in English in-process (no browser)."""
    result = RoleSurvey(role)
    for path, html in english_pages(app, role, paths):
        result.pages.append(PageReport(role, path, "English", interface_text(html), [], "not run"))
    return result
