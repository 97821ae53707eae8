"""Objects of the awards for the authorization matrix: one scenario per test (tests/factories/awards.py), kept in
``flask.g`` so that every placeholder of a row (path and data) names the same programme.

award_* = a programme being judged (its rubric frozen); award_open_* = a programme still taking entries, before
judging, whose rubric can change."""
from __future__ import annotations

from flask import g

from tests.authz.providers import provides


def _scenario():  # type: ignore[no-untyped-def]
    if "awards_scenario" not in g:
        from tests.factories.awards import build

        g.awards_scenario = build()
    return g.awards_scenario


@provides("award_programme")
def award_programme(owner: str) -> str:
    return str(_scenario().programme_id)


@provides("award_category")
def award_category(owner: str) -> str:
    return str(_scenario().category_id)


@provides("award_criterion")
def award_criterion(owner: str) -> str:
    return str(_scenario().criterion_id)


@provides("award_entry")
def award_entry(owner: str) -> str:
    s = _scenario()
    return str(s.entry_own if owner == "own" else s.entry_other)


@provides("award_entry_file")
def award_entry_file(owner: str) -> str:
    s = _scenario()
    return str(s.file_own if owner == "own" else s.file_other)


@provides("award_submission")
def award_submission(owner: str) -> str:
    s = _scenario()
    return str(s.submission_own if owner == "own" else s.submission_other)


@provides("award_code")
def award_code(owner: str) -> str:
    """The judge code of 青梅市's (own) or 江東区's (other) submitted entry."""
    from awards.blind import judge_code

    return judge_code(int(award_submission(owner)))


@provides("award_judge")
def award_judge(owner: str) -> str:
    return str(_scenario().judge_id)


@provides("award_assignment")
def award_assignment(owner: str) -> str:
    return str(_scenario().assignment_id)


@provides("award_sheet")
def award_sheet(owner: str) -> str:
    return str(_scenario().sheet_id)


def _open_rubric():  # type: ignore[no-untyped-def]
    if "awards_open_rubric" not in g:
        from tests.factories.awards import build_open_rubric

        g.awards_open_rubric = build_open_rubric()
    return g.awards_open_rubric


@provides("award_open_programme")
def award_open_programme(owner: str) -> str:
    return str(_open_rubric().programme_id)


@provides("award_open_category")
def award_open_category(owner: str) -> str:
    return str(_open_rubric().category_id)


@provides("award_open_criterion")
def award_open_criterion(owner: str) -> str:
    return str(_open_rubric().criterion_id)


@provides("award_pending_entry")
def award_pending_entry(owner: str) -> str:
    """An entry of the scenario's programme awaiting its administrator's approval (青梅市's or 江東区's)."""
    from awards import services
    from awards.models import Programme
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tests.factories.awards import pdf_bytes
    from tests.factories.tenants import user_of

    tenant, email = ("132055", "member@ome.example.jp") if owner == "own" else ("131083", "member@koto.example.jp")
    scenario = _scenario()
    member = user_of(tenant, email)
    programme = db.session.get(Programme, scenario.programme_id)
    entry = services.create_entry(member, programme, scenario.category_id, {"title": "承認待ち", "summary": "概要"})
    services.add_file(member, entry, "説明.pdf", pdf_bytes())
    services.request_approval(member, entry, programme)
    bind_tenant(None)
    return str(entry.id)


@provides("award_pool_judge")
def award_pool_judge(owner: str) -> str:
    """The TMG judge as the judge list offers them (``<tenant>:<user id>``), listed in the judge pool."""
    from awards.judging import ensure_in_pool
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE
    from tests.factories.tenants import user_of

    judge = user_of(TMG_CODE, "judge@metro.tokyo.example.jp")
    ensure_in_pool(judge)
    bind_tenant(None)
    return f"{TMG_CODE}:{judge.id}"


@provides("award_published_submission")
def award_published_submission(owner: str) -> str:
    """A submitted entry of the scenario's programme once the curator published its results (江東区's is scored)."""
    from awards import judging
    from awards.models import Programme
    from kernel.extensions import db
    from tenants.context import bind_tenant
    from tenants.models import TMG_CODE
    from tests.factories.tenants import user_of

    scenario = _scenario()
    programme = db.session.get(Programme, scenario.programme_id)
    judging.publish(user_of(TMG_CODE, "curator@metro.tokyo.example.jp"), programme)
    bind_tenant(None)
    return award_submission(owner)
