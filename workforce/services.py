"""Writes of the workforce app. Each function is one use case, runs in a transaction and
raises django.core.exceptions.ValidationError (field -> messages) or a DomainError."""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aidou.audit import audit_record
from aidou.crypto import decrypt_text, digest_text, encrypt_text
from aidou.errors import Conflict, PermissionDenied
from aidou.jobs import JobKind, job_claim, job_fail, job_requeue
from aidou.masking import mask_bank_account, mask_id_number
from aidou.models import AuditLog
from aidou.text import clean_file_name
from workforce import policies, roster
from workforce.models import (
    Centre,
    EmploymentType,
    Role,
    RoleGrant,
    RosterImport,
    Team,
    User,
    WorkerProfile,
)
from workforce.validators import (
    id_number_birth_date,
    id_number_gender,
    validate_bank_account,
    validate_id_number,
    validate_mobile,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class WorkerData:
    """What HR says about a person. Blank `id_number` / `bank_account` keep what is on file;
    `teams=None` leaves team memberships as they are; a tuple makes them exactly those
    teams within the person's centre (teams of other centres are not touched)."""

    name: str
    mobile: str
    centre: Centre
    roles: tuple[str, ...]
    id_number: str = ""
    gender: str = ""
    birth_date: dt.date | None = None
    education: str = ""
    hire_date: dt.date | None = None
    employment_type: str = EmploymentType.FULL_TIME
    teams: tuple[Team, ...] | None = None
    bank_name: str = ""
    bank_account: str = ""
    username: str = ""  # on create only; default: the mobile number


def _clean_worker_data(*, actor: User, worker: User | None, data: WorkerData) -> WorkerData:
    errors: dict[str, list[str]] = {}

    def fail(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    name = data.name.strip()
    if not name:
        fail("name", _("A name is required."))
    mobile = ""
    try:
        mobile = validate_mobile(data.mobile)
    except ValidationError as exc:
        fail("mobile", exc.messages[0])
    id_number = ""
    if data.id_number:
        try:
            id_number = validate_id_number(data.id_number)
        except ValidationError as exc:
            fail("id_number", exc.messages[0])
    elif worker is None or not hasattr(worker, "profile") or not worker.profile.id_number_digest:
        fail("id_number", _("An ID number is required."))
    bank_account = ""
    if data.bank_account:
        try:
            bank_account = validate_bank_account(data.bank_account)
        except ValidationError as exc:
            fail("bank_account", exc.messages[0])

    gender, birth_date = data.gender, data.birth_date
    if id_number:
        # The ID number carries the birth date and gender; a roster that disagrees with it
        # has a typo somewhere, and payroll and certification rely on both.
        if birth_date and birth_date != id_number_birth_date(id_number):
            fail("birth_date", _("The birth date does not match the ID number."))
        if gender and gender != id_number_gender(id_number):
            fail("gender", _("The gender does not match the ID number."))
        birth_date = birth_date or id_number_birth_date(id_number)
        gender = gender or id_number_gender(id_number)

    if not data.roles:
        fail("roles", _("Give at least one role."))
    for role in data.roles:
        if not policies.can_assign_role(actor, role):
            fail("roles", _("You may not grant the role %(role)s.") % {"role": Role(role).label})
    if not policies.can_edit_worker(actor) or not (actor.is_network_admin or actor.centre_id == data.centre.pk):
        fail("centre", _("You can only manage people of your own centre."))
    if data.teams is not None and any(team.centre_id != data.centre.pk for team in data.teams):
        fail("teams", _("The team belongs to another centre."))
    if data.hire_date and birth_date and data.hire_date < birth_date:
        fail("hire_date", _("The hire date is before the birth date."))

    others = User.objects.exclude(pk=worker.pk) if worker else User.objects.all()
    if mobile and others.filter(mobile=mobile).exists():
        fail("mobile", _("This mobile number belongs to another person."))
    if id_number and others.filter(profile__id_number_digest=digest_text(id_number)).exists():
        fail("id_number", _("This ID number belongs to another person."))
    if errors:
        raise ValidationError(errors)
    return dataclasses.replace(
        data,
        name=name,
        mobile=mobile,
        id_number=id_number,
        bank_account=bank_account,
        gender=gender,
        birth_date=birth_date,
    )


@transaction.atomic
def worker_save(*, actor: User, worker: User | None, data: WorkerData, password_hash: str = "") -> User:
    """Create (worker=None) or update one person: account, profile, roles and team.

    Only HR, centre managers and network admins of the person's centre may call it.
    ID number and bank account are encrypted; changing them writes an audit row.
    New people log in with their mobile number as username; without `password_hash`
    they cannot log in until HR sets a password.
    """
    if worker is not None and not policies.can_edit_worker(actor, worker):
        raise PermissionDenied(_("You can only manage people of your own centre."))
    data = _clean_worker_data(actor=actor, worker=worker, data=data)

    if worker is None:
        worker = User(username=data.username or data.mobile)
        if password_hash:
            worker.password = password_hash
        else:
            worker.set_unusable_password()
    worker.name = data.name
    worker.mobile = data.mobile
    worker.centre = data.centre
    try:
        worker.save()
    except IntegrityError as exc:
        raise ValidationError({"mobile": [_("This mobile number is already used as a login.")]}) from exc

    profile = WorkerProfile.objects.filter(user=worker).first() or WorkerProfile(user=worker)
    profile.gender = data.gender
    profile.birth_date = data.birth_date
    profile.education = data.education
    profile.hire_date = data.hire_date
    profile.employment_type = data.employment_type or EmploymentType.FULL_TIME
    profile.bank_name = data.bank_name
    changed_pii = []
    if data.id_number and digest_text(data.id_number) != profile.id_number_digest:
        profile.id_number_encrypted = encrypt_text(data.id_number)
        profile.id_number_digest = digest_text(data.id_number)
        profile.id_number_masked = mask_id_number(data.id_number)
        changed_pii.append("id_number")
    if data.bank_account and decrypt_text(profile.bank_account_encrypted) != data.bank_account:
        profile.bank_account_encrypted = encrypt_text(data.bank_account)
        profile.bank_account_masked = mask_bank_account(data.bank_account)
        changed_pii.append("bank_account")
    profile.save()
    if changed_pii:
        audit_record(actor=actor, action=AuditLog.Action.CHANGE_PII, target=profile, fields=changed_pii)

    _set_roles(worker, data.roles)
    if data.teams is not None:
        wanted = {team.pk for team in data.teams}
        worker.teams.remove(*worker.teams.filter(centre_id=data.centre.pk).exclude(pk__in=wanted))
        worker.teams.add(*data.teams)
    worker.__dict__.pop("_roles_cache", None)
    return worker


def _set_roles(worker: User, roles: tuple[str, ...]) -> None:
    current = set(RoleGrant.objects.filter(user=worker).values_list("role", flat=True))
    wanted = set(roles)
    if current - wanted:
        RoleGrant.objects.filter(user=worker, role__in=current - wanted).delete()
    RoleGrant.objects.bulk_create([RoleGrant(user=worker, role=role) for role in sorted(wanted - current)])


@transaction.atomic
def worker_set_password(*, actor: User, worker: User, password: str) -> None:
    if not policies.can_edit_worker(actor, worker):
        raise PermissionDenied(_("You can only manage people of your own centre."))
    worker.set_password(password)
    worker.save(update_fields=["password"])


@transaction.atomic
def worker_set_active(*, actor: User, worker: User, active: bool) -> None:
    """Deactivate someone who left (keeps their history) or bring them back."""
    if not policies.can_edit_worker(actor, worker):
        raise PermissionDenied(_("You can only manage people of your own centre."))
    if worker.pk == actor.pk:
        raise PermissionDenied(_("You cannot deactivate yourself."))
    worker.is_active = active
    worker.save(update_fields=["is_active"])


@transaction.atomic
def worker_pii_reveal(*, actor: User, worker: User, ip_address: str | None = None) -> dict[str, str]:
    """The only way staff read a full ID number or bank account. HR of the person's
    centre only; every call writes an audit row in the same transaction."""
    if not policies.can_reveal_pii(actor, worker):
        raise PermissionDenied(_("Only HR of this person's centre may see their full personal data."))
    profile = WorkerProfile.objects.filter(user=worker).first()
    if profile is None:
        return {"id_number": "", "bank_account": ""}
    audit_record(
        actor=actor,
        action=AuditLog.Action.REVEAL_PII,
        target=profile,
        fields=["id_number", "bank_account"],
        ip_address=ip_address,
    )
    return {
        "id_number": decrypt_text(profile.id_number_encrypted),
        "bank_account": decrypt_text(profile.bank_account_encrypted),
    }


@transaction.atomic
def team_create(*, actor: User, centre: Centre, name: str, lead: User | None = None) -> Team:
    if not policies.can_manage_teams(actor, centre.pk):
        raise PermissionDenied(_("You can only manage teams of your own centre."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("A team needs a name.")]})
    if Team.objects.filter(centre=centre, name=name).exists():
        raise ValidationError({"name": [_("This centre already has a team of that name.")]})
    if lead is not None and lead.centre_id != centre.pk:
        raise ValidationError({"lead": [_("The team lead must work at this centre.")]})
    team = Team.objects.create(centre=centre, name=name, lead=lead)
    if lead is not None:
        team.members.add(lead)
    return team


# --- Roster import -------------------------------------------------------------------


def roster_import_start(
    *, actor: User, upload: UploadedFile, initial_password: str = "", enqueue: bool = True
) -> RosterImport:
    """Store the uploaded roster under a generated name and queue its processing
    (`enqueue=False`: the caller runs `roster_import_run` itself, as the CLI does).
    Raises ValidationError for a file that is too large or of the wrong type."""
    if not policies.can_import_roster(actor):
        raise PermissionDenied(_("Only HR may import rosters."))
    name = clean_file_name(upload.name)
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": [_("Upload a .csv or .xlsx file.")]})
    if (upload.size or 0) > settings.ROSTER_UPLOAD_MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": settings.ROSTER_UPLOAD_MAX_BYTES // 2**20}]}
        )
    with transaction.atomic():
        job = RosterImport.objects.create(
            created_by=actor,
            file=upload,
            original_name=name,
            initial_password_hash=make_password(initial_password) if initial_password else "",
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue_roster_import(job.pk))
    return job


def _enqueue_roster_import(job_id: int) -> None:
    from workforce.tasks import roster_import_task

    roster_import_task.delay(job_id)


def roster_import_retry(*, actor: User, job: RosterImport) -> RosterImport:
    """Queue again an import whose worker died (stale) or that failed while its file is
    still here. Re-running never duplicates people. Raises Conflict otherwise."""
    if not policies.can_import_roster(actor):
        raise PermissionDenied(_("Only HR may import rosters."))
    refusal = _("This import cannot run again; upload the file again instead.")
    if not job.file:
        raise Conflict(refusal)
    job_requeue(job, _enqueue_roster_import, refusal=refusal)
    return job


def roster_import_run(*, job_id: int) -> RosterImport | None:
    """Process one roster import. Claimed with aidou.jobs.job_claim: a re-delivered message
    does nothing unless the job's worker died, and then it takes the job over. People are matched by ID number, then mobile, so a re-run
    updates them instead of adding them twice. Each row is its own transaction: good rows
    stay even when others are refused. The file is deleted once read to the end: its
    ID numbers and bank accounts are in clear, and the database now holds them encrypted."""
    language = RosterImport.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            return _roster_import_run(job_id)
        except Exception:
            log.exception("roster import %s failed", job_id)
            job_fail(RosterImport, job_id)
            raise


def _roster_import_run(job_id: int) -> RosterImport | None:
    if not job_claim(RosterImport, job_id, processed=0, created=0, updated=0, errors=[]):
        return None  # finished already, running elsewhere, or unknown
    job = RosterImport.objects.select_related("created_by").get(pk=job_id)
    try:
        with job.file.open("rb") as handle:
            rows = roster.read_roster(handle.read(), job.original_name, max_rows=settings.ROSTER_MAX_ROWS)
    except (roster.RosterFileError, OSError) as exc:
        _roster_file_discard(job)
        RosterImport.objects.filter(pk=job_id).update(
            status=RosterImport.Status.FAILED, failure=str(exc), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job

    RosterImport.objects.filter(pk=job_id).update(total=len(rows))
    actor = job.created_by
    centres = {centre.name: centre for centre in Centre.objects.all()}
    teams = {(team.centre_id, team.name): team for team in Team.objects.all()}
    existing = _existing_people_for(rows)
    errors: list[dict] = []
    created = updated = 0
    seen: dict[tuple[str, str], int] = {}
    step = max(1, len(rows) // 50)
    for index, row in enumerate(rows, start=1):
        try:
            data = _row_to_worker_data(row, centres, teams)
            for field, key in (("id_number", data.id_number.strip().upper()), ("mobile", data.mobile.strip())):
                if key and (field, key) in seen:
                    raise ValidationError({field: [_("Same person as row %(row)d.") % {"row": seen[(field, key)]}]})
            seen.update(
                {("id_number", data.id_number.strip().upper()): row.number, ("mobile", data.mobile.strip()): row.number}
            )
            worker = existing.get(("id", digest_text(data.id_number.strip().upper()))) or existing.get(
                ("mobile", data.mobile.strip())
            )
            with transaction.atomic():
                worker_save(
                    actor=actor,
                    worker=worker,
                    data=data,
                    password_hash="" if worker else job.initial_password_hash,
                )
            if worker:
                updated += 1
            else:
                created += 1
        except ValidationError as exc:
            details = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
            for field, messages in details.items():
                errors.extend({"row": row.number, "field": field, "reason": message} for message in messages)
        except PermissionDenied as exc:
            errors.append({"row": row.number, "field": "centre", "reason": exc.message})
        if index % step == 0 or index == len(rows):
            RosterImport.objects.filter(pk=job_id).update(
                processed=index, created=created, updated=updated, heartbeat_at=timezone.now()
            )

    _roster_file_discard(job)
    RosterImport.objects.filter(pk=job_id).update(
        status=RosterImport.Status.SUCCEEDED,
        errors=errors,
        created=created,
        updated=updated,
        processed=len(rows),
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _roster_file_discard(job: RosterImport) -> None:
    if job.file:
        job.file.delete(save=False)
    RosterImport.objects.filter(pk=job.pk).update(file="")


def _existing_people_for(rows: list[roster.RosterRow]) -> dict[tuple[str, str], User]:
    """Everyone the file may name, in two queries, keyed by ID digest and by mobile."""
    digests = {digest_text(row.values.get("id_number", "").strip().upper()) for row in rows}
    mobiles = {row.values.get("mobile", "").strip() for row in rows}
    people = (
        User.objects.filter(Q(profile__id_number_digest__in=digests) | Q(mobile__in=mobiles))
        .select_related("profile")
        .prefetch_related("role_grants")
    )
    found: dict[tuple[str, str], User] = {}
    for person in people:
        profile = getattr(person, "profile", None)
        if profile is not None and profile.id_number_digest:
            found[("id", profile.id_number_digest)] = person
        if person.mobile:
            found.setdefault(("mobile", person.mobile), person)
    return found


def _row_to_worker_data(row: roster.RosterRow, centres: dict, teams: dict) -> WorkerData:
    values = row.values
    errors: dict[str, list[str]] = {}

    def parsed(field: str, parse, *args):
        try:
            return parse(values.get(field, ""), *args)
        except ValueError:
            errors.setdefault(field, []).append(
                _("Cannot read “%(value)s” in column %(column)s.")
                % {"value": values.get(field, ""), "column": roster.column_label(field)}
            )
            return None

    if values.get("id_number", "").startswith("#NUMBER:"):
        errors["id_number"] = [
            _("The ID number was stored as a number and lost digits; format the column as text in Excel.")
        ]
    if values.get("bank_account", "").startswith("#NUMBER:"):
        errors["bank_account"] = [
            _("The bank account was stored as a number and lost digits; format the column as text in Excel.")
        ]
    centre = centres.get(values.get("centre", ""))
    if centre is None:
        errors["centre"] = [_("No centre named “%(name)s”.") % {"name": values.get("centre", "")}]
    team = None
    if values.get("team") and centre is not None:
        team = teams.get((centre.pk, values["team"]))
        if team is None:
            errors["team"] = [
                _("Centre %(centre)s has no team named “%(team)s”.") % {"centre": centre.name, "team": values["team"]}
            ]
    roles = parsed("roles", roster.parse_roles)
    gender = parsed("gender", roster.parse_choice, roster.GENDER_WORDS)
    employment = parsed("employment_type", roster.parse_choice, roster.EMPLOYMENT_WORDS)
    education = parsed("education", roster.parse_choice, roster.EDUCATION_WORDS)
    birth_date = parsed("birth_date", roster.parse_date)
    hire_date = parsed("hire_date", roster.parse_date)
    if errors or centre is None:
        raise ValidationError(errors)
    return WorkerData(
        name=values.get("name", ""),
        mobile=values.get("mobile", ""),
        centre=centre,
        roles=tuple(roles or ()),
        id_number=values.get("id_number", ""),
        gender=gender or "",
        birth_date=birth_date,
        education=education or "",
        hire_date=hire_date,
        employment_type=employment or EmploymentType.FULL_TIME,
        teams=(team,) if team is not None else None,
        bank_name=values.get("bank_name", ""),
        bank_account=values.get("bank_account", ""),
    )


ROSTER_IMPORT_JOB_KIND = JobKind(
    name="roster_import",
    model=RosterImport,
    enqueue=_enqueue_roster_import,
    discard=_roster_file_discard,
    staged=~Q(file=""),
)
