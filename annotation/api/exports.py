"""Exports: start one for a project, poll it, download its file (API.md "Exports")."""

import django_filters
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from aidou.errors import Conflict, NotFound
from aidou.parsers import SafeJSONParser
from aidou.permissions import BOTH
from annotation import selectors
from annotation.api.permissions import IsClientOrNetworkAdmin, api_key_of
from annotation.api.projects import ATTEMPTS_HELP
from annotation.models import ExportJob
from annotation.services import exports as export_services

EXPORT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The export's id.")
ERROR = inline_serializer("ExportError", {"detail": serializers.CharField()})
REQUEST_ERROR = inline_serializer(
    "ExportRequestError",
    {
        "format": serializers.ListField(child=serializers.CharField(), required=False),
        "only_accepted": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class ExportSerializer(serializers.ModelSerializer):
    attempts = serializers.IntegerField(read_only=True, help_text=ATTEMPTS_HELP)
    download_url = serializers.SerializerMethodField(
        help_text="Where to download the file once `status` is `succeeded`; null before."
    )

    class Meta:
        model = ExportJob
        fields = ["id", "project", "status", "format", "only_accepted", "total", "processed", "items", "errors",
                  "failure", "attempts", "created_at", "started_at", "finished_at", "download_url"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.SUCCEEDED:
            return None
        url = reverse("export-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ExportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=ExportJob.Format.choices,
        help_text="`coco` (one JSON file), `voc` (a zip of Pascal VOC XML), `yolo` (a zip of YOLO "
        "label files with data.yaml) or `json` (every item with its labels).",
    )
    only_accepted = serializers.BooleanField(
        default=True, help_text="Per item, only the consensus of accepted annotations (default true)."
    )


class ProjectExportCreate(GenericAPIView):
    """`POST /projects/{project_id}/exports/`: start an export of the project."""

    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    serializer_class = ExportRequestSerializer
    parser_classes = [SafeJSONParser]
    queryset = ExportJob.objects.none()

    @extend_schema(
        operation_id="projects_exports_create",
        request=ExportRequestSerializer,
        responses={202: ExportSerializer, 400: REQUEST_ERROR, 404: ERROR},
    )
    def post(self, request, project_id: int):
        """Start an export of the project's items and labels. Answers 202 with the job at
        once; poll `GET /api/v1/exports/{id}/` until `status` is `succeeded`, then fetch
        `download_url`."""
        project = selectors.project_get(request.user, project_id)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = export_services.export_start(
            project=project,
            format=serializer.validated_data["format"],
            only_accepted=serializer.validated_data["only_accepted"],
            api_key=api_key_of(request),
            created_by=request.user,
        )
        return Response(ExportSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class ExportFilter(django_filters.FilterSet):
    # A number, not a choice of projects: an unknown and a foreign id both just match nothing.
    project = django_filters.NumberFilter(field_name="project_id")
    status = django_filters.ChoiceFilter(choices=ExportJob.Status.choices)
    # No `?format=` filter: DRF reads that parameter to pick a renderer.

    class Meta:
        model = ExportJob
        fields = ["project", "status"]


class ExportViewSet(viewsets.ReadOnlyModelViewSet):
    """Export jobs (newest first; `?project=`, `?status=`): poll one until
    `status` is `succeeded` or `failed`, then download its file."""

    serializer_class = ExportSerializer
    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    filterset_class = ExportFilter
    queryset = ExportJob.objects.none()

    def get_queryset(self):
        return selectors.exports_visible_to(self.request.user)

    def perform_content_negotiation(self, request, force=False):
        # A download is the file whatever `Accept` says (`application/zip` included); its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        parameters=[EXPORT_ID],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="A COCO or JSON export."),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A VOC or YOLO export."),
            404: ERROR,
            409: ERROR,
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The export's file, as an attachment named `project-<id>-<format>.<ext>`. 409
        while the export is queued or running, or when it failed."""
        job = selectors.export_get(request.user, pk)
        if job.status == ExportJob.Status.FAILED:
            raise Conflict(_("This export failed; start a new one."))
        if job.status != ExportJob.Status.SUCCEEDED or not job.file:
            raise Conflict(_("This export is not finished yet; poll it until its status is “succeeded”."))
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("This export's file is no longer kept; start a new export.")) from None
        response = FileResponse(handle, content_type=export_services.export_content_type(job))
        response["Content-Disposition"] = f'attachment; filename="{export_services.export_file_name(job)}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=None, parameters=[EXPORT_ID], responses={202: ExportSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"], parser_classes=[SafeJSONParser])
    def retry(self, request, pk=None):
        """Run a failed export again (or one stuck with a dead worker), from the start.
        202 with the job; 409 when it is queued, running or succeeded."""
        job = export_services.export_retry(job=selectors.export_get(request.user, pk))
        return Response(ExportSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
