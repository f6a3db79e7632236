"""Reads of the workforce app. Every function takes the actor and returns only what that
actor may see: a foreign id is "not found", never "forbidden"."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from workforce import policies
from workforce.models import Centre, RoleGrant, RosterImport, Team, User


def _scoped_to_home_centre(actor: User, qs: QuerySet, lookup: str) -> QuerySet:
    """Everything for a network admin; the actor's centre for anyone else; nothing for
    staff without a centre (a bare `centre_id=None` filter would mean IS NULL)."""
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None:
        return qs.none()
    return qs.filter(**{lookup: actor.centre_id})


def centres_visible_to(actor: User) -> QuerySet[Centre]:
    return _scoped_to_home_centre(actor, Centre.objects.all(), "pk").order_by("name")


def centre_list_with_counts(actor: User) -> QuerySet[Centre]:
    return centres_visible_to(actor).annotate(
        people_count=Count("people", filter=Q(people__is_active=True), distinct=True),
        team_count=Count("teams", distinct=True),
    )


def centre_get(actor: User, centre_id: int) -> Centre:
    centre = centres_visible_to(actor).filter(pk=centre_id).first()
    if centre is None:
        raise Http404
    return centre


def teams_visible_to(actor: User) -> QuerySet[Team]:
    # Members who have left stay on the team's history but are not counted.
    qs = Team.objects.select_related("centre", "lead").annotate(
        member_count=Count("members", filter=Q(members__is_active=True))
    )
    return _scoped_to_home_centre(actor, qs, "centre_id").order_by("centre__name", "name_sort", "name")


def team_get(actor: User, team_id: int) -> Team:
    team = teams_visible_to(actor).filter(pk=team_id).first()
    if team is None:
        raise Http404
    return team


def _with_worker_relations(qs: QuerySet[User]) -> QuerySet[User]:
    """Roles and teams land in plain lists (`role_list`, `team_list`): a prefetch into the
    related manager clones a queryset per row, which costs more than the queries."""
    return qs.select_related("centre", "profile").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"), to_attr="role_list"),
        Prefetch("teams", queryset=Team.objects.order_by("name_sort", "name"), to_attr="team_list"),
    )


def workers_visible_to(actor: User) -> QuerySet[User]:
    """People an HR officer, centre manager or supervisor may look up: their centre's;
    a network admin's: everyone's. Anyone else: nobody."""
    if not policies.can_view_workers(actor):
        return User.objects.none()
    qs = _scoped_to_home_centre(actor, User.objects.all(), "centre_id")
    # centre_id, not centre__name: the index (centre, name_sort, id) serves both a centre's
    # list and the network's; sorting by the joined name would sort every row per page.
    # name_sort is the name in pinyin (aidou.sorting): 李 before 王 before 张.
    return _with_worker_relations(qs).order_by("centre_id", "name_sort", "id")


def worker_list(
    actor: User,
    *,
    centre_id: int | None = None,
    team_id: int | None = None,
    role: str | None = None,
    search: str | None = None,
    active: bool | None = True,
) -> QuerySet[User]:
    qs = workers_visible_to(actor)
    if centre_id:
        qs = qs.filter(centre_id=centre_id)
    if team_id:
        qs = qs.filter(teams__id=team_id)
    if role:
        qs = qs.filter(role_grants__role=role)
    if search:
        search = search.strip()
        qs = qs.filter(Q(name__icontains=search) | Q(username__icontains=search) | Q(mobile__startswith=search))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.distinct() if (team_id or role) else qs


def worker_get(actor: User, worker_id: int) -> User:
    worker = workers_visible_to(actor).filter(pk=worker_id).first()
    if worker is None:
        raise Http404
    return worker


def roster_imports_visible_to(actor: User) -> QuerySet[RosterImport]:
    if not policies.can_import_roster(actor):
        return RosterImport.objects.none()
    qs = RosterImport.objects.select_related("created_by")
    return _scoped_to_home_centre(actor, qs, "created_by__centre_id").order_by("-created_at")


def roster_import_get(actor: User, job_id: int) -> RosterImport:
    job = roster_imports_visible_to(actor).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def centre_role_counts(centre: Centre) -> dict[str, int]:
    """Active people of a centre per role, in one query."""
    rows = RoleGrant.objects.filter(user__centre=centre, user__is_active=True).values("role").annotate(n=Count("id"))
    return {row["role"]: row["n"] for row in rows}


def centre_people(centre: Centre) -> QuerySet[User]:
    """The centre's current staff, by name: who may lead a team there."""
    return User.objects.filter(centre=centre, is_active=True).order_by("name_sort", "id")


def team_members(team: Team) -> QuerySet[User]:
    return (
        team.members.filter(is_active=True)
        .prefetch_related(Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"), to_attr="role_list"))
        .order_by("name_sort", "id")
    )
