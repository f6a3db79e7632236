"""Batches for supervisors' scripts: cut, list with progress, reassign, pause, resume, close."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aidou.errors import DomainError
from annotation import selectors
from annotation.models import Batch, Item
from annotation.services import assignments as engine
from annotation.services import batches as batch_services


class ProgressSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    items_done = serializers.IntegerField(allow_null=True, help_text="In the detail view only.")
    slots = serializers.IntegerField()
    slots_done = serializers.IntegerField()
    slots_leased = serializers.IntegerField()
    slots_free = serializers.IntegerField()
    percent = serializers.IntegerField()


class BatchSerializer(serializers.ModelSerializer):
    teams = serializers.SerializerMethodField()
    annotators = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id", "project", "centre", "name", "priority", "due", "status", "teams", "annotators",
            "item_count", "progress", "created_at",
        ]  # fmt: skip

    def get_teams(self, batch) -> list[int]:
        return [team.pk for team in batch.teams.all()]

    def get_annotators(self, batch) -> list[int]:
        return [person.pk for person in batch.annotators.all()]

    @extend_schema(responses=ProgressSerializer)
    def get_progress(self, batch) -> dict:
        if hasattr(batch, "slots"):  # annotated by the list query
            total, done, leased = batch.slots, batch.slots_done, batch.slots_leased
            return {
                "items": batch.item_count,
                "items_done": None,
                "slots": total,
                "slots_done": done,
                "slots_leased": leased,
                "slots_free": total - done - leased,
                "percent": round(100 * done / total) if total else 0,
            }
        return selectors.batch_progress(batch)


class BatchCreateSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    size = serializers.IntegerField(required=False, min_value=1, help_text="Take this many unbatched items.")
    items = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="Or exactly these items.")
    status = serializers.ChoiceField(
        choices=Item.Status.choices, required=False, help_text="Only items in this state (with size)."
    )
    file_name = serializers.CharField(required=False, max_length=255, help_text="Only names containing this.")
    teams = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    annotators = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    priority = serializers.IntegerField(required=False, default=0, min_value=-100, max_value=100)
    due = serializers.DateField(required=False, allow_null=True, default=None)
    centre = serializers.IntegerField(required=False, help_text="Network admins: the centre that runs it.")

    def validate(self, attrs):
        if ("size" in attrs) == ("items" in attrs):
            raise serializers.ValidationError({"size": [_("Give either size or items.")]})
        if not attrs["teams"] and not attrs["annotators"]:
            raise serializers.ValidationError({"teams": [_("Give the batch to at least one team or annotator.")]})
        return attrs


class BatchUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    priority = serializers.IntegerField(required=False, min_value=-100, max_value=100)
    due = serializers.DateField(required=False, allow_null=True)
    teams = serializers.ListField(child=serializers.IntegerField(), required=False)
    annotators = serializers.ListField(child=serializers.IntegerField(), required=False)
    release_leases = serializers.BooleanField(
        required=False, default=False, help_text="End open leases of people no longer assigned."
    )


class AnnotatorCountSerializer(serializers.Serializer):
    annotator = serializers.IntegerField()
    name = serializers.CharField()
    submitted = serializers.IntegerField()
    leased = serializers.IntegerField()
    skipped = serializers.IntegerField()
    expired = serializers.IntegerField()
    active_minutes = serializers.IntegerField()


class BatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Batches run by your centre. Supervisors, centre managers and network admins change
    them; reviewers may look."""

    serializer_class = BatchSerializer
    queryset = Batch.objects.none()

    def get_queryset(self):
        if self.action == "list":
            return selectors.batch_list_with_progress(self.request.user)
        return selectors.batches_visible_to(self.request.user).prefetch_related("teams", "annotators")

    @extend_schema(request=BatchCreateSerializer, responses={201: BatchSerializer})
    def create(self, request):
        batch_services.require_manager(request.user)
        body = BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        project = selectors.projects_for_batching(request.user).filter(pk=data["project"]).first()
        if project is None:
            raise DomainError(_("Unknown project."), field="project")
        batch = batch_services.batch_create(
            actor=request.user,
            project=project,
            choice=batch_services.ItemChoice(
                size=data.get("size"), items=data.get("items"), status=data.get("status"),
                file_name=data.get("file_name"),
            ),
            assignees=batch_services.Assignees(teams=data["teams"], annotators=data["annotators"]),
            name=data["name"],
            priority=data["priority"],
            due=data["due"],
            centre_id=data.get("centre"),
        )  # fmt: skip
        return Response(BatchSerializer(self.get_queryset().get(pk=batch.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BatchUpdateSerializer, responses=BatchSerializer)
    def partial_update(self, request, pk=None):
        batch = self.get_object()
        body = BatchUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignees = None
        if "teams" in data or "annotators" in data:
            assignees = batch_services.Assignees(
                teams=data.get("teams", [t.pk for t in batch.teams.all()]),
                annotators=data.get("annotators", [p.pk for p in batch.annotators.all()]),
            )
        batch_services.batch_update(
            actor=request.user,
            batch=batch,
            assignees=assignees,
            name=data.get("name"),
            priority=data.get("priority"),
            due=data.get("due"),
            clear_due="due" in data and data["due"] is None,
            release_leases=data["release_leases"],
        )
        return Response(BatchSerializer(self.get_queryset().get(pk=batch.pk)).data)

    def _transition(self, request, name: str):
        batch = batch_services.batch_set_status(actor=request.user, batch=self.get_object(), action=name)
        return Response(BatchSerializer(self.get_queryset().get(pk=batch.pk)).data)

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """No new leases; images already handed out may still be submitted."""
        return self._transition(request, "pause")

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(request, "resume")

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close for good: no new leases; open ones may still be submitted."""
        return self._transition(request, "close")

    @extend_schema(
        request=inline_serializer("ReleaseIn", {"annotator": serializers.IntegerField(required=False)}),
        responses=inline_serializer("ReleaseOut", {"released": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """End open leases now (all, or one annotator's): the images go back to the pool."""
        batch = self.get_object()
        batch_services.require_manager(request.user)
        annotator = request.data.get("annotator") if isinstance(request.data, dict) else None
        if annotator is not None and not str(annotator).isdigit():
            raise DomainError(_("Give an annotator id."), field="annotator")
        released = engine.leases_release(batch=batch, annotator_id=int(annotator) if annotator is not None else None)
        return Response({"released": released})

    @extend_schema(responses=AnnotatorCountSerializer(many=True))
    @action(detail=True, methods=["get"])
    def annotators_progress(self, request, pk=None):
        """Per annotator: submitted, in progress, skipped, expired, active minutes."""
        return Response(AnnotatorCountSerializer(selectors.batch_annotator_counts(self.get_object()), many=True).data)
