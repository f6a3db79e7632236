from annotation import policies
from annotation.principals import client_organisation_id


def client_nav(request):
    """Which annotation pages the navigation may offer the person looking at the page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_client": client_organisation_id(user) is not None,
        "nav_labelling": policies.can_label(user),
        "nav_batches": policies.can_view_batches(user),
        "nav_review": policies.can_review(user),
    }
