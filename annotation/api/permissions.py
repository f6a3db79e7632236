from rest_framework.permissions import BasePermission

from annotation.models import ApiKey
from annotation.principals import client_organisation_id


class IsClientOrNetworkAdmin(BasePermission):
    """Clients (API key or a client member's session) and network admins."""

    message = "This part of the API is for client organisations."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return client_organisation_id(user) is not None or getattr(user, "is_network_admin", False)


def api_key_of(request) -> ApiKey | None:
    """The client key a request was made with, if any (for the job's record)."""
    return request.auth if isinstance(request.auth, ApiKey) else None
