"""Which kinds of caller an API view serves: the check every view runs first.

Two kinds call the API. A client: an organisation's API key (annotation.principals.
ApiKeyPrincipal, not a User at all) or a person who is a member of a client
organisation. Staff: every other person (session or staff token); a person with a home
centre is staff, whatever else they are. Each view says which
it serves in `principals` (`CLIENT`, `STAFF` or both); one that says nothing serves
staff only, so a new view never hands a client key to code written for a User.
`ServesPrincipal` is the project's default permission class, and every permission class
a view names derives from it (tests/test_api_hardening.py walks the URLs to check), so
a caller of the wrong kind gets a 403 before the view runs.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled
from rest_framework.permissions import BasePermission
from rest_framework.throttling import AnonRateThrottle

CLIENT = "client"
STAFF = "staff"
BOTH = (CLIENT, STAFF)
# A public endpoint (certificate verification): anyone, logged in or not, of any kind.
ANYONE = "anyone"


def principal_kind(user) -> str | None:
    """CLIENT, STAFF, or None for an anonymous caller."""
    if not (user and user.is_authenticated):
        return None
    kind = getattr(user, "principal_kind", None)  # a client's API key says so itself
    if kind is not None:
        return kind
    if getattr(user, "centre_id", None) is not None:
        return STAFF  # a centre's people (every annotator's call): known without a query
    # Anyone else: a client member has a membership row (the reverse one-to-one of
    # annotation.ClientMember; Django keeps the answer, found or not, on the user), a
    # network admin has none.
    return CLIENT if hasattr(user, "client_membership") else STAFF


class ServesPrincipal(BasePermission):
    """Authenticated, and of a kind the view serves (`view.principals`, staff by default)."""

    message = _("This part of the API is not for this kind of caller.")

    def has_permission(self, request, view) -> bool:
        principals = getattr(view, "principals", (STAFF,))
        if ANYONE in principals:
            return True
        kind = principal_kind(request.user)
        if kind is None:
            # DRF checks permissions before throttles, so an anonymous call refused here
            # would never meet the 'anon' budget: it is counted against it first.
            throttle = AnonRateThrottle()
            if not throttle.allow_request(request, view):
                raise Throttled(wait=throttle.wait())
            return False
        return kind in principals
