"""Who is calling the client API: a person (staff, or a client member logged in to the
pages) or an API key acting for its organisation."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """`request.user` for a call made with a client's API key. It holds no staff role, so
    every workforce policy says no; the annotation selectors scope it to its organisation."""

    api_key_id: int
    organisation_id: int
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_network_admin: bool = False
    centre_id: None = None
    pk: None = None
    roles: frozenset = frozenset()
    principal_kind: str = "client"  # what aidou.permissions checks against each view

    def has_role(self, *roles: str) -> bool:
        return False

    @property
    def throttle_ident(self) -> str:
        return f"apikey:{self.api_key_id}"


def client_organisation_id(actor) -> int | None:
    """The organisation whose data the caller acts for, or None for staff."""
    if isinstance(actor, ApiKeyPrincipal):
        return actor.organisation_id
    membership = getattr(actor, "client_membership", None) if getattr(actor, "is_authenticated", False) else None
    return membership.organisation_id if membership is not None else None
