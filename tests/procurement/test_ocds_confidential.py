"""Property: nothing of procurement.confidential reaches the public OCDS package, whatever the project.

Hypothesis generates projects through the real services (three municipalities with any intent, any
budget, contact data and remarks, withdrawals, quotes with notes, any final stage) in a savepoint per
example. Budgets are drawn from a range no published amount can reach (≥ 10^10 yen), and every
personal or internal text carries a marker, so a leak cannot hide behind a coincidence.
"""
from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.extensions import db
from procurement import exports, services
from procurement.confidential import CONFIDENTIAL_FIELDS, UNPUBLISHED_DECLARATION_STATUSES
from procurement.models import Declaration
from tests.factories.procurement import SETUP_FEE, TIERS, declare, make_project, user

ACCOUNTS = {"132055": ("tenant_admin", "member"), "131083": ("other_admin", "other_member"),
            "131016": ("chiyoda_cio", "chiyoda_member")}
BUDGET_FLOOR = 10**10
MARK = "秘匿"

municipality = st.fixed_dictionaries({
    "intent": st.sampled_from(["none", "interested", "commit_admin", "commit_member", "withdraw"]),
    "budget": st.one_of(st.none(), st.integers(BUDGET_FLOOR, 9 * BUDGET_FLOOR)),
    "quantities": st.lists(st.integers(1, 300), min_size=2, max_size=2),
    "phone": st.from_regex(r"0[1-9]-[0-9]{4}-[0-9]{4}", fullmatch=True),
    "remarks": st.text(alphabet="予算要求中内部調整あいう", min_size=1, max_size=12),
})
scenario = st.fixed_dictionaries({
    "municipalities": st.fixed_dictionaries({code: municipality for code in ACCOUNTS}),
    "stage": st.sampled_from(["demand_survey", "tendering", "awarded", "contracted", "completed", "cancelled"]),
    "notes": st.text(alphabet="値引き交渉余地あり", min_size=1, max_size=10),
})


def _numbers(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _build(data: dict[str, Any]) -> tuple[Any, dict[str, dict[str, Any]]]:
    project = make_project(items=(("AI-OCR ライセンス", "licence"), ("導入研修", "set")), with_quote=False)
    services.add_quote(user("curator"), project, "株式会社テスト", "1234567890123", f"{MARK}{data['notes']}",
                       {item.id: (SETUP_FEE, TIERS) for item in project.items})
    secrets: dict[str, dict[str, Any]] = {}
    for code, spec in data["municipalities"].items():
        if spec["intent"] == "none":
            continue
        admin, member = ACCOUNTS[code]
        who = member if spec["intent"] == "commit_member" else admin
        intent = {"interested": "interested", "withdraw": "interested"}.get(spec["intent"], "commit")
        actor = user(who)
        saved = declare(project, who, spec["quantities"], intent=intent, budget=spec["budget"])
        saved.contact_name, saved.contact_phone = f"{MARK}{actor.display_name}", spec["phone"]
        saved.remarks = f"{MARK}{spec['remarks']}"
        db.session.flush()
        if spec["intent"] == "withdraw":
            declare(project, who, spec["quantities"], intent="withdraw", budget=spec["budget"],
                    version=saved.version)
        secrets[code] = {"budget": spec["budget"], "email": actor.email, "phone": spec["phone"]}
    curator = user("curator")
    committed = db.session.query(Declaration).filter_by(project_id=project.id, status="committed").count()
    path = {"demand_survey": [], "tendering": ["survey_closed", "tendering"], "cancelled": ["cancelled"]}.get(
        data["stage"], ["survey_closed", "tendering", "award", "contracted", "completed"])
    if data["stage"] in ("awarded", "contracted"):
        path = path[:path.index("award") + (1 if data["stage"] == "awarded" else 2)]
    for step in path:
        if step == "award":
            if not committed:
                break
            services.award(curator, project, project.quotes[0].id)
        else:
            services.transition(curator, project, step, "需要不足" if step == "cancelled" else "")
    db.session.flush()
    return project, secrets


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=scenario)
def test_no_confidential_field_reaches_the_public_package(ctx, data: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    savepoint = db.session.begin_nested()
    try:
        project, secrets = _build(data)
        user("curator")  # exported by the organiser, who may read every declaration
        statuses = {d.tenant_id: d.status for d in db.session.query(Declaration).filter_by(project_id=project.id)}
        package = exports.ocds_package(project, "ocds-prop", "https://yokoten.example.jp")
        text = json.dumps(package, ensure_ascii=False)
        assert MARK not in text  # contact names, remarks, quote notes
        for code, secret in secrets.items():
            assert secret["email"] not in text and secret["phone"] not in text
            if statuses.get(code) in UNPUBLISHED_DECLARATION_STATUSES:
                assert f"JP-LGC-{code}" not in text, (code, statuses[code])
        assert max(_numbers(package), default=0) < BUDGET_FLOOR  # no budget ceiling, nor a sum of them
        assert '"budget"' not in text and "budgetBreakdown" not in text and "sourceParty" not in text
        internal = json.dumps(exports.ocds_package(project, "ocds-prop", "https://x.example.jp", internal=True),
                              ensure_ascii=False)
        if any(s["budget"] for c, s in secrets.items() if statuses.get(c) == "committed"):
            assert "budgetBreakdown" in internal  # control: the generator does produce confidential data
    finally:
        savepoint.rollback()


def test_the_confidential_list_names_real_columns() -> None:
    from procurement import models

    for name in CONFIDENTIAL_FIELDS:
        model, column = name.split(".")
        assert column in getattr(models, model).__table__.columns, name
