from aidou.permissions import CLIENT, ServesPrincipal, principal_kind
from annotation.models import ApiKey


class IsClientOrNetworkAdmin(ServesPrincipal):
    """Clients (API key or a client member's session) and network admins; the views that
    use it serve both kinds (`principals = BOTH`)."""

    message = "This part of the API is for client organisations."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        return principal_kind(user) == CLIENT or getattr(user, "is_network_admin", False)


def api_key_of(request) -> ApiKey | None:
    """The client key a request was made with, if any (for the job's record)."""
    return request.auth if isinstance(request.auth, ApiKey) else None
