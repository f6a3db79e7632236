"""The workbench API (API.md, Workbench): next task, submit, skip, heartbeat. Internal:
for annotators' browsers and tools, authenticated as the annotator."""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.authentication import CSRFCheck
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder

from aidou.auth_guard import STAFF_TOKEN, auth_guard_wait, client_address
from aidou.errors import DomainError
from aidou.text import json_unstorable
from aidou.throttling import person_throttle_allows
from annotation import selectors
from annotation.models import Annotation, Assignment
from annotation.services import assignments as engine
from annotation.services.api_keys import KEY_PREFIX as API_KEY_PREFIX
from workforce.api.auth import user_by_token
from workforce.models import User


def _image_url(item_id: int) -> str:
    """reverse("item-image", args=[item_id]), from the URL reversed once per script prefix
    (`next` hands out two of these for every image)."""
    prefix = get_script_prefix()
    template = _image_url_templates.get(prefix)
    if template is None:
        url = reverse("item-image", args=[_PLACEHOLDER_ID])
        template = _image_url_templates.setdefault(prefix, url.replace(str(_PLACEHOLDER_ID), "{}"))
    return template.format(item_id)


_PLACEHOLDER_ID = 4_294_967_291
_image_url_templates: dict[str, str] = {}


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

    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()

    def get_queryset(self):
        return selectors.assignments_of(self.request.user).select_related("item", "batch")

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


# ---------------------------------------------------------------------------- next and submit
# Every annotator calls these two for every image all day. Their common case (a POST for
# JSON from an active person with a staff token, or with a session and its CSRF token,
# within the throttle, with a well-formed JSON body) is answered by a plain function:
# DRF's per-request machinery (its Request, authenticator, parser and throttle objects,
# negotiation, the Response's rendering) cost about as much Python as the engine's own
# work. Anything else is left to the DRF views below, which answer it as everywhere else
# in the API, so the answers are the same either way (tests/annotation/
# test_workbench_hot_path.py checks both roads); the views also carry the schema.

# The Accept headers the workbench and tools send (or none): JSON without parsing them.
_JSON_ACCEPTS = frozenset({None, "", "*/*", "application/json"})
_JSON_BODIES = frozenset({"application/json", "application/json; charset=utf-8"})
_EXPONENT = re.compile(r"[0-9][eE]")
_ENCODER = DRFJSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # as DRF's JSONRenderer


def _common_caller(request) -> User | None:
    """The person making a common-case call, or None when DRF should answer it."""
    meta = request.META
    if request.method != "POST" or meta.get("QUERY_STRING") or meta.get("HTTP_ACCEPT") not in _JSON_ACCEPTS:
        return None
    header = meta.get("HTTP_AUTHORIZATION")
    if header is not None:
        keyword, _space, key = header.partition(" ")
        if keyword != "Token" or not key or " " in key or key.startswith(API_KEY_PREFIX):
            return None  # other schemes, client keys and malformed headers: DRF's answers
        if auth_guard_wait(path=STAFF_TOKEN, account=None, address=client_address(request)):
            return None  # DRF's authenticator answers 429
        user = user_by_token(key)
        if user is None or not user.is_active:
            return None
        request.user = user  # as DRF's Request does, for whatever reads it afterwards
    else:
        user = request.user  # the session's
        if not user.is_active or _csrf_refused(request):
            return None
    return user if person_throttle_allows(user) else None


def _csrf_refused(request) -> bool:
    # DRF's SessionAuthentication.enforce_csrf: a session caller's POST needs its CSRF token.
    check = CSRFCheck(lambda request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


def _json_body(request) -> dict | None:
    """The request's JSON object, or None when it is not one DRF would read the same way
    (no body, another content type, too large, not UTF-8 JSON, not an object)."""
    meta = request.META
    if meta.get("CONTENT_TYPE") not in _JSON_BODIES:
        return None
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return None
    try:
        text = request.body.decode("utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    # What aidou.parsers.json_loads_untrusted refuses beyond this: a string with a NUL or a
    # lone surrogate (only a \u escape puts one there: walked only then) and a number too
    # large for a float (only an exponent makes one short enough: DRF answers those).
    if ("\\u" in text and json_unstorable(data)) or _EXPONENT.search(text):
        return None
    return data


def _refuse_constant(name):
    raise ValueError(name)  # NaN and Infinity: DRF's strict JSON refuses them


def _json_response(data, status_code: int = 200) -> HttpResponse:
    body = _ENCODER.encode(data).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _with_view_headers(HttpResponse(body.encode(), content_type="application/json", status=status_code))


def _with_view_headers(response: HttpResponse) -> HttpResponse:
    # What DRF's finalize_response adds (before the middleware adds theirs).
    response["Allow"] = "POST, OPTIONS"
    response["Vary"] = "Accept"
    return response


def _next_common_case(request) -> HttpResponse | None:
    annotator = _common_caller(request)
    if annotator is None:
        return None
    try:
        offer = engine.assignment_next(annotator=annotator)
    except DomainError as exc:
        return _json_response(exc.as_data(), exc.status_code)
    if offer is None:
        response = _with_view_headers(HttpResponse(status=status.HTTP_204_NO_CONTENT))
        del response["Content-Type"]
        return response
    return _json_response(task_data(offer))


def _submit_common_case(request, pk=None) -> HttpResponse | None:
    annotator = _common_caller(request)
    if annotator is None:
        return None
    data = _json_body(request)
    if data is None:
        return None
    try:
        meta = _submission_meta(data)
    except ValidationError:
        return None
    try:
        stored, created = engine.assignment_submit(
            annotator=annotator,
            assignment_id=pk,
            annotation={"shapes": data.get("shapes", []), "class": meta["class"]},
            client_time_ms=meta["time_spent_ms"],
        )
    except DomainError as exc:
        return _json_response(exc.as_data(), exc.status_code)
    return _json_response(annotation_data(stored), status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class _JSONFirstNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answering a plain JSON request without parsing its Accept header
    (the same renderer and media type DRF would pick); anything else is negotiated."""

    def select_renderer(self, request, renderers, format_suffix=None):
        meta = request._request.META
        if format_suffix is None and not meta.get("QUERY_STRING") and meta.get("HTTP_ACCEPT") in _JSON_ACCEPTS:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


_JSON_FIRST = _JSONFirstNegotiation()


class _HotView(generics.GenericAPIView):
    # As on AssignmentViewSet, whose actions these were: for OPTIONS, the browsable API and
    # the schema (the id in the path); neither is read to answer a POST.
    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()
    common_case: Callable[..., HttpResponse | None]

    def get_content_negotiator(self):
        return _JSON_FIRST

    @classmethod
    def as_view(cls, **initkwargs):
        drf_view = super().as_view(**initkwargs)
        common_case = cls.common_case

        def view(request, *args, **kwargs):
            response = common_case(request, *args, **kwargs)
            return drf_view(request, *args, **kwargs) if response is None else response

        # What DRF's view carries (the schema generator reads cls), and its CSRF exemption:
        # the common case enforces CSRF for session callers as DRF does.
        view.__dict__.update(drf_view.__dict__)
        view.__name__, view.__doc__ = drf_view.__name__, drf_view.__doc__
        return view


# A bound SubmissionMetaSerializer per language judges every submission: building one per
# request (deep-copying and binding its fields) cost more than the judging. run_validation
# keeps no state on the instance, so sharing it is safe; per language because DRF's
# min_value and max_length messages keep the text of the language they were first shown in.
_submission_meta_serializers: dict[str | None, SubmissionMetaSerializer] = {}


def _submission_meta(data) -> dict:
    """SubmissionMetaSerializer(data=data).is_valid(raise_exception=True)'s validated data,
    raising the same errors."""
    language = translation.get_language()
    serializer = _submission_meta_serializers.get(language)
    if serializer is None:
        serializer = _submission_meta_serializers.setdefault(language, SubmissionMetaSerializer())
    try:
        return serializer.run_validation(data)
    except ValidationError as exc:
        detail = exc.detail
        if isinstance(detail, list) and len(detail) == 1 and getattr(detail[0], "code", None) == "null":
            # Serializer.errors' wording for a body of `null`.
            detail = {api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail("No data provided", code="null")]}
        raise ValidationError(detail) from None


class AssignmentNextView(_HotView):
    common_case = staticmethod(_next_common_case)

    @extend_schema(
        request=None,
        responses={200: TaskSerializer, 204: OpenApiResponse(description="No work for you right now.")},
    )
    def post(self, request):
        """The next image to label: your open lease, or a new one by priority, due date, age."""
        offer = engine.assignment_next(annotator=request.user)
        if offer is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(task_data(offer))

    name, description = "Next", post.__doc__  # what the viewset action said in OPTIONS


class AssignmentSubmitView(_HotView):
    common_case = staticmethod(_submit_common_case)

    @extend_schema(
        request=AnnotationInSerializer,
        responses={201: AnnotationOutSerializer, 200: AnnotationOutSerializer},
    )
    def post(self, request, pk=None):
        """Submit what you drew. Sending it again returns the stored annotation (200)."""
        data = _submission_meta(request.data)
        stored, created = engine.assignment_submit(
            annotator=request.user,
            assignment_id=pk,
            annotation={"shapes": request.data.get("shapes", []), "class": data["class"]},
            client_time_ms=data["time_spent_ms"],
        )
        return Response(annotation_data(stored), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    name, description = "Submit", post.__doc__
