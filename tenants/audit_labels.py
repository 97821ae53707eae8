"""The audit log in words: a label for every action code, and before → after values people can read.

Every code written with ``audit.record(...)`` anywhere in the runtime packages has a label here
(tests/tenants/test_audit_words.py fails for a code without one — add its label and its Japanese
translation when you add an audited action). The table lives in ``tenants`` because the audit log page
does; the codes are plain strings, so no domain is imported.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tenants.roles import role_label

ACTION_LABELS = {
    "access.csrf_rejected": _l("Form refused (expired security token)"),
    "access.denied": _l("Access denied"),
    "access.not_found": _l("Access to a missing or another municipality's object"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "auth.backchannel_logout": _l("Sessions ended by the identity provider (back-channel logout)"),
    "auth.login": _l("Logged in"),
    "auth.login_refused": _l("Login refused"),
    "auth.logout": _l("Logged out"),
    "auth.refused_inactive": _l("Deactivated account refused"),
    "auth.sso_failed": _l("Single sign-on login failed"),
    "auth.token_refused": _l("Invalid API token refused"),
    "award.category.delete": _l("Award category deleted"),
    "award.category.save": _l("Award category saved"),
    "award.criterion.delete": _l("Judging criterion deleted"),
    "award.criterion.save": _l("Judging criterion saved"),
    "award.entry.approve": _l("Award entry approved and submitted"),
    "award.entry.create": _l("Award entry created"),
    "award.entry.file_add": _l("File added to an award entry"),
    "award.entry.file_remove": _l("File removed from an award entry"),
    "award.entry.request_approval": _l("Award entry sent for approval"),
    "award.entry.return": _l("Award entry returned to draft"),
    "award.entry.update": _l("Award entry edited"),
    "award.entry.withdraw": _l("Award entry withdrawn"),
    "award.judge.add": _l("Judge added"),
    "award.judge.assign": _l("Entry assigned to a judge"),
    "award.judge.recuse": _l("Judge recused"),
    "award.judge.remove": _l("Judge removed"),
    "award.judge.unassign": _l("Judge's assignment removed"),
    "award.judge_pool.join": _l("Joined the judge pool"),
    "award.programme.create": _l("Award programme created"),
    "award.programme.publish": _l("Award results published"),
    "award.programme.shortlist": _l("Award shortlist set"),
    "award.programme.start_judging": _l("Award judging started"),
    "award.programme.update": _l("Award programme edited"),
    "award.score.draft": _l("Score sheet saved as draft"),
    "award.score.reopen": _l("Score sheet reopened"),
    "award.score.submit": _l("Score sheet submitted"),
    "award.submission.to_casebook": _l("Award entry became a case"),
    "case.approve_release": _l("Case approved for the casebook"),
    "case.attachment_add": _l("Attachment added to a case"),
    "case.attachment_delete": _l("Attachment deleted from a case"),
    "case.create": _l("Case created"),
    "case.from_award": _l("Case created from an award entry"),
    "case.from_support": _l("Case created from a support engagement"),
    "case.propose": _l("Case proposed for the casebook"),
    "case.release_declined": _l("Case returned to draft by the administrator"),
    "case.update": _l("Case edited"),
    "casebook.adopt": _l("Casebook entry adopted (横展開)"),
    "casebook.adoption_update": _l("Adoption record updated"),
    "casebook.answer": _l("Question answered"),
    "casebook.edit": _l("Casebook entry edited"),
    "casebook.import": _l("Cases imported"),
    "casebook.publish": _l("Casebook entry published"),
    "casebook.publish_by_operator": _l("Casebook entry published by an operator"),
    "casebook.question": _l("Question asked about a casebook entry"),
    "casebook.restore": _l("Casebook entry restored"),
    "casebook.retire": _l("Casebook entry retired"),
    "community.action.create": _l("Follow-up action created"),
    "community.action.handover": _l("Follow-up action handed over"),
    "community.action.link": _l("Follow-up action linked"),
    "community.action.update": _l("Follow-up action updated"),
    "community.amendment.decide": _l("Amendment to minutes decided"),
    "community.amendment.propose": _l("Amendment to minutes proposed"),
    "community.body.create": _l("Forum body created"),
    "community.body.update": _l("Forum body edited"),
    "community.contact.add": _l("Contact added"),
    "community.department.add": _l("Department added"),
    "community.directory.opt_in": _l("Joined the talent directory"),
    "community.directory.opt_out": _l("Left the talent directory"),
    "community.item.add": _l("Agenda item added"),
    "community.item.update": _l("Agenda item edited"),
    "community.material.add": _l("Meeting material added"),
    "community.material.delete": _l("Meeting material deleted"),
    "community.meeting.cancel": _l("Meeting cancelled"),
    "community.meeting.create": _l("Meeting scheduled"),
    "community.meeting.reminded": _l("Meeting reminder sent"),
    "community.meeting.update": _l("Meeting edited"),
    "community.member.add": _l("Body member added"),
    "community.member.remove": _l("Body member removed"),
    "community.member.update": _l("Body member edited"),
    "community.minutes.publish": _l("Minutes published"),
    "community.minutes.review": _l("Minutes sent for review"),
    "community.minutes.review_ended_early": _l("Minutes review ended early"),
    "community.minutes.save": _l("Minutes saved"),
    "community.promoter.appoint": _l("DX promoter appointed"),
    "community.promoter.end": _l("DX promoter's term ended"),
    "community.promoter.handover": _l("DX promoter handed over"),
    "community.register": _l("Registered for a meeting"),
    "community.skills.save": _l("Skills saved"),
    "community.training.completion": _l("Training completion recorded"),
    "community.training.completion_removed": _l("Training completion removed"),
    "community.training.course": _l("Training course saved"),
    "community.training.plan": _l("Training plan saved"),
    "notifications.settings": _l("Notification settings changed"),
    "print.settings": _l("Print settings changed"),
    "procurement.award": _l("Procurement awarded"),
    "procurement.declaration_approve": _l("Demand declaration approved"),
    "procurement.declaration_save": _l("Demand declaration saved"),
    "procurement.document_add": _l("Procurement document added"),
    "procurement.export_ocds": _l("OCDS data exported (API)"),
    "procurement.export_ocds_internal": _l("Internal OCDS data exported"),
    "procurement.export_xlsx": _l("Procurement exported to Excel"),
    "procurement.project_create": _l("Procurement project created"),
    "procurement.project_status": _l("Procurement status changed"),
    "procurement.project_update": _l("Procurement project edited"),
    "procurement.quote_add": _l("Quote added"),
    "sso.rekey": _l("SSO secrets re-encrypted"),
    "sso.secret_voided": _l("SSO client secret removed"),
    "sso.settings": _l("Single sign-on settings changed"),
    "sso.candidate_discarded": _l("Candidate identity provider discarded"),
    "sso.candidate_settings": _l("Candidate identity provider settings saved"),
    "sso.candidate_test_failed": _l("Test login with the candidate provider failed"),
    "sso.candidate_tested": _l("Test login with the candidate provider"),
    "sso.provider_rolled_back": _l("Identity provider change rolled back"),
    "sso.provider_switched": _l("Identity provider switched"),
    "sso.relink_planned": _l("Re-link plan confirmed"),
    "sso.signing_key": _l("Portal signing key changed"),
    "user.sso_relink": _l("Account re-linked to a new SSO identity"),
    "submission.create": _l("Case submitted to the casebook"),
    "submission.edit": _l("Submission edited by a curator"),
    "submission.request_changes": _l("Curator requested changes"),
    "support.action_add": _l("Support action added"),
    "support.action_done": _l("Support action done"),
    "support.assign": _l("Supporter assigned"),
    "support.file_add": _l("File added to a support engagement"),
    "support.handover": _l("Support engagement handed over"),
    "support.meeting_add": _l("Support meeting recorded"),
    "support.plan": _l("Support plan saved"),
    "support.priority": _l("Support priority changed"),
    "support.profile_create": _l("Supporter profile created"),
    "support.profile_update": _l("Supporter profile edited"),
    "support.request_approve": _l("Support request approved"),
    "support.request_create": _l("Support request created"),
    "support.request_propose": _l("Support request sent for approval"),
    "support.request_return": _l("Support request returned to draft"),
    "support.request_update": _l("Support request edited"),
    "support.service_levels": _l("Service levels changed"),
    "support.skill_active": _l("Skill switched on or off"),
    "support.skill_add": _l("Skill added"),
    "support.stage_move": _l("Support stage moved"),
    "support.survey": _l("Satisfaction survey answered"),
    "support.theme_add": _l("Support theme added"),
    "support.time_log": _l("Support time logged"),
    "support.unassign": _l("Supporter unassigned"),
    "synonyms.add": _l("Search synonym added"),
    "synonyms.delete": _l("Search synonym deleted"),
    "tenants.load": _l("Municipalities reference data loaded"),
    "user.activate": _l("Account reactivated"),
    "user.create": _l("Account created"),
    "user.deactivate": _l("Account deactivated"),
    "user.invite": _l("Person invited"),
    "user.roles": _l("Roles changed"),
    "user.sessions_ended": _l("All sessions of a person ended"),
    "user.sso_expect": _l("Account prepared for single sign-on"),
    "user.sso_link": _l("Account linked to an SSO identity"),
    "user.sso_profile": _l("Name updated from single sign-on"),
    "user.sso_provision": _l("Account created at first SSO login"),
    "user.sso_roles": _l("Roles synced from the identity provider"),
    "workload.benchmark_publish": _l("Workload benchmark published"),
    "workload.department_contact": _l("Department contact set"),
    "workload.department_submit": _l("Department's hours submitted"),
    "workload.departments_add": _l("Departments added to a survey"),
    "workload.entries_save": _l("Workload hours saved"),
    "workload.own_task_add": _l("Own task added"),
    "workload.reminders": _l("Workload reminders sent"),
    "workload.round_close": _l("Workload survey closed"),
    "workload.round_open": _l("Workload survey opened"),
    "workload.round_reopen": _l("Workload survey reopened"),
    "workload.round_sharing": _l("Workload sharing changed"),
    "workload.shared_figures_read": _l("Shared workload figures read"),
    "workload.standard_task_add": _l("Standard task added"),
    "workload.standard_task_update": _l("Standard task edited"),
    "workload.task_class": _l("Task class changed"),
}


def action_label(code: str) -> str:
    """The action in the reader's language; an unknown code (from an older version) is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    """(code, label) for the action filter, by label."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda item: item[1])


# The keys that before/after values use most, in words; others are shown by their key.
FIELD_LABELS = {
    "roles": _l("Roles"),
    "is_active": _l("Status"),
    "email": _l("E-mail"),
    "display_name": _l("Name"),
    "language": _l("Language of the mails"),
    "sso": _l("Single sign-on"),
    "sessions": _l("Sessions ended"),
    "sessions_ended": _l("Sessions ended"),
    "method": _l("Login method"),
    "title": _l("Title"),
    "status": _l("Status"),
    "state": _l("Status"),
    "issuer": _l("Identity provider"),
    "via": _l("Linked by"),
    "reason": _l("Reason"),
    "path": _l("Page"),
    "email_mode": _l("Mail"),
    # A municipality's single sign-on settings (tenants.sso.services._public_view): the settings form's labels.
    "client_id": _l("Client ID"),
    "scopes": _l("Scopes"),
    "token_auth_method": _l("Client authentication at the token endpoint"),
    "has_secret": _l("Client secret stored"),
    "secret_changed": _l("Client secret changed"),
    "client_secret_expires_on": _l("Expiry date of the client secret"),
    "is_enabled": _l("Staff log in through this provider"),
    "email_claim": _l("Claim with the e-mail address"),
    "name_claim": _l("Claim with the display name"),
    "groups_claim": _l("Claim with the groups"),
    "allowed_domains": _l("Allowed e-mail domains"),
    "verified_domains": _l("Verified e-mail domains"),
    "role_mapping": _l("Groups and roles"),
    "operator_role_mapping": _l("Groups and roles set by the operators"),
    "roles_from_idp": _l("Roles follow the provider's groups"),
    "required_acr": _l("Required authentication context (acr values)"),
    "require_mfa_amr": _l("Multi-factor authentication required"),
    "inactivity_days": _l("Days without a login before deactivation"),
    "groups_overage_host": _l("Host asked for the groups on overage"),
}

# Where a change was made, for the entries that say so ("via").
VIA_LABELS = {"web": _l("the settings page"), "cli": _l("the command line (operators)")}


LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}  # each in its own language, as the forms show them


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def _value(key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if key == "roles" and isinstance(value, list):
        return "、".join(role_label(str(r)) for r in value)
    if key == "via" and value in VIA_LABELS:
        return str(VIA_LABELS[value])
    if key == "language" and value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[value]
    if key == "is_active" and isinstance(value, bool):
        return _("Active") if value else _("Deactivated")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {_value(str(k), v)}" for k, v in value.items())
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def describe_changes(before: Optional[Mapping[str, Any]],
                     after: Optional[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(field, before, after) in words for every key that is new, gone or changed; a value only after (a
    creation, a login's method) has "—" before it."""
    before = before if isinstance(before, Mapping) else ({} if before is None else {"value": before})
    after = after if isinstance(after, Mapping) else ({} if after is None else {"value": after})
    changes = []
    keys = list(dict.fromkeys([*before, *after]))
    order = list(FIELD_LABELS)  # JSONB keeps keys in its own order: show the common ones in a fixed one
    keys.sort(key=lambda k: order.index(k) if k in order else len(order))
    for key in keys:
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        changes.append((field_label(key), _value(key, old) if key in before else "—", _value(key, new)))
    return changes
