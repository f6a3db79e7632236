"""Review (internal, for reviewers' pages and tools): the queue of work waiting for
review, and a decision on one annotation. Scoped to the reviewer's centre's batches;
anyone else's id is 404."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, views, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from aidou.permissions import BOTH
from annotation import selectors
from annotation.api.workbench import _image_url
from annotation.models import Annotation, GoldAnswer, Review
from annotation.services import gold as gold_service
from annotation.services import reviews


class QueuedAnnotationSerializer(serializers.ModelSerializer):
    item = serializers.SerializerMethodField()
    annotator = serializers.SerializerMethodField()
    batch = serializers.IntegerField(source="assignment.batch_id")
    project = serializers.IntegerField(source="assignment.batch.project_id")

    class Meta:
        model = Annotation
        fields = ["id", "item", "annotator", "batch", "project", "revision", "shapes", "image_class", "created_at",
                  "client_time_ms", "sampling"]  # fmt: skip

    def get_item(self, annotation) -> dict:
        item = annotation.item
        return {"id": item.pk, "image_url": _image_url(item.pk), "width": item.width, "height": item.height}

    def get_annotator(self, annotation) -> dict:
        person = annotation.annotator
        return {"id": person.pk, "name": person.name or person.username}


class ReviewInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Review.Decision.choices)
    reasons = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    fixed = serializers.JSONField(required=False, allow_null=True, default=None)


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "annotation", "item", "reviewer", "decision", "reasons", "comment", "shapes", "image_class",
                  "score", "created_at"]  # fmt: skip


class QueueFilter(filters.FilterSet):
    project = filters.NumberFilter(field_name="assignment__batch__project_id")
    batch = filters.NumberFilter(field_name="assignment__batch_id")


class ReviewQueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`/api/v1/review-queue/`: work waiting for review, oldest first; `{id}/decide/`."""

    serializer_class = QueuedAnnotationSerializer
    filterset_class = QueueFilter
    queryset = Annotation.objects.none()

    def get_queryset(self):
        return selectors.review_queue(self.request.user)

    @extend_schema(request=ReviewInSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Accept, send back with reasons (rework by the same annotator), or fix."""
        body = ReviewInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = reviews.review_decide(reviewer=request.user, annotation_id=pk, **body.validated_data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class AnnotatorQualitySerializer(serializers.Serializer):
    annotator = serializers.IntegerField()
    name = serializers.CharField(required=False, help_text="Centre staff only; clients see ids.")
    score = serializers.FloatField()
    observations = serializers.IntegerField()
    interval = serializers.ListField(child=serializers.FloatField(), help_text="Wilson 95% interval [low, high].")
    gold_f1 = serializers.FloatField(allow_null=True, help_text="Mean score on gold items; null before any.")
    acceptance_rate = serializers.FloatField(allow_null=True, help_text="Of reviewed work; null before any review.")


class AnnotatorQualityView(views.APIView):
    """`GET /api/v1/quality/annotators/?project=<id>`: each annotator's quality in the
    project, from reviewed work. Clients: their projects (annotator ids, no names);
    centre staff: their centre's people in projects their centre works on."""

    principals = BOTH

    @extend_schema(
        parameters=[OpenApiParameter("project", int, required=True)],
        responses={200: AnnotatorQualitySerializer(many=True)},
    )
    def get(self, request):
        project_id = request.query_params.get("project", "")
        if not project_id.isdigit():
            raise ValidationError({"project": [_("Give the project's id: ?project=<id>.")]})
        project = selectors.quality_project_get(request.user, project_id)
        return Response(selectors.annotator_quality(request.user, project))


class GoldInSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    answer = serializers.JSONField(
        required=False, allow_null=True, default=None,
        help_text='{"shapes": [...], "class": ...}; leave it out to take the consensus of the accepted work.',
    )  # fmt: skip


class GoldSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoldAnswer
        fields = ["item", "shapes", "image_class", "source", "is_active", "created_at"]


class GoldView(views.APIView):
    """`POST /api/v1/gold/` makes an item gold (supervisors, centre managers, network
    admins; projects their centre works on); `DELETE /api/v1/gold/{item}/` stops using it."""

    @extend_schema(request=GoldInSerializer, responses={201: GoldSerializer})
    def post(self, request):
        body = GoldInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        gold = gold_service.gold_mark(request.user, item_id=body.validated_data["item"],
                                      answer=body.validated_data["answer"])  # fmt: skip
        return Response(GoldSerializer(gold).data, status=status.HTTP_201_CREATED)


class GoldItemView(views.APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, item_id: int):
        gold_service.gold_retire(request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
