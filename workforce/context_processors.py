from workforce import policies


def roles(request):
    """What the navigation may show the person looking at the page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "workers": policies.can_view_workers(user),
            "roster_import": policies.can_import_roster(user),
            "admin": user.is_staff,
            "payroll": user.is_network_admin or policies.can_view_centre_payslips(user, user.centre_id),
            "schedule": user.is_network_admin or policies.can_manage_schedule(user, user.centre_id),
        }
    }
