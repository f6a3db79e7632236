"""Writes of the certification app: the standard's versions, training records,
applications, certificates and their revocation. Exams are in `certification.exams`.

Every function is one use case, transactional, keyword-only; it checks the actor with
`certification.policies` and answers another centre's object as not found.
"""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.audit import audit_record
from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from certification import credentials, eligibility, policies
from certification.models import (
    Application,
    ApplicationEvent,
    Attendance,
    Certificate,
    CertificateSequence,
    Completion,
    Course,
    CourseSession,
    ExamSitting,
    Level,
    Requirement,
    SkillAllowance,
    StandardVersion,
)
from workforce.models import User, WorkUnit
from workforce.pay.services import allowance_end, allowance_grant

REQUIREMENT_FIELDS = {
    "prerequisite_months": int,
    "work_months": int,
    "volume_unit": str,
    "volume_min": int,
    "quality_months": int,
    "quality_min": Decimal,
    "quality_min_observations": int,
    "training_hours": Decimal,
    "theory_pass": int,
    "practical_pass": int,
}


def _require_manager(actor: User) -> None:
    if not policies.can_manage_certification(actor):
        raise PermissionDenied(_("Only HR manages certification."))


def _same_centre(actor: User, centre_id: int | None) -> bool:
    return actor.is_network_admin or (actor.centre_id is not None and actor.centre_id == centre_id)


def _clean_requirement(field: str, raw) -> object:
    kind = REQUIREMENT_FIELDS[field]
    try:
        value = kind(str(raw).strip())
    except (ValueError, InvalidOperation, TypeError):
        raise DomainError(_("Enter a number."), field=field) from None
    if field == "volume_unit":
        if value not in WorkUnit.values:
            raise DomainError(_("Unknown unit of work."), field=field)
        return value
    if value < 0:
        raise DomainError(_("Cannot be negative."), field=field)
    if field == "quality_min" and value > 1:
        raise DomainError(_("Quality is a score from 0 to 1."), field=field)
    if field in {"theory_pass", "practical_pass"} and value > 100:
        raise DomainError(_("Exams are scored out of 100."), field=field)
    if field in {"quality_months"} and value < 1:
        raise DomainError(_("At least one month."), field=field)
    return value


@transaction.atomic
def standard_revise(*, actor: User, changes: dict[int, dict], note: str = "") -> StandardVersion:
    """A new version of the standard: the version in force with `changes` ({grade: {field:
    value}}) applied. Versions are never edited, so applications keep theirs. Raises
    DomainError naming the field for a bad value (nothing is written) and Conflict when
    nothing changes."""
    if not policies.can_edit_standard(actor):
        raise PermissionDenied(_("Only HR edits the standard."))
    current = StandardVersion.objects.select_for_update().order_by("-number").first()
    if current is None:
        raise Conflict(_("There is no standard to revise."))
    requirements = eligibility.requirements_of(current)
    cleaned: dict[int, dict] = {}
    for grade, fields in changes.items():
        if grade not in requirements:
            raise DomainError(_("Unknown level."), field="level")
        for field, raw in fields.items():
            if field not in REQUIREMENT_FIELDS:
                raise DomainError(_("Not a requirement."), field=field)
            value = _clean_requirement(field, raw)
            if getattr(requirements[grade], field) != value:
                cleaned.setdefault(grade, {})[field] = value
    if not cleaned:
        raise Conflict(_("Nothing changed: the version in force stays."))
    version = StandardVersion.objects.create(
        number=current.number + 1,
        occupation_code=current.occupation_code,
        occupation_name=current.occupation_name,
        source_note=current.source_note,
        note=note[:300],
        created_by=actor,
    )
    rows = []
    for grade, requirement in requirements.items():
        requirement.pk = None
        requirement.version = version
        for field, value in cleaned.get(grade, {}).items():
            setattr(requirement, field, value)
        rows.append(requirement)
    Requirement.objects.bulk_create(rows)
    return version


@transaction.atomic
def skill_allowance_set(*, actor: User, centre_id: int, grade: int, amount) -> SkillAllowance:
    """The monthly allowance a holder of level `grade` at the centre is paid (HR of that
    centre). Certificates issued from then on carry it."""
    _require_manager(actor)
    if not _same_centre(actor, centre_id):
        raise NotFound(_("No such centre."))
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError):
        raise DomainError(_("Enter an amount in yuan."), field="amount") from None
    if value < 0:
        raise DomainError(_("An allowance cannot be negative."), field="amount")
    level = Level.objects.filter(grade=grade).first()
    if level is None:
        raise DomainError(_("Unknown level."), field="level")
    allowance, _created = SkillAllowance.objects.update_or_create(
        centre_id=centre_id, level=level, defaults={"monthly_amount": value.quantize(Decimal("0.01"))}
    )
    return allowance


# --- Training -------------------------------------------------------------------------------


@transaction.atomic
def course_create(
    *, actor: User, title: str, hours, level_grade: int | None = None, description: str = "", centre_id=None
) -> Course:
    """A course of the actor's centre (network admins name the centre)."""
    _require_manager(actor)
    centre_id = centre_id if actor.is_network_admin and centre_id else actor.centre_id
    if centre_id is None:
        raise DomainError(_("Name the centre."), field="centre")
    if not (title or "").strip():
        raise DomainError(_("Give the course a title."), field="title")
    try:
        hours = Decimal(str(hours))
    except (InvalidOperation, TypeError):
        raise DomainError(_("Enter the course's hours."), field="hours") from None
    if hours <= 0 or hours > 1000:
        raise DomainError(_("Hours must be more than 0 and at most 1,000."), field="hours")
    level = Level.objects.filter(grade=level_grade).first() if level_grade else None
    return Course.objects.create(
        centre_id=centre_id, title=title.strip()[:200], hours=hours, level=level, description=description
    )


def _course_of(actor: User, course_id) -> Course:
    course = Course.objects.filter(pk=course_id).first() if str(course_id).isdigit() else None
    if course is None or not _same_centre(actor, course.centre_id):
        raise NotFound(_("No such course."))
    return course


def _worker_of(actor: User, worker_id) -> User:
    from workforce.selectors import workers_visible_to

    worker = workers_visible_to(actor).filter(pk=worker_id).first() if str(worker_id).isdigit() else None
    if worker is None:
        raise NotFound(_("No such person."))
    return worker


@transaction.atomic
def course_session_create(*, actor: User, course_id, starts_at: dt.datetime, ends_at: dt.datetime, place="",
                          trainer="") -> CourseSession:  # fmt: skip
    _require_manager(actor)
    course = _course_of(actor, course_id)
    if ends_at <= starts_at:
        raise DomainError(_("A session ends after it starts."), field="ends_at")
    return CourseSession.objects.create(course=course, starts_at=starts_at, ends_at=ends_at, place=place,
                                        trainer=trainer)  # fmt: skip


@transaction.atomic
def attendance_record(*, actor: User, session_id, worker_id, present: bool = True) -> Attendance:
    """Who came to a session (recording again changes the mark)."""
    _require_manager(actor)
    session = CourseSession.objects.select_related("course").filter(pk=session_id).first()
    if session is None or not _same_centre(actor, session.course.centre_id):
        raise NotFound(_("No such session."))
    worker = _worker_of(actor, worker_id)
    attendance, _created = Attendance.objects.update_or_create(
        session=session, worker=worker, defaults={"present": present, "recorded_by": actor}
    )
    return attendance


@transaction.atomic
def completion_record(*, actor: User, course_id, worker_id, completed_on: dt.date, hours=None) -> Completion:
    """A person completed a course; its hours (or fewer, if given) count from then on."""
    _require_manager(actor)
    course = _course_of(actor, course_id)
    worker = _worker_of(actor, worker_id)
    hours = course.hours if hours in (None, "") else Decimal(str(hours))
    if hours <= 0 or hours > course.hours:
        raise DomainError(_("Hours must be more than 0 and at most the course's."), field="hours")
    if completed_on > timezone.localdate():
        raise DomainError(_("A course cannot be completed in the future."), field="completed_on")
    completion, _created = Completion.objects.update_or_create(
        course=course, worker=worker, defaults={"completed_on": completed_on, "hours": hours, "recorded_by": actor}
    )
    return completion


# --- Applications ---------------------------------------------------------------------------


def _event(application: Application, kind: str, actor: User | None, note: str = "") -> None:
    ApplicationEvent.objects.create(application=application, kind=kind, actor=actor, note=note[:500])


def _open(worker: User, path: eligibility.Path, *, actor: User, nominated: bool) -> Application:
    if path.target is None:
        raise Conflict(_("There is no higher level to apply for."))
    if not nominated and not path.eligible:
        raise Conflict(_("Not all the requirements are met yet."))
    if worker.centre_id is None:
        raise Conflict(_("This person belongs to no centre."))
    version = path.requirement.version if path.requirement else eligibility.version_in_force()
    if (
        Application.objects.select_for_update()
        .filter(worker=worker, level=path.target, status__in=Application.OPEN)
        .exists()
    ):
        raise Conflict(_("An application for this level is already open."))
    application = Application.objects.create(
        worker=worker,
        centre_id=worker.centre_id,
        level=path.target,
        version=version,
        nominated_by=actor if nominated else None,
        eligibility=path.as_data(),
    )
    _event(application, ApplicationEvent.Kind.NOMINATED if nominated else ApplicationEvent.Kind.APPLIED, actor)
    return application


@transaction.atomic
def application_submit(*, actor: User) -> Application:
    """The actor applies for their next level. Their eligibility is computed now and
    frozen with the version in force. Conflict if a requirement is unmet or one is open."""
    if not policies.can_seek_certification(actor):
        raise PermissionDenied(_("Only annotators and reviewers apply for certification."))
    path = eligibility.paths_for([actor.pk])[actor.pk]
    return _open(actor, path, actor=actor, nominated=False)


@transaction.atomic
def application_nominate(*, actor: User, worker_id) -> Application:
    """HR puts a person of their centre forward for their next level, met or not (HR
    sees the gaps in the frozen eligibility)."""
    _require_manager(actor)
    worker = _worker_of(actor, worker_id)
    path = eligibility.paths_for([worker.pk])[worker.pk]
    return _open(worker, path, actor=actor, nominated=True)


def _application_for_update(actor: User, application_id) -> Application:
    _require_manager(actor)
    qs = Application.objects.select_for_update().filter(pk=application_id) if str(application_id).isdigit() else None
    application = qs.first() if qs is not None else None
    if application is None or not _same_centre(actor, application.centre_id):
        raise NotFound(_("No such application."))
    return application


@transaction.atomic
def application_decline(*, actor: User, application_id, reason: str) -> Application:
    application = _application_for_update(actor, application_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the application is declined."), field="reason")
    if application.status not in Application.OPEN:
        raise Conflict(_("This application is already decided."))
    application.status = Application.Status.DECLINED
    application.decline_reason = reason[:500]
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decline_reason", "decided_at"])
    _event(application, ApplicationEvent.Kind.DECLINED, actor, reason)
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application_id) -> Application:
    """The candidate takes back their own open application."""
    application = Application.objects.select_for_update().filter(pk=application_id, worker=actor).first()
    if application is None:
        raise NotFound(_("No such application."))
    if application.status not in Application.OPEN:
        raise Conflict(_("This application is already decided."))
    application.status = Application.Status.WITHDRAWN
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    _event(application, ApplicationEvent.Kind.WITHDRAWN, actor)
    return application


@transaction.atomic
def exam_schedule(
    *, actor: User, application_id, kind: str, opens_at: dt.datetime, closes_at: dt.datetime
) -> ExamSitting:
    """HR sets the window a candidate may sit one of the application's exams in (again:
    moves it, while it has not been started)."""
    application = _application_for_update(actor, application_id)
    if application.status not in Application.OPEN:
        raise Conflict(_("This application is already decided."))
    if kind not in ExamSitting.Kind.values:
        raise DomainError(_("Unknown exam."), field="kind")
    if closes_at <= opens_at:
        raise DomainError(_("The window closes after it opens."), field="closes_at")
    sitting = ExamSitting.objects.filter(application=application, kind=kind).first()
    if sitting is not None and hasattr(sitting, "attempt"):
        raise Conflict(_("This exam has been started; it cannot be moved."))
    sitting, _created = ExamSitting.objects.update_or_create(
        application=application, kind=kind,
        defaults={"opens_at": opens_at, "closes_at": closes_at, "scheduled_by": actor},
    )  # fmt: skip
    if application.status == Application.Status.SUBMITTED:
        application.status = Application.Status.EXAMS
        application.save(update_fields=["status"])
    note = f"{ExamSitting.Kind(kind).label} {timezone.localtime(opens_at):%Y-%m-%d %H:%M}"
    _event(application, ApplicationEvent.Kind.EXAM_SCHEDULED, actor, note)
    return sitting


def exam_scores(application: Application) -> dict[str, int | None]:
    """The application's exam results: {"theory": score or None, "practical": ...}."""
    scores: dict[str, int | None] = {"theory": None, "practical": None}
    for kind, score in ExamSitting.objects.filter(
        application=application, attempt__finished_at__isnull=False
    ).values_list("kind", "attempt__score"):
        scores[kind] = score
    return scores


def application_states(application: Application) -> list[dict]:
    """The frozen eligibility with the exams' results judged by the frozen version."""
    requirement = Requirement.objects.select_related("level", "prerequisite_level").get(
        version_id=application.version_id, level_id=application.level_id
    )
    scores = exam_scores(application)
    states = [s for s in application.eligibility.get("states", []) if s["code"] not in eligibility.EXAM_CODES]
    for code, pass_mark in (("theory", requirement.theory_pass), ("practical", requirement.practical_pass)):
        if pass_mark:
            score = scores[code]
            states.append({"code": code, "have": score, "need": pass_mark,
                           "met": score is not None and score >= pass_mark,
                           "progress": eligibility._progress(score or 0, pass_mark)})  # fmt: skip
    return states


# --- Certificates ---------------------------------------------------------------------------


def _next_number(centre, grade: int, year: int) -> tuple[str, int]:
    """The certificate number (centre code + level + year + sequence) and the next bit of
    the centre's status list, both counted under a row lock."""
    numbers, _created = CertificateSequence.objects.select_for_update().get_or_create(
        centre_id=centre.pk, grade=grade, year=year
    )
    numbers.last += 1
    numbers.save(update_fields=["last"])
    bits, _created = CertificateSequence.objects.select_for_update().get_or_create(centre_id=centre.pk, grade=0, year=0)
    bits.last += 1
    bits.save(update_fields=["last"])
    if bits.last > credentials.STATUS_LIST_BITS:
        raise Conflict(_("The centre's status list is full."))
    code = centre.code or f"C{centre.pk:03d}"
    return f"{code}-{grade}-{year}-{numbers.last:05d}", bits.last - 1


def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _allowance_source(certificate: Certificate) -> str:
    return f"certification.certificate:{certificate.pk}"


@transaction.atomic
def certificate_issue(*, actor: User, application_id, issued_on: dt.date | None = None) -> Certificate:
    """Issue the certificate of an application whose exams are passed (by the pass marks
    of the version it was made under). Signs its credential, starts the level's skill
    allowance from the first day of the next month and ends the allowance of a lower
    level the holder had (at the end of this month). Conflict when a result is missing."""
    application = _application_for_update(actor, application_id)
    if application.status not in Application.OPEN:
        raise Conflict(_("This application is already decided."))
    unmet = [s for s in application_states(application) if s["code"] in eligibility.EXAM_CODES and not s["met"]]
    if unmet:
        raise Conflict(_("The exams are not all passed yet."))
    worker = User.objects.select_related("centre").get(pk=application.worker_id)
    centre = worker.centre
    if centre is None:
        raise Conflict(_("This person belongs to no centre."))
    issued_on = issued_on or timezone.localdate()
    number, status_index = _next_number(centre, application.level.grade, issued_on.year)
    certificate = Certificate.objects.create(
        number=number,
        verify_code=secrets.token_urlsafe(9),
        holder=worker,
        holder_name=worker.name or worker.username,
        level=application.level,
        centre=centre,
        issuing_body=_issuing_body(centre),
        application=application,
        issued_on=issued_on,
        issued_by=actor,
        status_index=status_index,
    )
    certificate.credential, certificate.signing_key = credentials.credential_sign(certificate)
    certificate.save(update_fields=["credential", "signing_key"])
    application.status = Application.Status.ISSUED
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    _event(application, ApplicationEvent.Kind.ISSUED, actor, number)
    _allowances_after_issue(certificate)
    return certificate


def _issuing_body(centre) -> str:
    return f"{centre.name}（人工智能训练师职业技能等级认定）"


def _allowances_after_issue(certificate: Certificate) -> None:
    """Payroll pays the skill allowance of the highest level held: this one from next
    month; a lower level's stops at the end of this month."""
    month_end = _first_of_next_month(certificate.issued_on) - dt.timedelta(days=1)
    for lower in Certificate.objects.filter(holder=certificate.holder, status=Certificate.Status.VALID).exclude(
        pk=certificate.pk
    ):
        if lower.level.grade > certificate.level.grade:
            allowance_end(source=_allowance_source(lower), ends_on=month_end)
    allowance = SkillAllowance.objects.filter(centre_id=certificate.centre_id, level=certificate.level).first()
    if allowance is not None and allowance.monthly_amount > 0:
        allowance_grant(
            worker=certificate.holder,
            code="skill_allowance",
            label=_("Skill allowance (%(level)s)") % {"level": certificate.level.name},
            amount=allowance.monthly_amount,
            starts_on=_first_of_next_month(certificate.issued_on),
            source=_allowance_source(certificate),
        )


@transaction.atomic
def certificate_revoke(*, actor: User, certificate_id, reason: str) -> Certificate:
    """Revoke a certificate of the actor's centre with a reason: its page and the status
    list say so at once, and its skill allowance stops after today."""
    _require_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the certificate is revoked."), field="reason")
    certificate = Certificate.objects.select_for_update().filter(pk=certificate_id).first() if str(
        certificate_id
    ).isdigit() else None  # fmt: skip
    if certificate is None or not _same_centre(actor, certificate.centre_id):
        raise NotFound(_("No such certificate."))
    if certificate.status == Certificate.Status.REVOKED:
        raise Conflict(_("This certificate is already revoked."))
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason[:500]
    certificate.revoked_by = actor
    certificate.save(update_fields=["status", "revoked_at", "revoked_reason", "revoked_by"])
    allowance_end(source=_allowance_source(certificate), ends_on=timezone.localdate())
    if certificate.application is not None:
        _event(certificate.application, ApplicationEvent.Kind.REVOKED, actor, reason)
    audit_record(actor=actor, action="certificate_revoke", target=certificate, fields=["status"], reason=reason)
    return certificate


@transaction.atomic
def signing_key_rotate(*, actor: User, centre_id: int):
    """A new signing key for the centre; the old one stays published for what it signed."""
    _require_manager(actor)
    if not _same_centre(actor, centre_id):
        raise NotFound(_("No such centre."))
    key = credentials.signing_key_rotate(centre_id=centre_id)
    audit_record(actor=actor, action="signing_key_rotate", target=key, fields=["kid"])
    return key
