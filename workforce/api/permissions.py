from rest_framework.permissions import BasePermission

from workforce import policies


class CanViewWorkers(BasePermission):
    message = "Only HR, supervisors and managers may look up people."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and policies.can_view_workers(request.user))


class CanImportRoster(BasePermission):
    message = "Only HR may import rosters."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and policies.can_import_roster(request.user))
