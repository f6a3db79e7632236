"""The annotator's own shifts and clock in / out (issue 15, part 1). Everyone sees only
their own: a shift or record of someone else is never listed, whatever the parameters."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from workforce.api.serializers import TeamRefSerializer
from workforce.models import AttendanceRecord, Shift, ShiftType
from workforce.scheduling import selectors, services

# The longest range one request lists (a quarter): a wider one is a client's mistake.
LONGEST_RANGE_DAYS = 92


class ShiftTypeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShiftType
        fields = ["id", "name"]


class ShiftSerializer(serializers.ModelSerializer):
    """A published shift; times are the published ones, with the centre's offset."""

    shift_type = ShiftTypeRefSerializer(read_only=True)
    team = TeamRefSerializer(source="roster.team", read_only=True)
    starts_at = serializers.DateTimeField(source="published_starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="published_ends_at", read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "date", "shift_type", "team", "starts_at", "ends_at", "break_minutes"]
        read_only_fields = fields


class AttendanceRecordSerializer(serializers.ModelSerializer):
    shift = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    corrected = serializers.SerializerMethodField()

    class Meta:
        model = AttendanceRecord
        fields = ["id", "clock_in_at", "clock_out_at", "shift", "source", "corrected"]
        read_only_fields = fields

    def get_corrected(self, record) -> bool:
        return bool(record.corrections.all())


def _date_param(params, name: str, default: dt.date) -> dt.date:
    text = params.get(name)
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError({name: [_("Give a date as YYYY-MM-DD.")]}) from exc


def date_range_params(params) -> tuple[dt.date, dt.date]:
    """`from` and `to` (inclusive, YYYY-MM-DD); this week by default. 400 naming the field."""
    monday = services.week_start_of(timezone.localdate())
    first = _date_param(params, "from", monday)
    last = _date_param(params, "to", first + dt.timedelta(days=6))
    if last < first:
        raise ValidationError({"to": [_("`to` is on or after `from`.")]})
    if (last - first).days >= LONGEST_RANGE_DAYS:
        raise ValidationError({"to": [_("Ask for at most 92 days at a time.")]})
    return first, last


_FROM = OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: this Monday).")
_TO = OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: six days on).")


@extend_schema_view(list=extend_schema(parameters=[_FROM, _TO]))
class ShiftViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own published shifts on the days [from, to], in time order."""

    serializer_class = ShiftSerializer
    queryset = Shift.objects.none()

    def get_queryset(self):
        first, last = date_range_params(self.request.query_params)
        return selectors.my_shifts(self.request.user, first, last)


@extend_schema_view(list=extend_schema(parameters=[_FROM, _TO]))
class AttendanceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own attendance: list it, clock in, clock out. Clocking in twice, or out
    without being in, is 409."""

    serializer_class = AttendanceRecordSerializer
    queryset = AttendanceRecord.objects.none()

    def get_queryset(self):
        first, last = date_range_params(self.request.query_params)
        return selectors.attendance_of(self.request.user, first, last)

    @extend_schema(request=None, responses={201: AttendanceRecordSerializer})
    @action(detail=False, methods=["post"], url_path="clock-in")
    def clock_in(self, request):
        record = services.attendance_clock_in(worker=request.user)
        return Response(AttendanceRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AttendanceRecordSerializer})
    @action(detail=False, methods=["post"], url_path="clock-out")
    def clock_out(self, request):
        record = services.attendance_clock_out(worker=request.user)
        return Response(AttendanceRecordSerializer(record).data)
