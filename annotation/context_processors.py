from annotation.principals import client_organisation_id


def client_nav(request):
    """Whether the person looking at the page works for a client organisation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_client": client_organisation_id(user) is not None}
