"""The candidate's side of exams, for the browser: saving theory answers as they are
given, and the practical exam's workbench endpoints (the same shapes as the workbench's
own, so static/js/workbench.js draws an exam item as it draws work).

- `POST /api/v1/exams/attempts/{id}/answers/` `{"question", "choices"}` -> 200, 409 when late.
- `POST /api/v1/exams/attempts/{id}/next/` -> the next gold item as a workbench task, or 204.
- `POST /api/v1/exams/attempts/{id}/items/{item}/submit|skip|heartbeat/`.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, views
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from annotation import practice
from certification import exams

_datetime = serializers.DateTimeField().to_representation


class AnswerInSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    choices = serializers.ListField(child=serializers.IntegerField(min_value=0), max_length=8)


SavedSerializer = inline_serializer("ExamAnswerSaved", {"saved": serializers.BooleanField(),
                                                        "deadline": serializers.DateTimeField()})  # fmt: skip


class AttemptAnswerView(views.APIView):
    @extend_schema(request=AnswerInSerializer, responses={200: SavedSerializer})
    def post(self, request, attempt_id: int):
        body = AnswerInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attempt = exams.attempt_answer(actor=request.user, attempt_id=attempt_id,
                                       question_id=body.validated_data["question"],
                                       choices=body.validated_data["choices"])  # fmt: skip
        return Response({"saved": True, "deadline": _datetime(attempt.deadline)})


def _task(attempt, item_id: int) -> dict:
    item = practice.gold_items([item_id])[item_id]
    position = [entry["item"] for entry in attempt.paper].index(item_id) + 1
    return {
        "id": item_id,
        "item": {"id": item_id, "width": item.width, "height": item.height,
                 "image_url": reverse("exam-practical-image", args=[attempt.pk, item_id])},
        "project": {"id": item.project_id, "name": "", "label_schema": item.project.label_schema,
                    "instructions": item.project.instructions},
        "title": _("Practical exam · image %(n)s of %(total)s") % {"n": position, "total": len(attempt.paper)},
        "prefill": {"shapes": [], "class": None},
        "draft": None,
        "lease_expires_at": _datetime(attempt.deadline),
        "prefetch": [],
        "rework": None,
    }  # fmt: skip


PracticalTaskSerializer = inline_serializer("PracticalTask", {"id": serializers.IntegerField(),
                                                              "item": serializers.DictField(),
                                                              "project": serializers.DictField(),
                                                              "title": serializers.CharField(),
                                                              "lease_expires_at": serializers.DateTimeField()})  # fmt: skip


class PracticalNextView(views.APIView):
    @extend_schema(request=None, responses={200: PracticalTaskSerializer, 204: None})
    def post(self, request, attempt_id: int):
        attempt, item_id = exams.practical_next(actor=request.user, attempt_id=attempt_id)
        if item_id is None:
            exams.attempt_finish(actor=request.user, attempt_id=attempt.pk)  # every item done: handed in
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_task(attempt, item_id))


class PracticalSubmitInSerializer(serializers.Serializer):
    shapes = serializers.JSONField(required=False)
    time_spent_ms = serializers.IntegerField(required=False)


class PracticalSubmitView(views.APIView):
    @extend_schema(request=PracticalSubmitInSerializer, responses={201: None, 200: None})
    def post(self, request, attempt_id: int, item_id: int):
        data = request.data if isinstance(request.data, dict) else {}
        answer = {"shapes": data.get("shapes", []), "class": data.get("class")}
        try:
            _stored, created = exams.practical_submit(actor=request.user, attempt_id=attempt_id, item_id=item_id,
                                                      answer=answer)  # fmt: skip
        except practice.SchemaError as exc:
            raise ValidationError(exc.errors) from exc
        return Response({"saved": True}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PracticalSkipView(views.APIView):
    @extend_schema(request=None, responses={200: None})
    def post(self, request, attempt_id: int, item_id: int):
        exams.practical_skip(actor=request.user, attempt_id=attempt_id, item_id=item_id)
        return Response({"skipped": True})


class PracticalHeartbeatView(views.APIView):
    """The workbench's heartbeat: keeps nothing (an exam item has no lease), answers the
    deadline so the page's clock follows the server's."""

    @extend_schema(request=None, responses={200: None})
    def post(self, request, attempt_id: int, item_id: int):
        attempt, _next = exams.practical_next(actor=request.user, attempt_id=attempt_id)
        return Response({"lease_expires_at": _datetime(attempt.deadline)})
