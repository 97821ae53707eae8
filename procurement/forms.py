"""Forms of joint procurement. Quantity and tier fields are built per project (one per item)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import escape
from wtforms import (
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from kernel.i18n import in_own_lang
from kernel.numbers import parse_whole
from procurement.allocation import Tier
from procurement.models import CATEGORIES, UNITS

MAX_YEN = 10**13
CATEGORY_LABELS = {
    "e_application": _l("Online application"), "rpa": _l("RPA"), "ai_ocr": _l("AI-OCR"), "chat": _l("Chat"),
    "generative_ai": _l("Generative AI"), "other": _l("Other"),
}
UNIT_LABELS = {
    "licence": _l("licence"), "user": _l("user"), "account": _l("account"), "device": _l("device"),
    "year": _l("year"), "month": _l("month"), "set": _l("set"),
}
STATUS_LABELS = {
    "draft": _l("Draft"), "demand_survey": _l("Demand survey"), "survey_closed": _l("Survey closed"),
    "tendering": _l("Tendering"), "awarded": _l("Awarded"), "contracted": _l("Contracted"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"),
}
DECLARATION_LABELS = {
    "interested": _l("Interested"), "pending_approval": _l("Commitment awaiting approval"),
    "committed": _l("Committed"), "withdrawn": _l("Withdrawn"),
}
FY_RANGE = NumberRange(min=2000, max=2100, message=_l("Enter a fiscal year such as 2027."))


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    category = SelectField(_l("Category"), choices=[SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES])
    survey_opens_at = DateTimeLocalField(_l("Demand survey opens (Tokyo time)"), format="%Y-%m-%dT%H:%M",
                                         validators=[InputRequired(message=_l("Enter a date and time."))])
    survey_closes_at = DateTimeLocalField(_l("Demand survey closes (Tokyo time)"), format="%Y-%m-%dT%H:%M",
                                          validators=[InputRequired(message=_l("Enter a date and time."))])
    contract_start_fy = IntegerField(_l("Contract from fiscal year"), validators=[InputRequired(), FY_RANGE])
    contract_end_fy = IntegerField(_l("Contract until fiscal year"), validators=[InputRequired(), FY_RANGE])
    items = TextAreaField(_l("Items"), validators=[DataRequired(), Length(max=5000)])
    # Empty keeps the project's setting (3 for a new project); the database allows 0–60.
    reminder_days = IntegerField(_l("Reminder (days before the survey closes)"), validators=[
        Optional(), NumberRange(min=0, max=60, message=_l("Enter a number of days from 0 to 60 (0: no reminder)."))])
    version = HiddenField()

    def parsed_items(self) -> tuple[tuple[str, str], ...] | None:
        """Lines "name | unit"; None (with an error on the field) when a line is malformed."""
        result = []
        for raw in (self.items.data or "").splitlines():
            if not raw.strip():
                continue
            name, _sep, typed = raw.replace("｜", "|").rpartition("|")
            unit = unit_code(typed)
            if not name.strip() or unit is None:
                self.items.errors = [*self.items.errors, str(_l(
                    "Write one item per line as “name | unit”; the unit is one of: %(units)s.",
                    units="、".join(str(UNIT_LABELS[u]) for u in UNITS)))]
                return None
            result.append((name.strip(), unit))
        return tuple(result)


def unit_code(typed: str) -> str | None:
    """A unit as people type it: the label the form shows (台, ライセンス, … or device, licence in English) or
    the code; None when unknown."""
    from flask_babel import force_locale

    text = typed.strip()
    if text.lower() in UNITS:
        return text.lower()
    for locale in ("ja", "en"):
        with force_locale(locale):
            for code, label in UNIT_LABELS.items():
                if text.lower() == str(label).lower():
                    return code
    return None


class TransitionForm(FlaskForm):
    to_status = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for cancelling"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class AwardForm(FlaskForm):
    quote_id = SelectField(_l("Quote to award"), coerce=int, validate_choice=True)
    version = HiddenField()


class DocumentForm(FlaskForm):
    title = StringField(_l("Document title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("File (PDF or office document)"))


class ApproveForm(FlaskForm):
    version = HiddenField()


def declaration_form(project: Any, formdata: Any = None, **kwargs: Any) -> Any:
    """A declaration form with one quantity field per item of the project."""

    class DeclarationForm(FlaskForm):
        intent = RadioField(_l("Participation"), choices=[
            SelectChoice("interested", _l("Interested (not binding)")),
            SelectChoice("commit", _l("Commit to take part (needs the administrator's approval)")),
            SelectChoice("withdraw", _l("Withdraw")),
        ], default="interested", validators=[InputRequired(message=_l("Choose one."))])
        max_budget_yen = IntegerField(_l("Maximum budget (yen)"), validators=[
            Optional(), NumberRange(min=0, max=MAX_YEN, message=_l("Enter a whole number of yen."))])
        contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=100)])
        contact_email = EmailField(_l("Contact e-mail"), validators=[DataRequired(), Length(max=254), Regexp(
            r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address such as name@city.example.jp."))])
        contact_phone = StringField(_l("Contact telephone"), validators=[Optional(), Length(max=30)])
        remarks = TextAreaField(_l("Remarks"), validators=[Optional(), Length(max=5000)])
        version = HiddenField()

    for item in project.items:
        setattr(DeclarationForm, f"qty_{item.id}", IntegerField(
            in_own_lang(item.name), validators=[Optional(), NumberRange(min=0, max=10_000_000,
                                                           message=_l("Enter a whole number from 0."))]))
    form = DeclarationForm(formdata=formdata, **kwargs) if formdata is not None else DeclarationForm(**kwargs)
    form.quantity_fields = [(item, form[f"qty_{item.id}"]) for item in project.items]
    return form


def quote_form(project: Any, formdata: Any = None) -> Any:
    """A quote form: vendor, and per item a set-up fee and a tier table."""

    class QuoteForm(FlaskForm):
        vendor_name = StringField(_l("Vendor"), validators=[DataRequired(), Length(max=200)])
        vendor_identifier = StringField(_l("Corporate number (13 digits)"), validators=[Optional(), Length(max=13)])
        notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    # The labels name the item in its own language (<span lang>): built per request, in its locale.
    for item in project.items:
        setattr(QuoteForm, f"fee_{item.id}", IntegerField(
            escape(_("Set-up fee of “%(item)s” (yen)")) % {"item": in_own_lang(item.name)}, default=0,
            validators=[InputRequired(), NumberRange(min=0, max=MAX_YEN, message=_l("Enter a whole number of yen."))]))
        setattr(QuoteForm, f"tiers_{item.id}", TextAreaField(
            escape(_("Price tiers of “%(item)s”")) % {"item": in_own_lang(item.name)},
            validators=[DataRequired(), Length(max=2000)]))
    form = QuoteForm(formdata=formdata) if formdata is not None else QuoteForm()
    form.item_fields = [(item, form[f"fee_{item.id}"], form[f"tiers_{item.id}"]) for item in project.items]
    return form


def parse_tiers(text: str) -> list[Tier] | None:
    """Lines "from quantity: unit price" (全角 digits and commas allowed); None when malformed."""
    tiers = []
    table = str.maketrans("０１２３４５６７８９：，", "0123456789:,")
    for raw in (text or "").translate(table).splitlines():
        line = raw.strip().replace(",", "").replace("円", "")
        if not line:
            continue
        left, sep, right = line.partition(":")
        quantity, price = parse_whole(left), parse_whole(right)
        if not sep or quantity is None or price is None:
            return None
        tiers.append(Tier(quantity, price))
    return tiers


def quote_choices(project: Any) -> list[SelectChoice]:
    return [SelectChoice(q.id, q.vendor_name) for q in project.quotes]
