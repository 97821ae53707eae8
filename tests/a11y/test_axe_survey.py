"""Every page of every role passes axe-core (WCAG 2.1 AA) without serious or critical violations.

The pages are found by tests/a11y/survey.py (navigation, authorization matrix, links); the full
report of each role, minor findings included, is written to test-artifacts/a11y-<role>.json.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from tests.a11y.survey import FAILING_IMPACTS, MISSING_PAGE, ROLES
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _write_report(role: str, result) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"a11y-{role}.json").write_text(
        json.dumps(asdict(result), ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("role", ROLES)
def test_no_serious_axe_violation(survey, role: str) -> None:  # type: ignore[no-untyped-def]
    result = survey[role]
    _write_report(role, result)
    assert not result.problems, f"{role}: pages of the matrix that did not open:\n" + "\n".join(result.problems)
    expected_min = 2 if role == "anonymous" else 5
    assert len(result.pages) >= expected_min, f"{role}: only {[p.path for p in result.pages]} surveyed"
    failures = [f"{page.path} [{page.source}]: {v['id']} ({v['impact']}) {v['help']} at {v['targets']}"
                for page in result.pages for v in page.violations if v["impact"] in FAILING_IMPACTS]
    assert not failures, f"{role}: axe-core found {len(failures)} serious/critical violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_page_structure(survey, role: str) -> None:  # type: ignore[no-untyped-def]
    """Skip link first, one main landmark, one h1 then headings without skipped levels, no foreign assets."""
    failures = []
    for page in survey[role].pages:
        facts, where = page.facts, f"{page.path} [{page.source}]"
        if facts["lang"] != "ja":
            failures.append(f"{where}: <html lang={facts['lang']!r}>, expected 'ja'")
        if not facts["title"].strip():
            failures.append(f"{where}: empty <title>")
        if facts["skipTarget"] is None or not facts["skipTargetExists"]:
            failures.append(f"{where}: the first focusable element is not a working skip link")
        if facts["mains"] != 1:
            failures.append(f"{where}: {facts['mains']} <main> landmarks")
        levels = facts["headings"]
        if not levels or levels[0] != 1 or levels.count(1) != 1:
            failures.append(f"{where}: headings {levels} — one <h1> first")
        for before, after in zip(levels, levels[1:], strict=False):
            if after > before + 1:
                failures.append(f"{where}: heading level jumps from h{before} to h{after}")
        if facts["foreign"]:
            failures.append(f"{where}: assets from another host {facts['foreign']}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_linked_pages_open(survey, role: str) -> None:  # type: ignore[no-untyped-def]
    """No link or matrix page the survey met answered a server error (or dropped the connection)."""
    assert not survey[role].broken, f"{role}:\n" + "\n".join(survey[role].broken)


def test_error_page_is_surveyed(survey) -> None:  # type: ignore[no-untyped-def]
    assert any(page.path == MISSING_PAGE for page in survey["member"].pages)


def test_axe_really_runs(browser) -> None:  # type: ignore[no-untyped-def]
    """Guard against a silent survey: axe must report a page with an unlabelled control and image."""
    from tests.a11y.survey import AXE, AXE_OPTIONS

    page = browser.new_page()
    try:
        page.set_content('<html lang="ja"><head><title>t</title></head><body><main><h1>見出し</h1>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button>'
                         '<p style="color:#aaa;background:#fff">薄い文字</p></main></body></html>')
        found = {v["id"]: v["impact"] for v in AXE.run(page, options=AXE_OPTIONS).response["violations"]}
    finally:
        page.close()
    assert found.get("image-alt") == "critical" and found.get("button-name") == "critical"
    assert found.get("color-contrast") == "serious"
