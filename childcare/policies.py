"""Who may do what in the care space. Pure predicates: no queries beyond the actor's roles
and, for guardianship, the child's prefetched guardians."""

from workforce.models import Role


def is_care_staff(actor, centre_id: int | None) -> bool:
    """Childcare staff of the centre, its manager, or a network admin."""
    if actor.is_network_admin:
        return True
    return actor.has_role(Role.CHILDCARE_STAFF, Role.CENTRE_MANAGER) and actor.centre_id == centre_id


def is_guardian(actor, child) -> bool:
    return any(guardian.pk == actor.pk for guardian in child.guardians.all())


def can_see_child(actor, child) -> bool:
    return is_guardian(actor, child) or is_care_staff(actor, child.centre_id)


def can_book_for(actor, child) -> bool:
    return is_guardian(actor, child)


def can_run_space(actor, centre_id: int | None) -> bool:
    """Rooms, rules, sessions, caregiver rosters: the centre's childcare staff and manager."""
    return is_care_staff(actor, centre_id)
