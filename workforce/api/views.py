from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from aidou.parsers import SafeMultiPartParser
from workforce import selectors, services
from workforce.api import serializers
from workforce.api.filters import TeamFilter, WorkerFilter
from workforce.api.permissions import CanImportRoster, CanViewWorkers
from workforce.models import Centre, RosterImport, Team, User


class MeView(APIView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        """The logged-in person: roles, centre and teams."""
        return Response(serializers.MeSerializer(request.user).data)


class CentreViewSet(viewsets.ReadOnlyModelViewSet):
    """Centres: a network admin sees all of them, everyone else their own."""

    serializer_class = serializers.CentreSerializer
    queryset = Centre.objects.none()  # for the schema; requests use the scoped selector

    def get_queryset(self):
        return selectors.centre_list_with_counts(self.request.user)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams of the centres the caller can see."""

    serializer_class = serializers.TeamSerializer
    queryset = Team.objects.none()
    filterset_class = TeamFilter

    def get_queryset(self):
        return selectors.teams_visible_to(self.request.user)


class WorkerViewSet(viewsets.ReadOnlyModelViewSet):
    """People of the caller's centre (all centres for a network admin). HR, supervisors and
    managers only. ID numbers and bank accounts are always masked here. The list holds
    current staff; `?status=left` or `?status=all` for people who have left (one person
    by id is found either way)."""

    serializer_class = serializers.WorkerSerializer
    queryset = User.objects.none()
    permission_classes = [CanViewWorkers]
    filterset_class = WorkerFilter

    def get_queryset(self):
        return selectors.workers_visible_to(self.request.user)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset  # a person by id, whether or not they have left
        return super().filter_queryset(queryset)


class RosterImportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bulk onboarding: upload a roster, get a job, poll it until it has finished."""

    serializer_class = serializers.RosterImportSerializer
    queryset = RosterImport.objects.none()
    permission_classes = [CanImportRoster]
    parser_classes = [SafeMultiPartParser]

    def get_queryset(self):
        return selectors.roster_imports_visible_to(self.request.user)

    @extend_schema(
        request=serializers.RosterImportCreateSerializer,
        responses={202: serializers.RosterImportSerializer},
    )
    def create(self, request, *args, **kwargs):
        form = serializers.RosterImportCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = services.roster_import_start(
            actor=request.user,
            upload=form.validated_data["file"],
            initial_password=form.validated_data.get("initial_password", ""),
        )
        return Response(serializers.RosterImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
