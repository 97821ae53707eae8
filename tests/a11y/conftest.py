"""A portal of its own for the accessibility survey, with the matrix's objects committed to it.

The survey gets its own database (a copy of the migrated template with the demo data) and its own
live server, so the objects made by the authorization-matrix providers never show up in the other
browser journeys.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.browser.conftest import LiveServer, browser  # noqa: F401  (one Chromium for the session)
from tests.conftest import BASE_CONFIG


@pytest.fixture(scope="session")
def a11y_app(cluster) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    from kernel.extensions import db
    from portal.app import create_app

    urls = cluster.create_from_template("a11y")
    # Static files cached by the browser (as behind a real web server): the survey opens many pages.
    application = create_app({**BASE_CONFIG, **urls, "WTF_CSRF_ENABLED": True, "TESTING": False,
                              "SEND_FILE_MAX_AGE_DEFAULT": 3600})
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    cluster.drop("a11y")


@pytest.fixture(scope="session")
def a11y_server(a11y_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(a11y_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def a11y_targets(a11y_app: Flask):  # type: ignore[no-untyped-def]
    """GET pages of the authorization matrix per role (placeholders resolved, objects committed)."""
    from tests.a11y.survey import matrix_targets

    return matrix_targets(a11y_app)


@pytest.fixture(scope="session")
def survey(browser, a11y_server: LiveServer, a11y_targets):  # type: ignore[no-untyped-def]  # noqa: F811
    """Every role's pages in Japanese, with axe-core results (crawled once per test session)."""
    from tests.a11y.survey import ROLES, survey_role

    targets, problems = a11y_targets
    checked: dict[str, str] = {}
    results = {role: survey_role(browser, a11y_server.url, role, targets[role], checked=checked) for role in ROLES}
    for result in results.values():
        result.problems[:0] = problems
    return results


@pytest.fixture(scope="session")
def survey_en(survey, a11y_app: Flask):  # type: ignore[no-untyped-def]
    """The same pages in English, fetched in-process and read without a browser (language checks)."""
    from tests.a11y.survey import ROLES, survey_in_english

    return {role: survey_in_english(a11y_app, role, [page.path for page in survey[role].pages]) for role in ROLES}


@pytest.fixture
def a11y_page(browser, a11y_server: LiveServer):  # type: ignore[no-untyped-def]  # noqa: F811
    """A fresh browser session on the survey's portal (Japanese, 1280×800)."""
    context = browser.new_context(base_url=a11y_server.url, locale="ja-JP", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()
