"""A municipality's entries: start (from a case or from scratch), edit, attach, approve, withdraw, print."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from awards import bp
from awards.forms import EntryForm, FileForm
from awards.integration import case_prefill, casebook_available
from awards.models import ENTRY_FIELDS, Entry
from awards.services import (
    add_file,
    approve_entry,
    create_entry,
    entry_window_open,
    get_entry,
    remove_file,
    request_approval,
    return_entry,
    update_entry,
    withdraw_entry,
)
from awards.views.common import denied, download, load_programme
from kernel import drafts, uploads
from kernel.confirm import Confirmation, ask_confirmation, confirmed, would_succeed
from kernel.errors import ServiceError
from kernel.numbers import parse_whole
from kernel.views import act, show_refusal
from tenants.auth import require_permission
from tenants.roles import Permission

drafts.register_draft_form("awards.entry_new", "awards.entry")  # long forms keep a server-side draft

# Case fields (casebook/integration.py) → entry-sheet fields.
PREFILL = {"title": "title", "summary": "summary", "problem": "background", "approach": "activities",
           "tools": "system", "outcomes": "effects"}


def _load_entry(entry_id: int) -> Entry:
    entry = get_entry(current_user.tenant_id, entry_id)
    if entry is None:
        denied("award_entry", entry_id)
    return entry


def _fields(form: EntryForm) -> dict[str, str]:
    return {k: getattr(form, k).data or "" for k in ("title", *ENTRY_FIELDS)}


@bp.route("/programmes/<int:programme_id>/entries/new", methods=["GET", "POST"])
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_new(programme_id: int) -> ResponseReturnValue:
    programme = load_programme(programme_id)
    restored = drafts.restored_formdata()
    form = EntryForm(formdata=restored) if restored is not None else EntryForm()
    form.category_id.choices = [(c.id, c.name) for c in programme.categories]
    casebook = casebook_available()
    status = 200
    case_id = parse_whole(request.args.get("case", ""))
    if request.method == "GET" and casebook and case_id is not None and restored is None:
        fields = case_prefill(case_id)
        if fields is None:
            flash(_("No case with that number in your municipality."), "error")
            status = 404
        else:
            form.case_id.data = case_id
            for source, target in PREFILL.items():
                if fields.get(source):
                    getattr(form, target).data = fields[source]
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            case_id = form.case_id.data if casebook else None
            try:
                entry = create_entry(current_user, programme, form.category_id.data, _fields(form), case_id)
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The entry was saved as a draft."), "success")
                return redirect(url_for("awards.entry", entry_id=entry.id))
    return render_template("awards/entry_form.html", form=form, programme=programme, entry=None,
                           casebook=casebook, entry_open=entry_window_open(programme)), status


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry(entry_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    programme = load_programme(entry.programme_id)
    restored = drafts.restored_formdata()
    if restored is not None:
        form = EntryForm(formdata=restored)
    else:
        form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    form.category_id.choices = [(c.id, c.name) for c in programme.categories]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                update_entry(current_user, entry, programme, form.category_id.data, _fields(form))
            except ServiceError as error:
                show_refusal(error, form)
            else:
                flash(_("The entry was saved."), "success")
                return redirect(url_for("awards.entry", entry_id=entry.id))
    return render_template("awards/entry.html", entry=entry, programme=programme, form=form,
                           file_form=FileForm(formdata=None), entry_open=entry_window_open(programme),
                           can_approve=current_user.can(Permission.TENANT_APPROVE_RELEASE)), status


@bp.post("/entries/<int:entry_id>/files")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_file_add(entry_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    upload = request.files.get("file")
    return act(lambda: add_file(current_user, entry, *uploads.read_upload(upload)),
               _("The file was attached."), url_for("awards.entry", entry_id=entry.id) + "#files")


@bp.get("/entries/<int:entry_id>/files/<int:file_id>")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_file(entry_id: int, file_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    file = next((f for f in entry.files if f.id == file_id), None)
    if file is None:
        denied("award_entry_file", file_id)
    return download(file.data, "application/pdf", file.filename)


@bp.post("/entries/<int:entry_id>/files/<int:file_id>/delete")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_file_delete(entry_id: int, file_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    file = next((f for f in entry.files if f.id == file_id), None)
    if file is None:
        denied("award_entry_file", file_id)
    if not confirmed() and would_succeed(lambda: remove_file(current_user, entry, file)):
        return ask_confirmation(Confirmation(
            _("Remove the file “%(name)s” from the entry?", name=file.filename),
            [_("The file is deleted and cannot be restored.")],
            _("Remove the file"), back=url_for("awards.entry", entry_id=entry.id) + "#files"))
    return act(lambda: remove_file(current_user, entry, file),
               _("The file was removed."), url_for("awards.entry", entry_id=entry.id) + "#files")


def _transition(entry_id: int, action: str) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    programme = load_programme(entry.programme_id)
    try:
        if action == "request":
            request_approval(current_user, entry, programme)
            message = _("The entry was sent to your administrator for approval.")
        elif action == "approve":
            submission = approve_entry(current_user, entry, programme)
            message = _("The entry was approved and submitted as %(ref)s.", ref=submission.reference)
        elif action == "return":
            return_entry(current_user, entry)
            message = _("The entry was returned to draft.")
        else:
            withdraw_entry(current_user, entry, programme)
            message = _("The entry was withdrawn.")
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("awards.entry", entry_id=entry.id)), 303
    flash(message, "success")
    return redirect(url_for("awards.entry", entry_id=entry.id))


@bp.post("/entries/<int:entry_id>/request")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_request(entry_id: int) -> ResponseReturnValue:
    return _transition(entry_id, "request")


@bp.post("/entries/<int:entry_id>/approve")
@require_permission(Permission.TENANT_APPROVE_RELEASE)
def entry_approve(entry_id: int) -> ResponseReturnValue:
    return _transition(entry_id, "approve")


@bp.post("/entries/<int:entry_id>/return")
@require_permission(Permission.TENANT_APPROVE_RELEASE)
def entry_return(entry_id: int) -> ResponseReturnValue:
    return _transition(entry_id, "return")


@bp.post("/entries/<int:entry_id>/withdraw")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_withdraw(entry_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    programme = load_programme(entry.programme_id)
    # A withdrawn entry cannot be submitted again (nor un-withdrawn): ask first, once the step would succeed.
    if not confirmed() and would_succeed(lambda: withdraw_entry(current_user, entry, programme)):
        return ask_confirmation(Confirmation(
            _("Withdraw the entry “%(title)s”?", title=entry.title),
            [_("The entry leaves the programme: the judges no longer see or score it."),
             _("This cannot be undone: a withdrawn entry cannot be submitted again.")],
            _("Withdraw the entry"), back=url_for("awards.entry", entry_id=entry.id)))
    return _transition(entry_id, "withdraw")


@bp.get("/entries/<int:entry_id>/print")
@require_permission(Permission.AWARD_ENTRY_DRAFT)
def entry_print(entry_id: int) -> ResponseReturnValue:
    entry = _load_entry(entry_id)
    programme = load_programme(entry.programme_id)
    return render_template("awards/entry_print.html", entry=entry, programme=programme)
