"""Quality recomputation (centre staff): start one for a project and poll its progress.
`POST /api/v1/quality/recompute/` with `{"project"}` -> 202 and the job;
`GET /api/v1/quality/jobs/{id}/` -> the job, with `summary` once it has finished."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, views
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from annotation import policies, selectors
from annotation.models import QualityJob
from annotation.services.quality import quality_recompute_start


class QualityJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = QualityJob
        fields = ["id", "project", "status", "total", "processed", "percent", "failure", "summary", "created_at",
                  "started_at", "finished_at"]  # fmt: skip


class RecomputeInSerializer(serializers.Serializer):
    project = serializers.IntegerField()


class QualityRecomputeView(views.APIView):
    """Supervisors, centre managers and network admins, for projects their centre has a
    batch of; a recomputation already queued or running is returned instead of a second."""

    @extend_schema(request=RecomputeInSerializer, responses={202: QualityJobSerializer})
    def post(self, request):
        body = RecomputeInSerializer(data=request.data)
        if not body.is_valid():
            raise ValidationError({"project": [_("Give the project's id.")]})
        if not policies.can_manage_batches(request.user):
            raise Http404
        project = selectors.quality_dashboard_project_get(request.user, body.validated_data["project"])
        job = quality_recompute_start(project=project, created_by=request.user)
        return Response(QualityJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class QualityJobView(views.APIView):
    @extend_schema(responses={200: QualityJobSerializer})
    def get(self, request, job_id: int):
        return Response(QualityJobSerializer(selectors.quality_job_get(request.user, job_id)).data)
