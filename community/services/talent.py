"""The DX talent network: departments and DX推進員 (with the April hand-over), skills, directory, training.

Everything here is the municipality's own (tenant-owned, RLS) except the directory copy, which is
written only for a person who opts in and deleted when they opt out.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select

from community import access, notify
from community.models import (
    DirectoryProfile,
    Promoter,
    PromoterContact,
    RosterDepartment,
    SkillAssessment,
    TrainingCompletion,
    TrainingCourse,
    TrainingPlan,
)
from community.services.actions import move_person_actions
from community.services.common import clean, denied, utcnow
from community.skills import DIRECTORY_LEVEL, SKILLS, TARGET_ROLES
from kernel import audit
from kernel.errors import ServiceError
from kernel.extensions import db
from kernel.notifications import notify as kernel_notify
from tenants.models import User

TERM_WARNING_DAYS = 45


def _manager(actor: Any) -> None:
    if not access.can_manage_own(actor):
        raise denied()


def own_user(actor: Any, user_id: Optional[int]) -> Optional[User]:
    """A user of the actor's own municipality (RLS hides any other), or None."""
    if not user_id:
        return None
    return db.session.scalar(select(User).where(User.tenant_id == actor.tenant_id, User.id == user_id,
                                                User.is_active.is_(True)))


# Roster ------------------------------------------------------------------------------------------

def add_department(actor: Any, name: str) -> RosterDepartment:
    """Add a department that should have a DX推進員 (the same name again returns the existing one)."""
    _manager(actor)
    name = clean(name, 200, "name")
    found = db.session.scalar(select(RosterDepartment).where(RosterDepartment.tenant_id == actor.tenant_id,
                                                             RosterDepartment.name == name))
    if found is not None:
        return found
    department = RosterDepartment(tenant_id=actor.tenant_id, name=name)
    db.session.add(department)
    db.session.flush()
    audit.record("community.department.add", "community_department", department.id, after={"name": name})
    return department


def _person(actor: Any, user_id: Optional[int], name: str, email: str) -> tuple[Optional[int], str, str]:
    user = own_user(actor, user_id)
    if user_id and user is None:
        raise ServiceError(_("Choose a person of your municipality."), "user_id")
    if user is not None:
        return user.id, user.display_name, user.email
    return None, clean(name, 200, "name"), clean(email, 254, "email", required=False)


def appoint(actor: Any, department: RosterDepartment, user_id: Optional[int], name: str, email: str,
            starts_on: Optional[date], ends_on: Optional[date]) -> Promoter:
    """Name a DX推進員 of a department for a term (a department may have more than one)."""
    _manager(actor)
    if starts_on is None:
        raise ServiceError(_("Enter the start of the term."), "term_starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise ServiceError(_("The term must end after it starts."), "term_ends_on")
    person_id, person_name, person_email = _person(actor, user_id, name, email)
    duplicate = next((p for p in department.promoters if p.ended_on is None and p.name == person_name
                      and p.user_id == person_id), None)
    if duplicate is not None:
        return duplicate
    promoter = Promoter(tenant_id=actor.tenant_id, department_id=department.id, user_id=person_id,
                        name=person_name, email=person_email, term_starts_on=starts_on, term_ends_on=ends_on)
    db.session.add(promoter)
    db.session.flush()
    db.session.expire(department, ["promoters"])
    audit.record("community.promoter.appoint", "community_promoter", promoter.id,
                 after={"department": department.id, "user": person_id, "from": starts_on, "to": ends_on})
    if person_id is not None:
        kernel_notify("community.promoter_named", url=notify.page_url("community.skills"),
                      actor=(actor.tenant_id, actor.id), person=(actor.tenant_id, person_id),
                      department=department.name)
    return promoter


def hand_over(actor: Any, promoter: Promoter, user_id: Optional[int], name: str, email: str,
              effective_on: Optional[date], ends_on: Optional[date]) -> Promoter:
    """The April rotation: the successor takes over the term, the contacts and the open forum actions."""
    _manager(actor)
    if promoter.ended_on is not None:
        raise ServiceError(_("This term has already been handed over or ended."))
    if effective_on is None:
        raise ServiceError(_("Enter the date of the hand-over."), "effective_on")
    if effective_on < promoter.term_starts_on:
        raise ServiceError(_("The hand-over cannot be before the predecessor's term started."), "effective_on")
    if ends_on is not None and ends_on < effective_on:
        raise ServiceError(_("The term must end after it starts."), "term_ends_on")
    person_id, person_name, person_email = _person(actor, user_id, name, email)
    if person_id is not None and person_id == promoter.user_id:
        raise ServiceError(_("The successor must be someone else."), "user_id")
    successor = Promoter(tenant_id=promoter.tenant_id, department_id=promoter.department_id, user_id=person_id,
                         name=person_name, email=person_email, term_starts_on=effective_on, term_ends_on=ends_on)
    db.session.add(successor)
    db.session.flush()
    promoter.ended_on, promoter.successor_id = effective_on, successor.id
    contacts = list(db.session.scalars(select(PromoterContact).where(
        PromoterContact.tenant_id == promoter.tenant_id, PromoterContact.promoter_id == promoter.id)))
    for contact in contacts:
        contact.promoter_id = successor.id
    moved_contacts = len(contacts)
    moved_actions = 0
    if promoter.user_id is not None:
        moved_actions = move_person_actions(promoter.tenant_id, promoter.user_id, person_id, person_name, actor)
    db.session.flush()
    db.session.expire(promoter)
    audit.record("community.promoter.handover", "community_promoter", promoter.id,
                 after={"successor": successor.id, "on": effective_on, "contacts": moved_contacts,
                        "actions": moved_actions})
    if person_id is not None:
        kernel_notify("community.promoter_successor", url=notify.page_url("community.skills"),
                      actor=(actor.tenant_id, actor.id), person=(promoter.tenant_id, person_id), name=promoter.name)
    return successor


def end_term(actor: Any, promoter: Promoter, ended_on: Optional[date]) -> None:
    """End a term without a successor (the department becomes vacant and is reminded)."""
    _manager(actor)
    if promoter.ended_on is not None:
        raise ServiceError(_("This term has already been handed over or ended."))
    if ended_on is None or ended_on < promoter.term_starts_on:
        raise ServiceError(_("Enter the end date (not before the term started)."), "ended_on")
    promoter.ended_on = ended_on
    db.session.flush()
    audit.record("community.promoter.end", "community_promoter", promoter.id, after={"ended_on": ended_on})


def add_contact(actor: Any, promoter: Promoter, name: str, organisation: str, note: str) -> PromoterContact:
    """Keep a contact with the promoter's term (it moves to the successor at the hand-over)."""
    if not (access.can_manage_own(actor) or (promoter.user_id is not None and promoter.user_id == actor.id)):
        raise denied()
    contact = PromoterContact(tenant_id=promoter.tenant_id, promoter_id=promoter.id, name=clean(name, 200, "name"),
                              organisation=clean(organisation, 200, "organisation", required=False),
                              note=clean(note, 2000, "note", required=False))
    db.session.add(contact)
    db.session.flush()
    audit.record("community.contact.add", "community_promoter", promoter.id, after={"contact": contact.id})
    return contact


def vacancies(tenant_id: str, today: date) -> tuple[list[RosterDepartment], list[Promoter]]:
    """Departments without a current promoter, and terms ending soon with nobody named to follow."""
    departments = list(db.session.scalars(select(RosterDepartment).where(RosterDepartment.tenant_id == tenant_id)
                                          .order_by(RosterDepartment.name)))
    empty = [d for d in departments if not d.current(today)]
    ending = [p for d in departments for p in d.current(today) if p.term_ending(today, TERM_WARNING_DAYS)]
    return empty, ending


def vacancy_count(tenant_id: str, today: date) -> int:
    """How many ``vacancies`` lists (departments without a current promoter, and terms ending soon with nobody
    named to follow), from one statement of plain rows: the dashboard asks it at every view of a municipality's
    administrators, where loading the departments, their promoters and the promoters' contacts took three."""
    departments: set[int] = set()
    staffed: set[int] = set()
    ending = 0
    for row in db.session.connection().execute(_ROSTER_TERMS, {"tenant": tenant_id}):
        departments.add(row.id)
        # The model's own rules, read from the row's columns (a department without promoters has no start).
        promoter: Any = row
        if row.term_starts_on is not None and Promoter.is_current(promoter, today):
            staffed.add(row.id)
            ending += Promoter.term_ending(promoter, today, TERM_WARNING_DAYS)
    return len(departments - staffed) + ending


# Built once; run on the session's connection as a Core statement (no ORM entities to make of the rows).
_ROSTER_TERMS = (select(RosterDepartment.id, Promoter.ended_on, Promoter.term_starts_on, Promoter.successor_id,
                        Promoter.term_ends_on)
                 .outerjoin(Promoter, (Promoter.tenant_id == RosterDepartment.tenant_id)
                            & (Promoter.department_id == RosterDepartment.id))
                 .where(RosterDepartment.tenant_id == bindparam("tenant")))


def send_vacancy_reminders(today: Optional[date] = None) -> int:
    """Tell each municipality's administrators of its vacancies and ending terms; returns how many told.

    Run by ``flask notifications remind`` (daily from cron); each run reminds again while a vacancy stays.
    """
    from kernel.i18n import TOKYO, today_tokyo
    from kernel.notifications import Notification
    from kernel.notifications.directory import directory
    from tenants.models import Tenant

    today = today or today_tokyo()
    start_of_day = datetime.combine(today, time(0), tzinfo=TOKYO)
    told = 0
    for code in list(db.session.scalars(select(Tenant.code).where(Tenant.is_active.is_(True)))):
        with directory().bound(code):
            empty, ending = vacancies(code, today)
            # Once a day: a second run the same day finds today's reminder and sends nothing again.
            already = db.session.scalar(select(Notification.id).where(
                Notification.tenant_id == code, Notification.kind == "community.vacancies",
                Notification.created_at >= start_of_day).limit(1))
        if (not empty and not ending) or already is not None:
            continue
        told += kernel_notify("community.vacancies", url=notify.page_url("community.roster"), tenant_id=code,
                              empty=len(empty), ending=len(ending))
    return told


# Skills and the directory ------------------------------------------------------------------------

def save_assessment(actor: Any, levels: dict[str, Optional[int]]) -> None:
    """Save the person's own levels (None removes a skill); an opted-in directory entry follows."""
    if not access.can_participate(actor):
        raise denied()
    for skill, level in levels.items():
        if skill not in SKILLS:
            raise ServiceError(_("Unknown skill."), skill)
        if level is not None and level not in (1, 2, 3, 4):
            raise ServiceError(_("Choose a level from 1 to 4."), skill)
    existing = {a.skill: a for a in db.session.scalars(select(SkillAssessment).where(
        SkillAssessment.tenant_id == actor.tenant_id, SkillAssessment.user_id == actor.id))}
    for skill, level in levels.items():
        row = existing.get(skill)
        if level is None and row is not None:
            db.session.delete(row)
        elif level is not None and row is None:
            db.session.add(SkillAssessment(tenant_id=actor.tenant_id, user_id=actor.id, skill=skill, level=level))
        elif level is not None and row is not None and row.level != level:
            row.level, row.updated_at = level, utcnow()
    db.session.flush()
    audit.record("community.skills.save", "user", actor.id, after={"skills": len([v for v in levels.values() if v])})
    profile = db.session.get(DirectoryProfile, (actor.tenant_id, actor.id))
    if profile is not None:
        profile.skills = _helpful_skills(actor)
        profile.updated_at = utcnow()
        db.session.flush()


def _helpful_skills(actor: Any) -> list[str]:
    return sorted(db.session.scalars(select(SkillAssessment.skill).where(
        SkillAssessment.tenant_id == actor.tenant_id, SkillAssessment.user_id == actor.id,
        SkillAssessment.level >= DIRECTORY_LEVEL)))


def set_directory(actor: Any, opt_in: bool, department: str, note: str) -> None:
    """Opt in to the cross-municipal directory (a copy: name, department, skills one can help with) or out."""
    if not access.can_participate(actor):
        raise denied()
    profile = db.session.get(DirectoryProfile, (actor.tenant_id, actor.id))
    if not opt_in:
        if profile is not None:
            db.session.delete(profile)
            db.session.flush()
            audit.record("community.directory.opt_out", "user", actor.id)
        return
    department = clean(department, 200, "department", required=False)
    note = clean(note, 1000, "note", required=False)
    if profile is None:
        profile = DirectoryProfile(person_tenant=actor.tenant_id, person_user_id=actor.id)
        db.session.add(profile)
        audit.record("community.directory.opt_in", "user", actor.id)
    profile.display_name, profile.department, profile.note = actor.display_name, department, note
    profile.skills = _helpful_skills(actor)
    profile.updated_at = utcnow()
    db.session.flush()


# Training ----------------------------------------------------------------------------------------

def create_plan(actor: Any, fiscal_year: Optional[int], title: str) -> TrainingPlan:
    """A training plan of the municipality for a fiscal year."""
    _manager(actor)
    if fiscal_year is None or not 2000 <= fiscal_year <= 2100:
        raise ServiceError(_("The fiscal year is not valid."), "fiscal_year")
    plan = TrainingPlan(tenant_id=actor.tenant_id, fiscal_year=fiscal_year, title=clean(title, 200, "title"))
    db.session.add(plan)
    db.session.flush()
    audit.record("community.training.plan", "community_training_plan", plan.id, after={"fiscal_year": fiscal_year})
    return plan


def add_course(actor: Any, plan: TrainingPlan, title: str, target_roles: list[str], hours: Optional[int],
               planned: Optional[int]) -> TrainingCourse:
    """A course of the plan, for the roles it targets."""
    _manager(actor)
    unknown = [r for r in target_roles if r not in TARGET_ROLES]
    if unknown or not target_roles:
        raise ServiceError(_("Choose at least one target role."), "target_roles")
    if hours is None or not 0 <= hours <= 1000 or planned is None or not 0 <= planned <= 100000:
        raise ServiceError(_("Enter the hours and the planned participants as whole numbers."), "hours")
    course = TrainingCourse(tenant_id=plan.tenant_id, plan_id=plan.id, title=clean(title, 200, "title"),
                            target_roles=list(target_roles), hours=hours, planned_participants=planned)
    db.session.add(course)
    db.session.flush()
    db.session.expire(plan, ["courses"])
    audit.record("community.training.course", "community_training_plan", plan.id, after={"course": course.id})
    return course


def record_completion(actor: Any, course: TrainingCourse, user_id: Optional[int], completed_on: Optional[date]
                      ) -> None:
    """Record that a person of the municipality completed a course (recording it again changes nothing)."""
    _manager(actor)
    person = own_user(actor, user_id)
    if person is None:
        raise ServiceError(_("Choose a person of your municipality."), "user_id")
    if completed_on is None or completed_on > date.today() + timedelta(days=1):
        raise ServiceError(_("Enter the date of completion (not in the future)."), "completed_on")
    if db.session.get(TrainingCompletion, (course.tenant_id, course.id, person.id)) is not None:
        return
    db.session.add(TrainingCompletion(tenant_id=course.tenant_id, course_id=course.id, user_id=person.id,
                                      completed_on=completed_on))
    db.session.flush()
    db.session.expire(course, ["completions"])
    audit.record("community.training.completion", "community_training_course", course.id,
                 after={"user": person.id, "on": completed_on})


def remove_completion(actor: Any, course: TrainingCourse, user_id: int) -> None:
    """Withdraw a completion recorded by mistake."""
    _manager(actor)
    db.session.execute(delete(TrainingCompletion).where(
        TrainingCompletion.tenant_id == course.tenant_id, TrainingCompletion.course_id == course.id,
        TrainingCompletion.user_id == user_id))
    db.session.expire(course, ["completions"])
    audit.record("community.training.completion_removed", "community_training_course", course.id,
                 after={"user": user_id})
