"""Reads of the certification app, each scoped to the actor: a candidate sees their own,
HR their centre's (network admins: all). A foreign id is not found."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from certification import eligibility, policies
from certification.models import Application, Certificate, Course, Level
from workforce.models import Role, User
from workforce.selectors import worker_list


def _scoped(actor: User, qs: QuerySet, lookup: str = "centre_id") -> QuerySet:
    if actor.is_network_admin:
        return qs
    if not policies.can_view_certification(actor) or actor.centre_id is None:
        return qs.none()
    return qs.filter(**{lookup: actor.centre_id})


def own_path(actor: User) -> eligibility.Path | None:
    """The actor's own path to their next level (nine queries), or None for someone who
    does not climb the levels."""
    if not policies.can_seek_certification(actor):
        return None
    return eligibility.paths_for([actor.pk])[actor.pk]


def people_paths(actor: User, *, eligible_only: bool = False, search: str = "") -> list[tuple[User, eligibility.Path]]:
    """HR's list: every annotator and reviewer of the actor's centre (network admins: all)
    with their path, by name; `eligible_only` keeps those who may apply now. A fixed
    number of queries for any number of people."""
    if not policies.can_view_certification(actor):
        return []
    climbing = [Role.ANNOTATOR, Role.REVIEWER]
    people = list(worker_list(actor, search=search or None).filter(role_grants__role__in=climbing).distinct())
    ids = [person.pk for person in people]
    if actor.is_network_admin:
        paths = eligibility.paths_for(ids, network=True)
    else:
        paths = eligibility.paths_for(ids, centre_id=actor.centre_id)
    rows = [(person, paths[person.pk]) for person in people]
    if eligible_only:
        rows = [(person, path) for person, path in rows if path.eligible]
    return rows


def applications_visible_to(actor: User) -> QuerySet[Application]:
    qs = Application.objects.select_related("worker", "level", "version")
    if policies.can_view_certification(actor):
        return _scoped(actor, qs)
    return qs.filter(worker_id=actor.pk)


def application_get(actor: User, application_id) -> Application:
    application = (
        applications_visible_to(actor).filter(pk=application_id).first() if str(application_id).isdigit() else None
    )
    if application is None:
        raise Http404
    return application


def own_applications(actor: User) -> QuerySet[Application]:
    return Application.objects.filter(worker_id=actor.pk).select_related("level").prefetch_related("sittings")


def certificates_visible_to(actor: User) -> QuerySet[Certificate]:
    """A holder sees their own; HR, centre managers their centre's; network admins all."""
    qs = Certificate.objects.select_related("level", "holder")
    if policies.can_view_certification(actor):
        return _scoped(actor, qs) | qs.filter(holder_id=actor.pk)
    return qs.filter(holder_id=actor.pk)


def certificate_get(actor: User, certificate_id) -> Certificate:
    certificate = (
        certificates_visible_to(actor).filter(pk=certificate_id).first() if str(certificate_id).isdigit() else None
    )
    if certificate is None:
        raise Http404
    return certificate


def certificate_by_verify_code(code: str) -> Certificate:
    """The public verification page's one read: no login, one query, 404 if unknown."""
    certificate = (
        Certificate.objects.select_related("level")
        .only("number", "holder_name", "issued_on", "status", "revoked_at", "issuing_body", "level__name",
              "level__title", "level__grade")
        .filter(verify_code=code)
        .first()
    )  # fmt: skip
    if certificate is None:
        raise Http404
    return certificate


def courses_visible_to(actor: User) -> QuerySet[Course]:
    return _scoped(actor, Course.objects.select_related("level")).annotate(
        completed=Count("completions", distinct=True), sessions_n=Count("sessions", distinct=True)
    )


def levels() -> QuerySet[Level]:
    return Level.objects.order_by("-grade")


def holders_per_level(actor: User) -> list[dict]:
    """Valid certificates per centre and level, for the dashboard (one query)."""
    rows = (
        _scoped(actor, Certificate.objects.all())
        .values("centre__name", "level__grade", "level__name")
        .annotate(valid=Count("id", filter=Q(status=Certificate.Status.VALID)),
                  revoked=Count("id", filter=Q(status=Certificate.Status.REVOKED)))
        .order_by("centre__name", "-level__grade")
    )  # fmt: skip
    return list(rows)
