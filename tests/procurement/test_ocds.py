"""The OCDS export validates against the official 1.1.5 schemas and extensions (vendored, resolved offline)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from kernel.extensions import db
from procurement import exports, services
from tests.factories.procurement import declare, make_project, user

OCDS = Path(__file__).parent / "ocds"
RELEASE_URI = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
EXTENSIONS = ("ocds_budget_breakdown_extension", "ocds_contract_buyer_extension", "ocds_lots_extension")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch (how OCDS extensions apply to the release schema)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def validator() -> Draft4Validator:
    release = json.loads((OCDS / "release-schema.json").read_text(encoding="utf-8"))
    for name in EXTENSIONS:
        release = merge_patch(release, json.loads((OCDS / "extensions" / name / "release-schema.json").read_text()))
    package = json.loads((OCDS / "release-package-schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(RELEASE_URI, Resource.from_contents(release, default_specification=DRAFT4))
    return Draft4Validator(package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def _errors(package: dict) -> list[str]:  # type: ignore[type-arg]
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(package)]


@pytest.fixture
def contracted(ctx):  # type: ignore[no-untyped-def]
    project = make_project(items=(("AI-OCR ライセンス", "licence"), ("導入研修", "set")))
    declare(project, "tenant_admin", [40, 1], intent="commit", budget=200_000)
    declare(project, "other_admin", [120, 1], intent="commit", budget=500_000)
    declare(project, "chiyoda_cio", [60, 0], intent="commit", budget=None)
    declare(project, "member", [40, 1], intent="interested", version=1)  # back to interested: not a buyer
    curator = user("curator")
    services.transition(curator, project, "survey_closed")
    services.transition(curator, project, "tendering")
    services.award(curator, project, project.quotes[0].id)
    services.transition(curator, project, "contracted")
    db.session.flush()
    return project


def test_the_schema_catches_errors() -> None:
    """Control: an invalid package is rejected, so the validation below can fail."""
    assert _errors({"uri": "x", "version": "1.1", "publisher": {}, "publishedDate": "no", "releases": []})


def test_package_validates_and_has_every_required_part(contracted) -> None:  # type: ignore[no-untyped-def]
    package = exports.ocds_package(contracted, "ocds-test99", "https://yokoten.example.jp")
    assert _errors(package) == []
    releases = package["releases"]
    assert [r["tag"] for r in releases] == [["planning"], ["tender"], ["award"], ["contract"]]
    ocid = f"ocds-test99-{contracted.id}"
    assert {r["ocid"] for r in releases} == {ocid}
    last = releases[-1]
    roles = {p["id"]: set(p["roles"]) for p in last["parties"]}
    assert roles["JP-LGC-130001"] == {"procuringEntity"}
    assert roles["JP-LGC-131083"] == {"buyer"}  # no sourceParty: the budget is not published
    assert roles["JP-LGC-131016"] == {"buyer"}  # committed (admin's own), no budget given
    assert roles["JP-JCN-1234567890123"] == {"tenderer", "supplier"}
    assert "JP-LGC-132055" not in roles  # 青梅市 went back to "interested": not named in a publication
    assert all("budget" not in r["planning"] for r in releases)
    assert len(last["tender"]["items"]) == 2 and len(last["tender"]["lots"]) == 2
    assert last["awards"][0]["value"] == {"amount": contracted.contract_total_yen, "currency": "JPY"}
    contracts = {c["buyer"]["id"]: c["value"]["amount"] for c in last["contracts"]}
    assert set(contracts) == {"JP-LGC-131016", "JP-LGC-131083"}
    assert sum(contracts.values()) == contracted.contract_total_yen
    # 江東 120 + 千代田 60 = 180 licences at 800円 (fee 100,000 by 2:1) and 1 set at 1,000円 + 100,000円 (江東 alone)
    assert contracts == {"JP-LGC-131083": 96_000 + 66_667 + 1_000 + 100_000, "JP-LGC-131016": 48_000 + 33_333}


def test_each_release_carries_the_state_at_its_date(contracted) -> None:  # type: ignore[no-untyped-def]
    """The tender release says "active" (tendering), not today's "complete"; the award release "complete"."""
    releases = {r["tag"][0]: r for r in exports.ocds_package(contracted, "ocds-t", "https://x.example.jp")["releases"]}
    assert releases["planning"]["tender"]["status"] == "planning"
    assert releases["tender"]["tender"]["status"] == "active"
    assert {lot["status"] for lot in releases["tender"]["tender"]["lots"]} == {"active"}
    assert releases["award"]["tender"]["status"] == "complete"
    assert "contracts" not in releases["award"]
    assert {c["status"] for c in releases["contract"]["contracts"]} == {"active"}
    services.transition(user("curator"), contracted, "completed")
    package = exports.ocds_package(contracted, "ocds-t", "https://x.example.jp")
    assert _errors(package) == []
    by_tag = {r["tag"][0]: r for r in package["releases"]}
    assert {c["status"] for c in by_tag["contract"]["contracts"]} == {"active"}  # unchanged by the later step
    assert {c["status"] for c in by_tag["contractTermination"]["contracts"]} == {"terminated"}


def test_units_are_japanese_and_categories_follow_the_items(ctx) -> None:  # type: ignore[no-untyped-def]
    pcs = make_project(items=(("業務用ノートPC", "device"), ("保守", "year")), title="PC 共同調達")
    declare(pcs, "tenant_admin", [10, 1], intent="commit")
    release = exports.ocds_package(pcs, "ocds-t", "https://x.example.jp")["releases"][-1]
    assert [i["unit"]["name"] for i in release["tender"]["items"]] == ["台", "年"]
    assert release["tender"]["mainProcurementCategory"] == "services"  # one each: a tie goes to services
    assert release["tender"]["additionalProcurementCategories"] == ["goods"]
    only_pcs = make_project(items=(("業務用ノートPC", "device"),), title="PC のみ")
    release = exports.ocds_package(only_pcs, "ocds-t", "https://x.example.jp")["releases"][-1]
    assert release["tender"]["mainProcurementCategory"] == "goods"
    assert "additionalProcurementCategories" not in release["tender"]
    assert release["tender"]["items"][0]["unit"]["name"] == "台"
    subscription = make_project(items=(("電子申請 利用者", "user"),), title="利用者")
    release = exports.ocds_package(subscription, "ocds-t", "https://x.example.jp")["releases"][-1]
    assert (release["tender"]["mainProcurementCategory"], release["tender"]["items"][0]["unit"]["name"]) == (
        "services", "ユーザー")


def test_the_internal_copy_carries_budgets_and_says_so(contracted) -> None:  # type: ignore[no-untyped-def]
    package = exports.ocds_package(contracted, "ocds-test99", "https://yokoten.example.jp", internal=True)
    assert _errors(package) == []
    assert "公開しないでください" in package["publisher"]["name"]
    last = package["releases"][-1]
    breakdown = {b["id"]: b["amount"] for b in last["planning"]["budget"]["budgetBreakdown"]}
    assert breakdown == {"131083": {"amount": 500_000, "currency": "JPY"}}
    roles = {p["id"]: set(p["roles"]) for p in last["parties"]}
    assert roles["JP-LGC-131083"] == {"buyer", "sourceParty"}
    assert roles["JP-LGC-132055"] == {"interestedParty"}


def test_planning_only_package_validates(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    declare(project, "member", [5])
    user("curator")
    package = exports.ocds_package(project, "ocds-test99", "https://yokoten.example.jp")
    assert _errors(package) == []
    assert [r["tag"] for r in package["releases"]] == [["planning"]]


def test_cancelled_project_package_validates(ctx) -> None:  # type: ignore[no-untyped-def]
    project = make_project()
    services.transition(user("curator"), project, "cancelled", "需要不足")
    package = exports.ocds_package(project, "ocds-test99", "https://yokoten.example.jp")
    assert _errors(package) == []
    assert package["releases"][-1]["tag"] == ["tenderCancellation"]
    assert package["releases"][-1]["tender"]["status"] == "cancelled"
