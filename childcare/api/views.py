"""The care space's API, for the door tablet and for guardians. Scoped as everywhere:
another family's child or another centre's booking answers 404."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from aidou.errors import NotFound
from childcare import policies, selectors, services
from childcare.models import Attendance, Booking, Session

MAX_RANGE_DAYS = 62


class SessionSerializer(serializers.ModelSerializer):
    room = serializers.CharField(source="room.name")
    ratio = serializers.SerializerMethodField()
    caregivers = serializers.IntegerField(source="caregivers_counted")
    confirmed = serializers.IntegerField(source="confirmed_count")
    waitlisted = serializers.IntegerField()

    class Meta:
        model = Session
        fields = ["id", "room", "starts_at", "ends_at", "capacity", "places", "ratio", "caregivers", "confirmed",
                  "waitlisted"]  # fmt: skip
        read_only_fields = fields

    def get_ratio(self, session: Session) -> str:
        return f"1:{session.children_per_caregiver}"


class SessionRangeSerializer(serializers.Serializer):
    # The query says `from` and `to`; `from` is a keyword in Python, so the view renames them.
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs):
        start = attrs.get("start") or timezone.localdate()
        end = attrs.get("end") or start + dt.timedelta(days=13)
        if end < start:
            raise ValidationError({"to": [_("`to` is before `from`.")]})
        if (end - start).days > MAX_RANGE_DAYS:
            raise ValidationError({"to": [_("Ask for at most 62 days at a time.")]})
        return {"start": start, "end": end}


class SessionListView(generics.ListAPIView):
    """`GET /api/v1/childcare/sessions/?from=YYYY-MM-DD&to=YYYY-MM-DD`: the sessions of the
    caller's centre (childcare staff and the centre manager), with places, the caregivers
    counted toward the ratio, confirmed and waitlisted bookings. Others get an empty list."""

    serializer_class = SessionSerializer
    queryset = Session.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("from", dt.date, description="first day (default today)"),
            OpenApiParameter("to", dt.date, description="last day (default from + 13 days, at most 62 days)"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        days = SessionRangeSerializer(
            data={name: params[key] for key, name in (("from", "start"), ("to", "end")) if key in params}
        )
        if not days.is_valid():
            names = {"start": "from", "end": "to"}
            raise ValidationError({names.get(field, field): errors for field, errors in days.errors.items()})
        return selectors.sessions_for_staff(self.request.user, **days.validated_data)


class BookingInSerializer(serializers.Serializer):
    child = serializers.IntegerField(min_value=1, max_value=2**62)
    session = serializers.IntegerField(min_value=1, max_value=2**62)


class BookingOutSerializer(serializers.ModelSerializer):
    waitlist_position = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = ["id", "child", "session", "status", "waitlist_position"]
        read_only_fields = fields

    def get_waitlist_position(self, booking: Booking) -> int | None:
        return selectors.waitlist_position(booking)


class BookingListCreateView(APIView):
    """`POST /api/v1/childcare/bookings/` with `{"child", "session"}`: 201 with the booking,
    `confirmed` or `waitlisted` with its place in line. Another family's child or another
    centre's session: 404; already booked: 409."""

    @extend_schema(request=BookingInSerializer, responses={201: BookingOutSerializer})
    def post(self, request):
        body = BookingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        child = selectors.child_get(request.user, body.validated_data["child"])
        session = selectors.session_get_for_booking(request.user, body.validated_data["session"])
        booking = services.booking_create(actor=request.user, child=child, session=session)
        return Response(BookingOutSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailView(APIView):
    """`GET` one booking; `DELETE /api/v1/childcare/bookings/{id}/` cancels it (204); the
    place goes to the first on the waitlist at once."""

    @extend_schema(responses={200: BookingOutSerializer})
    def get(self, request, booking_id: int):
        return Response(BookingOutSerializer(selectors.booking_get(request.user, booking_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, booking_id: int):
        services.booking_cancel(actor=request.user, booking=selectors.booking_get(request.user, booking_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttendanceSerializer(serializers.ModelSerializer):
    collected_by = serializers.CharField(source="collected_by.name", default=None)

    class Meta:
        model = Attendance
        fields = ["booking", "checked_in_at", "checked_out_at", "collected_by", "late_pickup"]
        read_only_fields = fields


def _staff_booking(request, booking_id: int) -> Booking:
    booking = selectors.booking_get(request.user, booking_id)
    if not policies.is_care_staff(request.user, booking.session.room.centre_id):
        raise NotFound(_("No such booking."))
    return booking


class CheckInView(APIView):
    """`POST /api/v1/childcare/bookings/{id}/check-in/`: a caregiver of the centre checks the
    child in (201); twice: 409."""

    @extend_schema(request=None, responses={201: AttendanceSerializer})
    def post(self, request, booking_id: int):
        attendance = services.child_check_in(actor=request.user, booking=_staff_booking(request, booking_id))
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)


class CheckOutInSerializer(serializers.Serializer):
    pickup_person = serializers.IntegerField(min_value=1, max_value=2**62)
    pin = serializers.RegexField(r"^[0-9]{4,6}$", max_length=6)


class CheckOutView(APIView):
    """`POST /api/v1/childcare/bookings/{id}/check-out/` with `{"pickup_person", "pin"}`:
    200 when the PIN is right; a wrong PIN is 403 (logged), and the fifth in a row locks
    that person for 15 minutes."""

    @extend_schema(request=CheckOutInSerializer, responses={200: AttendanceSerializer})
    def post(self, request, booking_id: int):
        booking = _staff_booking(request, booking_id)
        body = CheckOutInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attendance = services.child_check_out(
            actor=request.user,
            booking=booking,
            pickup_person_id=body.validated_data["pickup_person"],
            pin=body.validated_data["pin"],
        )
        return Response(AttendanceSerializer(attendance).data)
