"""A ready programme for tests and the authorization matrix (inside the test's rolled-back transaction).

青梅市 (own) and 江東区 (other) each have a draft entry with a PDF and a submitted entry; the TMG
judge is a judge of the programme assigned to its category and has submitted a score for 江東区's
entry; judging and entries are both open.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import TMG_CODE
from tests.factories.tenants import user_of as user

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class Scenario:
    programme_id: int
    category_id: int
    criterion_id: int
    entry_own: int
    entry_other: int
    file_own: int
    file_other: int
    submission_own: int
    submission_other: int
    submission_file: int
    judge_id: int
    assignment_id: int
    sheet_id: int




def pdf_bytes(title: str = "", author: str = "") -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if title or author:
        writer.add_metadata({"/Title": title, "/Author": author, "/Creator": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build() -> Scenario:
    from awards import judging, services
    from awards.services import CriterionData, ProgrammeData

    now = services.utcnow()
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    programme = services.create_programme(curator, ProgrammeData(
        fiscal_year=2026, title="テスト表彰", description="", entry_opens_at=now - timedelta(days=2),
        entry_closes_at=now + timedelta(days=2), judging_opens_at=now + timedelta(hours=1),
        judging_closes_at=now + timedelta(days=10), blind=False, comment_mode="optional", has_final=True))
    category = services.save_category(curator, programme, "行政サービス部門", "")
    criterion = services.save_criterion(curator, programme, CriterionData("効果", "", 2, 1, 5, ""))
    ids: dict[str, int] = {}
    for key, tenant, member_email, admin_email in (
            ("own", "132055", "member@ome.example.jp", "admin@ome.example.jp"),
            ("other", "131083", "member@koto.example.jp", "admin@koto.example.jp")):
        member = user(tenant, member_email)
        draft = services.create_entry(member, programme, category.id, {"title": f"下書き {key}", "summary": "概要"})
        ids[f"file_{key}"] = services.add_file(member, draft, "資料.pdf", pdf_bytes("資料", "作成者")).id
        ids[f"entry_{key}"] = draft.id
        entry = services.create_entry(member, programme, category.id, {"title": f"応募 {key}", "summary": "概要"})
        services.add_file(member, entry, "説明.pdf", pdf_bytes())
        services.request_approval(member, entry, programme)
        admin = user(tenant, admin_email)
        ids[f"submission_{key}"] = services.approve_entry(admin, entry, programme).id
    bind_tenant(TMG_CODE, curator.id)
    judge_user = user(TMG_CODE, "judge@metro.tokyo.example.jp")
    judging.ensure_in_pool(judge_user)
    judge = judging.add_judge(curator, programme, TMG_CODE, judge_user.id)
    assignment = judging.assign(curator, programme, judge, category_id=category.id)
    programme.judging_opens_at = now - timedelta(days=1)  # judging open (the rubric now frozen)
    db.session.flush()
    from awards.models import Submission

    other = db.session.get(Submission, ids["submission_other"])
    assert other is not None
    sheet = judging.save_sheet(judge_user, judge, programme, other, {str(criterion.id): "4"}, "良い", final=True)
    bind_tenant(None)
    return Scenario(programme.id, category.id, criterion.id, ids["entry_own"], ids["entry_other"], ids["file_own"],
                    ids["file_other"], ids["submission_own"], ids["submission_other"],
                    other.files[0].id, judge.id, assignment.id, sheet.id)


@dataclass
class OpenRubric:
    programme_id: int
    category_id: int
    criterion_id: int


def build_open_rubric() -> OpenRubric:
    """A programme taking entries whose judging starts in ten days: its rubric (one category without entries, one
    criterion) can still change."""
    from awards import services
    from awards.services import CriterionData, ProgrammeData

    now = services.utcnow()
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    programme = services.create_programme(curator, ProgrammeData(
        fiscal_year=2026, title="審査前の表彰", description="", entry_opens_at=now - timedelta(days=1),
        entry_closes_at=now + timedelta(days=9), judging_opens_at=now + timedelta(days=10),
        judging_closes_at=now + timedelta(days=20), blind=False, comment_mode="optional", has_final=False))
    category = services.save_category(curator, programme, "窓口部門", "")
    criterion = services.save_criterion(curator, programme, CriterionData("独自性", "", 1, 1, 5, ""))
    bind_tenant(None)
    return OpenRubric(programme.id, category.id, criterion.id)


def judge_path(app, programme_id: int, submission_id: int, suffix: str = "") -> str:  # type: ignore[no-untyped-def]
    """The URL by which a judge knows a submission (its keyed-hash code)."""
    from awards.blind import judge_code

    with app.app_context():
        return f"/awards/judging/{programme_id}/{judge_code(submission_id)}{suffix}"


def jp(client, scenario: Scenario, submission_id: int, suffix: str = "") -> str:  # type: ignore[no-untyped-def]
    return judge_path(client.application, scenario.programme_id, submission_id, suffix)
