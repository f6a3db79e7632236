import django_filters
from django.db.models import Q

from workforce.models import Role, Team, User


class WorkerFilter(django_filters.FilterSet):
    centre = django_filters.NumberFilter(field_name="centre_id")
    team = django_filters.NumberFilter(field_name="teams__id", distinct=True)
    role = django_filters.ChoiceFilter(field_name="role_grants__role", choices=Role.choices, distinct=True)
    search = django_filters.CharFilter(method="filter_search", label="name, username or mobile")
    status = django_filters.ChoiceFilter(
        choices=[("current", "current"), ("left", "left"), ("all", "all")],
        method="filter_status",
        label="current (the default), left, or all",
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["centre", "team", "role", "search", "status", "is_active"]

    @property
    def qs(self):
        # People who have left are not staff any more: left out unless asked for.
        qs = super().qs
        if not self.data.get("status") and self.data.get("is_active") in (None, ""):
            qs = qs.filter(is_active=True)
        return qs

    def filter_status(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(is_active=value == "current")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(username__icontains=value) | Q(mobile__startswith=value))


class TeamFilter(django_filters.FilterSet):
    centre = django_filters.NumberFilter(field_name="centre_id")

    class Meta:
        model = Team
        fields = ["centre"]
