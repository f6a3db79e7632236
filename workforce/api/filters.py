import django_filters
from django.db.models import Q

from workforce.models import Role, Team, User


class WorkerFilter(django_filters.FilterSet):
    centre = django_filters.NumberFilter(field_name="centre_id")
    team = django_filters.NumberFilter(field_name="teams__id", distinct=True)
    role = django_filters.ChoiceFilter(field_name="role_grants__role", choices=Role.choices, distinct=True)
    search = django_filters.CharFilter(method="filter_search", label="name, username or mobile")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["centre", "team", "role", "search", "is_active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(username__icontains=value) | Q(mobile__startswith=value))


class TeamFilter(django_filters.FilterSet):
    centre = django_filters.NumberFilter(field_name="centre_id")

    class Meta:
        model = Team
        fields = ["centre"]
