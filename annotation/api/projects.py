"""Projects, items, imports and progress: the client API of API.md."""

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from aidou.errors import PayloadTooLarge
from aidou.pagination import KnownCountPagination
from aidou.parsers import SafeJSONParser, SafeMultiPartParser
from aidou.permissions import BOTH
from annotation import selectors
from annotation.api.permissions import IsClientOrNetworkAdmin, api_key_of
from annotation.models import ImportJob, Item, Project
from annotation.schema import SchemaError
from annotation.services import imports as import_services
from annotation.services import projects as project_services


class ProjectSerializer(serializers.ModelSerializer):
    label_schema = serializers.JSONField(
        help_text='{"tools": [...], "labels": [{"name", "color"}], "keypoints": [...], "classes": [...]}'
    )
    overlap = serializers.IntegerField(min_value=1, max_value=5, default=1)
    lease_minutes = serializers.IntegerField(
        min_value=1, max_value=24 * 60, default=30, help_text="How long an annotator holds an image."
    )

    class Meta:
        model = Project
        fields = ["id", "name", "instructions", "label_schema", "overlap", "lease_minutes", "status", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("A project needs a name."))
        return value


class ProgressSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    annotated = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    done = serializers.IntegerField()
    quality = serializers.FloatField(allow_null=True)


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "file_name", "width", "height", "sha256", "status", "created_at"]
        read_only_fields = fields


IMPORT_ERROR_CODES = {
    "missing_upload": "The staged upload is gone (send it again).",
    "file_too_large": "Over IMPORT_MAX_FILE_BYTES (an image, or what a zip entry unpacks to).",
    "unreadable_archive": "Not a readable zip archive.",
    "too_many_entries": "A zip with more than IMPORT_ZIP_MAX_ENTRIES files.",
    "archive_too_large": "A zip that unpacks to more than IMPORT_ZIP_MAX_TOTAL_BYTES.",
    "absolute_path": "A zip entry with an absolute path.",
    "path_traversal": "A zip entry whose path has `..`.",
    "symbolic_link": "A zip entry that is a symbolic link.",
    "encrypted_entry": "An encrypted zip entry.",
    "nested_archive": "An archive inside an archive.",
    "unsupported_compression": "A zip entry compressed other than stored or deflate (bzip2, LZMA, ...).",
    "unreadable_entry": "A damaged zip entry.",
    "unsupported_format": "Not a JPEG, PNG or WebP file.",
    "invalid_image": "A JPEG, PNG or WebP file that cannot be decoded (truncated, damaged).",
    "too_many_pixels": "More pixels than IMPORT_MAX_PIXELS (a decompression bomb?).",
}
IMPORT_WARNING_CODES = {
    "unknown_category": "A COCO annotation whose category_id is not in categories.",
    "unknown_label": "A category (or shape label) that is not a label of the project.",
    "unknown_keypoint": "Key point names the project does not have.",
    "unknown_class": "An image class the project does not have.",
    "unsupported_shape": "A shape type the project does not use, or an RLE mask.",
    "box_outside_image": "A box reaching outside the image.",
    "shape_outside_image": "A polygon or key point outside the image.",
    "invalid_shape": "A shape whose numbers or layout are not usable.",
    "too_many_shapes": "More shapes on one image than a project allows.",
}


def _codes_help(codes: dict[str, str]) -> str:
    return " ".join(f"`{code}`: {meaning}" for code, meaning in codes.items())


ATTEMPTS_HELP = (
    "How many times a worker has started the job. A worker that dies mid-job is replaced: the job is "
    "started again, up to 3 times, then fails with `failure` saying so; `POST .../retry/` starts the count again."
)


class ImportErrorSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="The file or zip entry, as sent.")
    code = serializers.ChoiceField(choices=list(IMPORT_ERROR_CODES), help_text=_codes_help(IMPORT_ERROR_CODES))
    reason = serializers.CharField(help_text="The same, for a person, in the language of the request.")


class ImportWarningSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="The image, accepted.")
    code = serializers.ChoiceField(
        choices=list(IMPORT_WARNING_CODES),
        help_text="Why its first left-out pre-annotation was left out. " + _codes_help(IMPORT_WARNING_CODES),
    )
    reason = serializers.CharField(help_text="How many pre-annotations were left out and why, for a person.")


class ImportSerializer(serializers.ModelSerializer):
    errors = ImportErrorSerializer(many=True, read_only=True, help_text="The files rejected, each with why.")
    warnings = ImportWarningSerializer(
        many=True,
        read_only=True,
        help_text="Images accepted without some of their pre-annotations (the ones that did not fit), each with why.",
    )

    attempts = serializers.IntegerField(read_only=True, help_text=ATTEMPTS_HELP)

    class Meta:
        model = ImportJob
        fields = ["id", "project", "status", "total", "processed", "accepted", "duplicates", "rejected", "errors",
                  "warnings", "failure", "attempts", "created_at", "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(), help_text="Images (JPEG, PNG, WebP) and/or .zip archives."
    )
    annotations = serializers.FileField(required=False, help_text="Optional COCO JSON with pre-annotations.")


JOB_ERROR = inline_serializer("JobError", {"detail": serializers.CharField()})


def _schema_errors(exc: SchemaError) -> DRFValidationError:
    return DRFValidationError(exc.errors)


class ProjectViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A client's projects. Label schemas are validated on create and update; a schema
    cannot drop a label that stored work uses (409)."""

    serializer_class = ProjectSerializer
    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    queryset = Project.objects.none()
    parser_classes = [SafeJSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.projects_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = project_services.project_create(
                organisation=selectors.organisation_of(self.request.user),
                name=data["name"],
                label_schema=data["label_schema"],
                instructions=data.get("instructions", ""),
                overlap=data.get("overlap", 1),
                lease_minutes=data.get("lease_minutes", 30),
            )
        except SchemaError as exc:
            raise _schema_errors(exc) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = project_services.project_update(
                project=serializer.instance, **serializer.validated_data
            )
        except SchemaError as exc:
            raise _schema_errors(exc) from exc

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Counts of items by state, and quality once reviews exist."""
        return Response(ProgressSerializer(selectors.project_progress(self.get_object())).data)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: ImportSerializer, 413: inline_serializer("TooLarge", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"], parser_classes=[SafeMultiPartParser], url_path="imports")
    def imports(self, request, pk=None):
        """Upload images and zips (and optionally a COCO file of pre-annotations). Answers
        202 with the import job at once; poll `GET /api/v1/imports/{id}/`."""
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.IMPORT_MAX_REQUEST_BYTES:
            raise PayloadTooLarge(
                _("The upload is larger than %(gb).1f GB; split it into several requests.")
                % {"gb": settings.IMPORT_MAX_REQUEST_BYTES / 1024**3}
            )
        project = self.get_object()
        files = request.FILES.getlist("files")
        try:
            job = import_services.import_start(
                project=project,
                files=files,
                annotations=request.FILES.get("annotations"),
                api_key=api_key_of(request),
                created_by=request.user,
            )
        except ValidationError as exc:
            raise DRFValidationError(exc.message_dict) from exc
        return Response(ImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ItemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Item.Status.choices)
    file_name = django_filters.CharFilter()

    class Meta:
        model = Item
        fields = ["status", "file_name"]


class ProjectItemList(ListAPIView):
    """The items of a project (`?status=`, `?file_name=`), oldest first."""

    serializer_class = ItemSerializer
    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    filterset_class = ItemFilter
    pagination_class = KnownCountPagination
    queryset = Item.objects.none()
    known_count = None

    def get_queryset(self):
        project = selectors.project_get(self.request.user, self.kwargs["project_id"])
        if not any(self.request.query_params.get(name) for name in ItemFilter.base_filters):
            self.known_count = project.item_count  # kept by imports; filtered lists count
        # Plain rows, not model instances: a page of 100 is read and serialized in half the time.
        return selectors.items_of_project(project).values(*ItemSerializer.Meta.fields)


class ItemViewSet(viewsets.GenericViewSet):
    """An item's image and thumbnail, served to the client, network admins, the annotators
    given the item and the staff of centres whose batches hold it."""

    principals = BOTH
    queryset = Item.objects.none()
    serializer_class = ItemSerializer

    def _file(self, field_file, content_type: str, name: str):
        response = FileResponse(field_file.open("rb"), content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["Cache-Control"] = "private, max-age=86400"
        return response

    @extend_schema(responses={(200, "image/*"): bytes}, parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        """The image as uploaded (JPEG, PNG or WebP)."""
        item = selectors.item_image_get(request.user, pk)
        extension = item.content_type.split("/")[1].replace("jpeg", "jpg")
        return self._file(item.image, item.content_type, f"item-{item.pk}.{extension}")

    @extend_schema(
        responses={(200, "image/webp"): bytes}, parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]
    )
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        """A small WebP preview (at most 256 px a side)."""
        item = selectors.item_image_get(request.user, pk)
        return self._file(item.thumbnail, "image/webp", f"item-{item.pk}.webp")


class ImportViewSet(viewsets.ReadOnlyModelViewSet):
    """Import jobs: poll one until `status` is `succeeded` or `failed`."""

    serializer_class = ImportSerializer
    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    queryset = ImportJob.objects.none()

    def get_queryset(self):
        return selectors.imports_visible_to(self.request.user)

    @extend_schema(
        request=None,
        responses={202: ImportSerializer, 404: JOB_ERROR, 409: JOB_ERROR},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The import's id.")],
    )
    @action(detail=True, methods=["post"], parser_classes=[SafeJSONParser])
    def retry(self, request, pk=None):
        """Run a failed import again (or one stuck with a dead worker), from its staged files:
        images it already added are counted as accepted again, never added twice. 202 with
        the job; 409 when it is queued, running or succeeded, or when its files are no
        longer kept (a day after it failed: send them again)."""
        job = import_services.import_retry(job=selectors.import_get(request.user, pk))
        return Response(ImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
