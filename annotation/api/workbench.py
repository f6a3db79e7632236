"""The workbench API (API.md, Workbench): next task, submit, skip, heartbeat. Internal:
for annotators' browsers and tools, authenticated as the annotator."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from annotation import selectors
from annotation.models import Annotation, Assignment
from annotation.services import assignments as engine


def _image_url(item_id: int) -> str:
    return reverse("item-image", args=[item_id])


class SubmissionMetaSerializer(serializers.Serializer):
    """A submission's fields but its shapes, which annotation.schema.clean_annotation judges
    (naming each bad one); judging them twice would cost every submit a walk over them."""

    time_spent_ms = serializers.IntegerField(required=False, default=0, min_value=0)

    def get_fields(self):
        fields = super().get_fields()
        # "class" is a Python keyword, so the field is added here.
        fields["class"] = serializers.CharField(required=False, allow_null=True, default=None, max_length=100)
        return fields


class AnnotationInSerializer(SubmissionMetaSerializer):
    """What `submit` takes (for the API's documentation)."""

    shapes = serializers.ListField(child=serializers.JSONField(), required=False, default=list)


class AnnotationOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment_id")
    item = serializers.IntegerField(source="item_id")
    shapes = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["class"] = serializers.CharField(source="image_class", allow_null=True)
        return fields


class AssignmentItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image_url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class AssignmentProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    label_schema = serializers.JSONField()
    instructions = serializers.CharField()


class TaskSerializer(serializers.Serializer):
    """What `next` hands the workbench. The same shape for every item: nothing tells one
    kind of item from another."""

    id = serializers.IntegerField()
    item = AssignmentItemSerializer()
    project = AssignmentProjectSerializer()
    prefill = serializers.JSONField(allow_null=True)
    draft = serializers.JSONField(allow_null=True)
    lease_expires_at = serializers.DateTimeField()
    batch = inline_serializer("TaskBatch", {"id": serializers.IntegerField(), "name": serializers.CharField()})
    prefetch = serializers.ListField(child=serializers.CharField())
    rework = inline_serializer(
        "Rework",
        {
            "reasons": serializers.ListField(child=serializers.CharField()),
            "comment": serializers.CharField(),
            "reviewed_at": serializers.DateTimeField(allow_null=True),
        },
        allow_null=True,
        help_text="Work a reviewer sent back to you, with why; null for new work.",
    )


_datetime = serializers.DateTimeField().to_representation


def task_data(offer: engine.Offer) -> dict:
    # Built by hand, not by TaskSerializer (which documents it): `next` runs for every image.
    return {
        "id": offer.assignment_id,
        "item": {
            "id": offer.item_id,
            "image_url": _image_url(offer.item_id),
            "width": offer.width,
            "height": offer.height,
        },
        "project": {
            "id": offer.project_id,
            "name": offer.project_name,
            "label_schema": offer.label_schema,
            "instructions": offer.instructions,
        },
        "prefill": offer.prefill,
        "draft": offer.draft,
        "lease_expires_at": _datetime(offer.lease_expires_at),
        "batch": {"id": offer.batch_id, "name": offer.batch_name},
        "prefetch": [_image_url(item_id) for item_id in offer.likely_next_item_ids],
        "rework": offer.rework
        and {
            "reasons": offer.rework["reasons"],
            "comment": offer.rework["comment"],
            "reviewed_at": offer.rework["reviewed_at"] and _datetime(offer.rework["reviewed_at"]),
        },
    }


def annotation_data(annotation: Annotation) -> dict:
    # As AnnotationOutSerializer (which documents it), built by hand for `submit`.
    return {
        "id": annotation.pk,
        "assignment": annotation.assignment_id,
        "item": annotation.item_id,
        "shapes": annotation.shapes,
        "created_at": _datetime(annotation.created_at),
        "class": annotation.image_class,
    }


class AssignmentSerializer(serializers.ModelSerializer):
    item_file_name = serializers.CharField(source="item.file_name")
    project = serializers.IntegerField(source="batch.project_id")

    class Meta:
        model = Assignment
        # Not `reason`: it is for audit by staff, and it would tell a gold item apart.
        fields = [
            "id", "item", "item_file_name", "batch", "project", "status", "leased_at",
            "lease_expires_at", "finished_at", "skip_reason", "active_ms",
        ]  # fmt: skip


class HeartbeatInSerializer(serializers.Serializer):
    active = serializers.BooleanField(default=False)
    draft = serializers.JSONField(required=False, allow_null=True, default=None)


class SkipInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The calling annotator's own assignments; anyone else's id is 404."""

    permission_classes = [IsAuthenticated]
    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()

    def get_queryset(self):
        return selectors.assignments_of(self.request.user).select_related("item", "batch")

    @extend_schema(
        request=None,
        responses={200: TaskSerializer, 204: OpenApiResponse(description="No work for you right now.")},
    )
    @action(detail=False, methods=["post"])
    def next(self, request):
        """The next image to label: your open lease, or a new one by priority, due date, age."""
        offer = engine.assignment_next(annotator=request.user)
        if offer is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(task_data(offer))

    @extend_schema(
        request=AnnotationInSerializer, responses={201: AnnotationOutSerializer, 200: AnnotationOutSerializer}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit what you drew. Sending it again returns the stored annotation (200)."""
        body = SubmissionMetaSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        stored, created = engine.assignment_submit(
            annotator=request.user,
            assignment_id=pk,
            annotation={"shapes": request.data.get("shapes", []), "class": data["class"]},
            client_time_ms=data["time_spent_ms"],
        )
        return Response(annotation_data(stored), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=SkipInSerializer, responses={200: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        """Give the image back, saying why. You will not get it again."""
        body = SkipInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = engine.assignment_skip(
            annotator=request.user, assignment_id=pk, reason=body.validated_data["reason"]
        )
        return Response(AssignmentSerializer(self.get_queryset().get(pk=assignment.pk)).data)

    @extend_schema(
        request=HeartbeatInSerializer,
        responses={
            200: inline_serializer(
                "Heartbeat", {"lease_expires_at": serializers.DateTimeField(), "active_ms": serializers.IntegerField()}
            )
        },
    )
    @action(detail=True, methods=["post"])
    def heartbeat(self, request, pk=None):
        """Say you are working (extends the lease, counts time) and save the draft."""
        body = HeartbeatInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = engine.assignment_heartbeat(
            annotator=request.user,
            assignment_id=pk,
            active=body.validated_data["active"],
            draft=body.validated_data["draft"],
        )
        return Response({"lease_expires_at": assignment.lease_expires_at, "active_ms": assignment.active_ms})

    @extend_schema(responses={200: AnnotationOutSerializer})
    @action(detail=True, methods=["get"])
    def annotation(self, request, pk=None):
        """What you submitted for this assignment."""
        stored = Annotation.objects.filter(assignment__in=self.get_queryset(), assignment_id=pk).first()
        if stored is None:
            raise NotFound
        return Response(AnnotationOutSerializer(stored).data)
