"""Pure permission predicates of certification. No queries beyond the actor's roles."""

from workforce.models import Role, User


def can_seek_certification(actor: User) -> bool:
    """Who climbs the levels: the people whose work is measured."""
    return actor.is_authenticated and actor.has_role(Role.ANNOTATOR, Role.REVIEWER)


def can_manage_certification(actor: User) -> bool:
    """HR runs certification at their centre (network admins: everywhere)."""
    return actor.is_authenticated and (actor.has_role(Role.HR) or actor.is_network_admin)


def can_view_certification(actor: User) -> bool:
    """HR's lists and dashboard: HR, centre managers, network admins."""
    return actor.is_authenticated and (actor.has_role(Role.HR, Role.CENTRE_MANAGER) or actor.is_network_admin)


def can_edit_standard(actor: User) -> bool:
    """The standard is the network's: HR of any centre and network admins edit it."""
    return can_manage_certification(actor)
