from aidou.permissions import ServesPrincipal
from workforce import policies


class CanViewWorkers(ServesPrincipal):
    message = "Only HR, supervisors and managers may look up people."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and policies.can_view_workers(request.user)


class CanImportRoster(ServesPrincipal):
    message = "Only HR may import rosters."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and policies.can_import_roster(request.user)
