"""The shared casebook (browse, search, read, adopt, ask), curation (TMG), notifications, Excel export."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from casebook import bp, community, curation, entry_page, excel, queries, suggest
from casebook.forms import ActionForm, AdoptionForm, AnswerForm, CaseForm, CommentForm, QuestionForm, SynonymForm
from casebook.models import CONTENT_FIELDS, Entry, Submission
from casebook.rendering import field_diffs
from casebook.validation import ContentError, from_form
from casebook.views import entry_view, search_page
from casebook.views.links import SearchLinks
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.i18n import current_lang
from kernel.views import show_refusal
from tenants.auth import not_found_or_denied, require_permission
from tenants.models import Tenant
from tenants.roles import Permission


def load_entry(entry_id: int, *, published_only: bool = True) -> Entry:
    """The entry (404/403 unless the viewer may see it)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or (published_only and not _may_see(entry.status)):
        not_found_or_denied("casebook_entry", entry_id)
    return entry


def _may_see(status: str) -> bool:
    """A retired entry is shown to curators only."""
    return status == "published" or current_user.can(Permission.CASEBOOK_CURATE)


@bp.get("/casebook")
@require_permission(Permission.CASEBOOK_READ)
def casebook_index() -> ResponseReturnValue:
    filters, errors = queries.parse_filters(request.args)
    expanded = request.args.get("more")
    # Each facet's first values only, counted all the same (every value of the one whose "more" was asked for).
    result = queries.search_casebook(filters, facets_shown=queries.FACETS_SHOWN, expanded_facet=expanded)
    # Nothing found for the words: the nearest words of the published casebook.
    suggestions = suggest.did_you_mean(filters.q) if filters.q.strip() and result.total == 0 else []
    # Each chosen value can be removed on its own: the page's arguments without that one value.
    links = SearchLinks(request.args)
    facets = search_page.facets_view(result, filters, links, expanded)
    content = search_page.page_html(filters, errors, result, links, suggestions, facets,
                                    search_page.hits_view(result.hits),
                                    current_user.can(Permission.CASEBOOK_CURATE), expanded, queries.FACETS_SHOWN)
    return render_template("casebook/casebook_index.html", title=search_page.title_text(), content=content)


@bp.get("/casebook/export.xlsx")
@require_permission(Permission.CASEBOOK_READ)
def casebook_export() -> ResponseReturnValue:
    filters, _errors = queries.parse_filters(request.args)
    filters.page = 1
    result = queries.search_casebook(filters, per_page=excel.MAX_EXPORT_ROWS, with_facets=False,
                                     with_snippets=False)
    data = excel.export_entries([(h.entry, h.tenant) for h in result.hits])
    return send_file(data, as_attachment=True, download_name="casebook.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


_CSRF_INPUT = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="%s">')  # a form's csrf_token


def _blank_question_form() -> QuestionForm:
    # Never the request's data: the blank question field is rendered once per language and kept (see the template).
    return QuestionForm(formdata=None)


def _entry_page(entry_id: int, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The entry page; ``forms``: a form of this request with its errors (adoption_form, question_form) and
    answer_error (question id, message), shown in place of the blank ones."""
    page = entry_page.load(entry_id)
    if page is None or not _may_see(page.entry.status):
        not_found_or_denied("casebook_entry", entry_id)
    entry, source, adopters = page.entry, page.source, page.adopters
    lang = current_lang()
    user = current_user._get_current_object()  # the person, read once (each use of the proxy looks it up again)
    own, writer = user.tenant_id == entry.source_tenant_id, user.can(Permission.CASES_WRITE_OWN)
    mine = next((a for a, t in adopters if t.code == user.tenant_id), None)
    kind = user.tenant.kind if source is not None and adopters else None
    similar = [t for _a, t in adopters if t.kind == kind] if kind is not None else []
    # Forms are built only where the page shows their fields; the buttons and the answers' textareas need
    # the request's CSRF token alone (the one every form of the request renders).
    adoption_form = forms.get("adoption_form") or (AdoptionForm(data={"status": mine.status, "outcome": mine.outcome})
                                                   if mine else None)
    csrf_input = _CSRF_INPUT % generate_csrf()
    can_answer, answer_error = writer and own, forms.get("answer_error")
    html = entry_view.page_html(
        entry, source, lang, entry_view.adopters_html(adopters, lang), entry_view.similar_names(similar, lang),
        entry_view.related_html(suggest.related_entries(entry, generation=page.generation), lang), page.questions,
        can_answer, answer_error, csrf_input)
    return render_template(
        "casebook/entry_detail.html", entry=entry, html=html, mine=mine, csrf_input=csrf_input,
        kept_content=entry_view.kept_content(entry, lang), adoption_form=adoption_form,
        question_form=forms.get("question_form"), blank_question_form=_blank_question_form,
        can_curate=user.can(Permission.CASEBOOK_CURATE), may_adopt_or_ask=writer and not own,
    ), status


@bp.get("/casebook/<int:entry_id>")
@require_permission(Permission.CASEBOOK_READ)
def casebook_entry(entry_id: int) -> ResponseReturnValue:
    return _entry_page(entry_id)


@bp.get("/casebook/<int:entry_id>/print")
@require_permission(Permission.CASEBOOK_READ)
def casebook_print(entry_id: int) -> ResponseReturnValue:
    entry = load_entry(entry_id)
    return render_template("casebook/print_entry.html", item=entry,
                           tenant=db.session.get(Tenant, entry.source_tenant_id), attachments=[])


@bp.post("/casebook/<int:entry_id>/adopt")
@require_permission(Permission.CASES_WRITE_OWN)
def casebook_adopt(entry_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    entry = load_entry(entry_id)
    try:
        community.adopt(entry, current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return _entry_page(entry.id, 409)
    flash(_("Recorded: your municipality is adopting this case."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.post("/casebook/<int:entry_id>/adoption")
@require_permission(Permission.CASES_WRITE_OWN)
def casebook_adoption_update(entry_id: int) -> ResponseReturnValue:
    form = AdoptionForm()
    if not form.validate_on_submit():
        abort(400)
    entry = load_entry(entry_id)
    row = community.adoption_of(entry, current_user.tenant_id)
    if row is None:
        not_found_or_denied("casebook_adoption", entry_id)
    try:
        community.update_adoption(row, current_user, form.status.data or "", form.outcome.data or "")
    except ServiceError as error:
        (form.status if error.field == "status" else form.outcome).errors = [error.message]
        return _entry_page(entry.id, 400, adoption_form=form)
    flash(_("The adoption was updated."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.post("/casebook/<int:entry_id>/questions")
@require_permission(Permission.CASES_WRITE_OWN)
def casebook_ask(entry_id: int) -> ResponseReturnValue:
    form = QuestionForm()
    if not form.validate_on_submit():
        abort(400)
    entry = load_entry(entry_id)
    try:
        community.ask(entry, current_user, form.body.data or "")
    except ServiceError as error:
        form.body.errors = [error.message]
        return _entry_page(entry.id, 400, question_form=form)
    flash(_("Your question was sent to the municipality."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.post("/casebook/questions/<int:question_id>/answer")
@require_permission(Permission.CASES_WRITE_OWN)
def casebook_answer(question_id: int) -> ResponseReturnValue:
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    question = community.get_question(question_id)
    if question is None:
        not_found_or_denied("casebook_question", question_id)
    entry = load_entry(question.entry_id)
    if entry.source_tenant_id != current_user.tenant_id:
        abort(403)
    try:
        community.answer(question, entry, current_user, form.body.data or "")
    except ServiceError as error:
        return _entry_page(entry.id, 400, answer_error=(question_id, error.message))
    flash(_("Your answer was posted."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


# Curation (TMG curators) ---------------------------------------------------------------------

@bp.get("/curation")
@require_permission(Permission.CASEBOOK_CURATE)
def curation_queue() -> ResponseReturnValue:
    items = curation.queue(("queued", "changes_requested"))
    tenants = {t.code: t for t in db.session.scalars(select(Tenant))}
    return render_template("casebook/curation_queue.html", items=items, tenants=tenants)


def _load_submission(submission_id: int) -> Submission:
    submission = curation.get_submission(submission_id)
    if submission is None:
        not_found_or_denied("submission", submission_id)
    return submission


def _review_page(submission: Submission, status: int = 200, form: CaseForm | None = None,
                 comment_form: CommentForm | None = None) -> ResponseReturnValue:
    if form is None:
        form = CaseForm(formdata=None)
        form.fill(submission.data)
    entry = curation.get_entry(submission.entry_id) if submission.entry_id else None
    if entry is None:
        entry = db.session.scalar(select(Entry).where(
            Entry.source_tenant_id == submission.source_tenant_id, Entry.source_case_id == submission.source_case_id))
    diffs = field_diffs(entry.content(), submission.data, CONTENT_FIELDS) if entry is not None else []
    return render_template("casebook/curation_review.html", submission=submission,
                           tenant=db.session.get(Tenant, submission.source_tenant_id),
                           pii=curation.pii_of(submission.data), form=form, comment_form=comment_form or CommentForm(),
                           action=ActionForm(), entry=entry, diffs=diffs), status


@bp.route("/curation/<int:submission_id>", methods=["GET", "POST"])
@require_permission(Permission.CASEBOOK_CURATE)
def curation_review(submission_id: int) -> ResponseReturnValue:
    submission = _load_submission(submission_id)
    if request.method == "GET":
        return _review_page(submission)
    form = CaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        curation.edit_submission(submission, current_user.id, from_form(request.form))
    except ContentError as error:
        show_refusal(error, form)
        return _review_page(submission, 400, form=form)
    except ServiceError as error:
        flash(error.message, "error")
        return _review_page(submission, 409, form=form)
    flash(_("The shared copy was saved."), "success")
    return redirect(url_for("casebook.curation_review", submission_id=submission.id))


@bp.post("/curation/<int:submission_id>/publish")
@require_permission(Permission.CASEBOOK_CURATE)
def curation_publish(submission_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    submission = _load_submission(submission_id)
    if not confirmed() and would_succeed(lambda: curation.publish(submission, current_user.id)):
        return ask_confirmation(Confirmation(
            _("Publish “%(title)s” in the casebook?", title=submission.data.get("title", "")),
            [_("Every municipality can then read, search and adopt this case."),
             _("The submitting municipality is told that it was published."),
             _("Once read and adopted it cannot be taken back: retiring it later only hides it from the casebook.")],
            _("Publish"), back=url_for("casebook.curation_review", submission_id=submission.id)))
    try:
        entry = curation.publish(submission, current_user.id)
    except (ServiceError, ContentError) as error:
        flash(getattr(error, "message", str(error)), "error")
        return _review_page(submission, 409)
    flash(_("Published in the casebook."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.post("/curation/<int:submission_id>/request-changes")
@require_permission(Permission.CASEBOOK_CURATE)
def curation_request_changes(submission_id: int) -> ResponseReturnValue:
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    submission = _load_submission(submission_id)
    try:
        curation.request_changes(submission, current_user.id, form.comment.data or "")
    except ServiceError as error:
        form.comment.errors = [error.message]
        return _review_page(submission, 400, comment_form=form)
    flash(_("The municipality was asked for changes."), "success")
    return redirect(url_for("casebook.curation_queue"))


@bp.route("/casebook/<int:entry_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.CASEBOOK_CURATE)
def curation_edit_entry(entry_id: int) -> ResponseReturnValue:
    entry = load_entry(entry_id, published_only=False)
    form = CaseForm()
    if request.method == "GET":
        form.fill(entry.content())
        return render_template("casebook/entry_form.html", form=form, entry=entry,
                               pii=curation.pii_of(entry.content()))
    if not form.validate_on_submit():
        abort(400)
    try:
        curation.edit_entry(entry, current_user.id, from_form(request.form))
    except ContentError as error:
        show_refusal(error, form)
        return render_template("casebook/entry_form.html", form=form, entry=entry, pii=[]), 400
    flash(_("The shared copy was saved."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.post("/casebook/<int:entry_id>/retire")
@require_permission(Permission.CASEBOOK_CURATE)
def curation_retire(entry_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    entry = load_entry(entry_id, published_only=False)
    retire = request.form.get("retire", "1") != "0"
    if retire and not confirmed() and would_succeed(lambda: curation.set_retired(entry, current_user.id, retire)):
        return ask_confirmation(Confirmation(
            _("Retire “%(title)s” from the casebook?", title=entry.title),
            [_("It no longer appears in the casebook's list and search, and nobody can ask about it or adopt it."),
             _("Municipalities that adopted it keep their records.")],
            _("Retire"), back=url_for("casebook.casebook_entry", entry_id=entry.id)))
    curation.set_retired(entry, current_user.id, retire)
    flash(_("The case was retired from the casebook.") if retire else _("The case is published again."), "success")
    return redirect(url_for("casebook.casebook_entry", entry_id=entry.id))


@bp.route("/curation/synonyms", methods=["GET", "POST"])
@require_permission(Permission.CASEBOOK_CURATE)
def curation_synonyms() -> ResponseReturnValue:
    form = SynonymForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            curation.add_synonyms(current_user.id, form.terms.data or "")
        except ServiceError as error:
            form.terms.errors = [error.message]
            status = 400
        else:
            flash(_("The synonyms were added."), "success")
            return redirect(url_for("casebook.curation_synonyms"))
    return render_template("casebook/synonyms.html", form=form, groups=curation.list_synonyms(),
                           action=ActionForm()), status


@bp.post("/curation/synonyms/<int:synonym_id>/delete")
@require_permission(Permission.CASEBOOK_CURATE)
def curation_synonyms_delete(synonym_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    if not confirmed() and would_succeed(lambda: curation.delete_synonyms(synonym_id)):
        return ask_confirmation(Confirmation(
            _("Delete this group of synonyms?"),
            [_("The casebook search no longer finds these words as one another's synonyms. This cannot be undone.")],
            _("Delete"), back=url_for("casebook.curation_synonyms")))
    if not curation.delete_synonyms(synonym_id):
        not_found_or_denied("synonym", synonym_id)
    flash(_("The synonyms were deleted."), "success")
    return redirect(url_for("casebook.curation_synonyms"))
