"""The judge's scoring page reads plain rows (awards/scoring_page.py): the same programme, rubric, entry and sheet as
the entities, under the same visibility rule as ``judging.visible_submission``, and the same answers when denied."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from awards import judging, scoring_page, services
from awards.blind import judge_code
from awards.forms import RecuseForm, recuse_csrf_field
from awards.models import Criterion, Judge, Programme, Submission
from devtools.demo import CHIYODA
from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import bind_tenant
from tenants.models import TMG_CODE, Tenant
from tests.conftest import login
from tests.factories.awards import jp, user


def _chiyoda_entry_and_cio_judge(scenario) -> int:  # type: ignore[no-untyped-def]
    """千代田区 submits a third entry; its CIO judges 江東区's entry only (assigned to it, not to the category)."""
    programme = db.session.get(Programme, scenario.programme_id)
    opened, programme.judging_opens_at = programme.judging_opens_at, programme.entry_closes_at
    member = user(CHIYODA, "member@chiyoda.example.jp")
    entry = services.create_entry(member, programme, scenario.category_id, {"title": "千代田区の取組"})
    services.request_approval(member, entry, programme, now=opened)
    cio = user(CHIYODA, "cio@chiyoda.example.jp")
    chiyoda = services.approve_entry(cio, entry, programme, now=opened).id
    programme.judging_opens_at = opened
    judging.ensure_in_pool(cio)
    curator = user(TMG_CODE, "curator@metro.tokyo.example.jp")
    judge = judging.add_judge(curator, programme, CHIYODA, cio.id)
    judging.assign(curator, programme, judge, submission=db.session.get(Submission, scenario.submission_other))
    db.session.add(Criterion(programme_id=programme.id, name="横展開のしやすさ", description="他団体でも <b>",
                             weight=3, scale_min=0, scale_max=3, levels="難しい\n\n容易", position=1))
    bind_tenant(None)
    return chiyoda


def _visible_as_the_entities_say(scenario) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """For every judge and submission of the programme: the page's rows against the entities."""
    db.session.expire_all()
    programme = db.session.get(Programme, scenario.programme_id)
    seen = []
    for judge in db.session.scalars(select(Judge).where(Judge.programme_id == programme.id)):
        for submission in db.session.scalars(select(Submission).where(Submission.programme_id == programme.id)):
            page = scoring_page.load(programme.id, judge_code(submission.id), judge.judge_tenant, judge.judge_user_id)
            assert page is not None and page.judge_id == judge.id
            view = page.programme
            assert (view.id, view.blind, view.comment_mode, view.stage, view.judging_opens_at,
                    view.judging_closes_at) == (programme.id, programme.blind, programme.comment_mode,
                                                programme.stage, programme.judging_opens_at,
                                                programme.judging_closes_at)
            assert [(c.id, c.name, c.description, c.weight, c.level_lines) for c in view.criteria] == \
                [(c.id, c.name, c.description, c.weight, c.level_lines) for c in programme.criteria]
            visible = judging.visible_submission(judge, programme, submission.id)
            assert (page.submission is not None) == (visible is not None), (judge.id, submission.id)
            if page.submission is None:
                assert page.sheet is None
                continue
            seen.append((judge.id, submission.id))
            assert page.submission.texts == {k: getattr(submission, k) for k in scoring_page.TEXT_FIELDS}
            assert page.submission.filenames == [f.filename for f in submission.files]
            tenant = db.session.get(Tenant, submission.entrant_code)
            assert page.submission.entrant == scoring_page.Entrant(tenant.name_ja, tenant.name_en, tenant.name_kana)
            sheet = judging.sheet_of(judge, submission, programme.stage)
            assert (page.sheet is None) == (sheet is None)
            if page.sheet is not None and sheet is not None:
                assert (page.sheet.id, page.sheet.is_final, page.sheet.comment, page.sheet.values()) == \
                    (sheet.id, sheet.is_final, sheet.comment, sheet.values())
    return seen


def test_the_page_reads_what_the_entities_hold_and_shows_only_what_the_judge_may_see(in_app, scenario) -> None:  # type: ignore[no-untyped-def]
    chiyoda = in_app(lambda: _chiyoda_entry_and_cio_judge(scenario))

    def judge_of(tenant: str):  # type: ignore[no-untyped-def]
        return lambda: db.session.scalar(select(Judge.id).where(Judge.programme_id == scenario.programme_id,
                                                                Judge.judge_tenant == tenant))
    tmg, cio = in_app(judge_of(TMG_CODE)), in_app(judge_of(CHIYODA))
    first = in_app(lambda: _visible_as_the_entities_say(scenario))
    assert sorted(first) == sorted([(tmg, scenario.submission_own), (tmg, scenario.submission_other),
                                    (tmg, chiyoda), (cio, scenario.submission_other)])

    def recuse_and_withdraw():  # type: ignore[no-untyped-def]
        programme = db.session.get(Programme, scenario.programme_id)
        judging.declare_conflict(user(TMG_CODE, "judge@metro.tokyo.example.jp"), db.session.get(Judge, tmg),
                                 db.session.get(Submission, chiyoda), "兼務")
        db.session.get(Submission, scenario.submission_other).withdrawn_at = programme.judging_opens_at
        judging.save_sheet(user(TMG_CODE, "judge@metro.tokyo.example.jp"), db.session.get(Judge, tmg), programme,
                           db.session.get(Submission, scenario.submission_own), {}, "途中", final=False)
        bind_tenant(None)
    in_app(recuse_and_withdraw)
    assert in_app(lambda: _visible_as_the_entities_say(scenario)) == [(tmg, scenario.submission_own)]

    def final_stage():  # type: ignore[no-untyped-def]
        programme = db.session.get(Programme, scenario.programme_id)
        programme.stage = "final"
        db.session.get(Submission, scenario.submission_other).withdrawn_at = None
        db.session.get(Submission, scenario.submission_own).shortlisted = True
        db.session.flush()
    in_app(final_stage)
    assert in_app(lambda: _visible_as_the_entities_say(scenario)) == [(tmg, scenario.submission_own)]  # shortlist

    def not_a_judge_and_no_programme():  # type: ignore[no-untyped-def]
        code = judge_code(scenario.submission_own)
        page = scoring_page.load(scenario.programme_id, code, "131083", 10**9)
        assert page is not None and page.judge_id is None and page.submission is None
        assert scoring_page.load(10**12, code, TMG_CODE, 1) is None
    in_app(not_a_judge_and_no_programme)


def test_a_hidden_entry_is_audited_and_an_unknown_programme_is_a_plain_404(client, in_app, scenario) -> None:  # type: ignore[no-untyped-def]
    """As before the page read plain rows: a judge's hidden (own municipality) or unknown entry answers 404 with an
    ``access.not_found`` entry in the audit log; an unknown programme answers 404 without one."""
    own = in_app(lambda: _chiyoda_entry_and_cio_judge(scenario))
    login(client, f"{CHIYODA}:cio@chiyoda.example.jp")

    def denials(code: str):  # type: ignore[no-untyped-def]
        def count() -> int:
            bind_tenant(CHIYODA)  # the audit log is tenant-owned: the CIO's municipality's entries
            found = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "access.not_found", AuditEntry.object_type == "award_submission",
                AuditEntry.object_id == code))
            bind_tenant(None)
            return int(found or 0)
        return count
    for path in (jp(client, scenario, own), f"/awards/judging/{scenario.programme_id}/R-AAAAAA"):
        code = path.rsplit("/", 1)[1]
        assert client.get(path).status_code == 404
        assert in_app(denials(code)) == 1
    assert client.get(jp(client, scenario, scenario.submission_other)).status_code == 200
    missing = f"/awards/judging/{10**12}/{judge_code_of(client, scenario.submission_other)}"
    assert client.get(missing).status_code == 404
    assert in_app(denials(judge_code_of(client, scenario.submission_other))) == 0


def judge_code_of(client, submission_id: int) -> str:  # type: ignore[no-untyped-def]
    with client.application.app_context():
        return judge_code(submission_id)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_conflict_forms_csrf_field_is_what_wtforms_renders(app, monkeypatch, enabled) -> None:  # type: ignore[no-untyped-def]
    """The scoring page renders the conflict form's hidden field without building the form (awards/forms.py)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", enabled)
    with app.test_request_context("/"):
        expected = str(RecuseForm(formdata=None).hidden_tag())
        assert str(recuse_csrf_field()) == expected
        assert ('name="csrf_token"' in expected) is enabled


def test_a_redacted_text_is_the_same_from_a_tenant_and_from_the_pages_row(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from awards.blind import redact

    ome = db.session.get(Tenant, "132055")
    text = "青梅市とOme Cityの取組（おうめし、Oume-shi、the City of Ome）"
    masked = redact(text, scoring_page.Entrant(ome.name_ja, ome.name_en, ome.name_kana))
    assert masked == redact(text, ome)
    assert "青梅" not in masked and "Ome" not in masked and "Oume" not in masked and "〇〇" in masked


# The scoring form's loop as the template wrote it before scoring_page.rubric_html (issue 25.5).
_TEMPLATE_LOOP = """{% for c in criteria %}
  <fieldset {% if locked or not window_open %}disabled{% endif %}{% if error_field == "score-" ~ c.id %} aria-describedby="score-error" aria-invalid="true"{% endif %}>
    <legend><span data-content{{ c.name|lang_attr }}>{{ c.name }}</span> ({{ _("weight %(w)d", w=c.weight) }})</legend>
    {% if c.description %}<p class="hint" data-content{{ c.description|lang_attr }}>{{ c.description }}</p>{% endif %}
    {% for v, level in c.level_lines %}
      <div class="checkbox"><input type="radio" id="score-{{ c.id }}-{{ v }}" name="score-{{ c.id }}" value="{{ v }}"{% if values.get(c.id|string) == v|string %} checked{% endif %}>
        <label for="score-{{ c.id }}-{{ v }}">{{ v }}{% if level %} — <span data-content{{ level|lang_attr }}>{{ level }}</span>{% endif %}</label></div>
    {% endfor %}
  </fieldset>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_rubric_is_written_as_the_template_wrote_it(app, lang) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    criteria = [scoring_page.CriterionRow(7, "効果", "", 3, 1, 5, ""),
                scoring_page.CriterionRow(8, "横展開 <しやすさ>", "他団体でも & 使える", 2, 0, 3,
                                          "難しい\n\n 容易 \nとても容易"),
                scoring_page.CriterionRow(9, "Originality", "Is it new?", 1, 1, 2, "no\nyes\nignored")]
    template = app.jinja_env.from_string(_TEMPLATE_LOOP)
    states = [({}, False, False, None), ({"7": "3", "8": "0", "9": "2"}, True, True, None),
              ({"7": "5", "8": "x"}, False, True, "score-8"), ({"9": "1"}, False, False, "comment")]
    with app.test_request_context("/"), force_locale(lang):
        for values, locked, window_open, error_field in states:
            expected = template.render(criteria=criteria, values=values, locked=locked, window_open=window_open,
                                       error_field=error_field)
            for _ in range(2):  # written, then from the worker's cache
                assert str(scoring_page.rubric_html(criteria, values, locked or not window_open, error_field)) \
                    == expected


_TEMPLATE_FIELDS = """{% for name, label in [("summary", _("Overview of the initiative")), ("background", _("Background and motivation")), ("activities", _("What was done")), ("system", _("Systems used")), ("effects", _("Effects (with numbers)")), ("ingenuity", _("Ingenuity of the staff"))] %}
    <dt>{{ label }}</dt><dd{{ text[name]|lang_attr }}>{{ text[name] }}</dd>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_entrys_texts_are_written_as_the_template_wrote_them(app, lang) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import force_locale

    text = {"title": "t", "summary": "〇〇の <取組>", "background": "", "activities": "RPA & AI-OCR",
            "system": "kintone（キントーン）", "effects": "30% fewer hours", "ingenuity": "12"}
    with app.test_request_context("/"), force_locale(lang):
        expected = app.jinja_env.from_string(_TEMPLATE_FIELDS).render(text=text)
        assert str(scoring_page.fields_html(text)) == str(scoring_page.fields_html(text)) == expected
