"""Pages of the care space: the guardian's bookings, the childcare lead's day and week,
and the tablet's check-in and check-out. Each view: check, call one selector or service,
render or redirect with a message."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidou.errors import DomainError, NotFound
from childcare import policies, selectors, services
from childcare.forms import ChildForm, PickupPersonForm
from childcare.models import Notice, PickupPerson


def _id(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None


def _say_error(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for field_messages in exc.message_dict.values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.error(request, str(exc))


@login_required
def guardian_home(request):
    """What a parent needs: proposals from their shifts, bookings with waitlist places,
    today's check-in state, and what they were told."""
    user = request.user
    children = selectors.children_of(user)
    today = timezone.localdate()
    bookings = selectors.guardian_bookings(user, since=today)
    child_id = _id(request.GET.get("child"))
    chosen = next((c for c in children if c.pk == child_id), children[0] if children else None)
    bookable = (
        selectors.bookable_sessions(user, child=chosen, start=today, end=today + dt.timedelta(days=13))
        if chosen is not None
        else []
    )
    booked_sessions = {b.session_id for b in bookings if chosen is not None and b.child_id == chosen.pk}
    return render(
        request,
        "childcare/guardian_home.html",
        {
            "children": children,
            "proposals": selectors.proposals_for(user),
            "bookings": bookings,
            "follow_ups": [b for b in bookings if b.follow_up],
            "today_bookings": [b for b in bookings if b.session.date == today],
            "notices": Notice.objects.filter(recipient=user).select_related("booking__session__room", "booking__child")[
                :5
            ],
            "chosen": chosen,
            "bookable": [s for s in bookable if s.pk not in booked_sessions and s.ends_at > timezone.now()],
        },
    )


@login_required
@require_POST
def proposals_accept(request):
    keys = request.POST.getlist("proposal")
    booked = services.proposals_accept(guardian=request.user, keys=keys or None)
    confirmed = sum(1 for b in booked if b.status == "confirmed")
    messages.success(
        request,
        _("%(confirmed)d booked, %(waiting)d on the waitlist.")
        % {"confirmed": confirmed, "waiting": len(booked) - confirmed},
    )
    return redirect("childcare-home")


@login_required
@require_POST
def booking_create(request):
    try:
        child = selectors.child_get(request.user, _id(request.POST.get("child")))
        session = selectors.session_get_for_booking(request.user, _id(request.POST.get("session")))
        booking = services.booking_create(actor=request.user, child=child, session=session)
    except (DomainError, ValidationError) as exc:
        _say_error(request, exc)
    else:
        if booking.status == "confirmed":
            messages.success(request, _("Booked: %(child)s, %(room)s.") % {"child": child, "room": session.room})
        else:
            messages.success(
                request,
                _("The session is full: %(child)s is number %(position)d on the waitlist.")
                % {"child": child, "position": selectors.waitlist_position(booking)},
            )
    return redirect(f"{reverse('childcare-home')}?child={request.POST.get('child', '')}")


@login_required
@require_POST
def booking_cancel(request, booking_id: int):
    try:
        booking = selectors.booking_get(request.user, booking_id)
        services.booking_cancel(actor=request.user, booking=booking)
    except DomainError as exc:
        _say_error(request, exc)
    else:
        messages.success(request, _("Cancelled."))
    return redirect("childcare-lead" if request.POST.get("back") == "lead" else "childcare-home")


@login_required
@require_POST
def booking_follow_up(request, booking_id: int):
    try:
        booking = selectors.booking_get(request.user, booking_id)
        services.booking_follow_up_resolve(
            actor=request.user, booking=booking, accept=request.POST.get("answer") == "accept"
        )
    except DomainError as exc:
        _say_error(request, exc)
    else:
        messages.success(request, _("Done."))
    return redirect("childcare-home")


@login_required
def child_new(request):
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_register(guardian=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, field_messages in exc.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("%(child)s is registered.") % {"child": child})
            return redirect("childcare-child", child.pk)
    return render(request, "childcare/child_form.html", {"form": form})


@login_required
def child_detail(request, child_id: int):
    try:
        child = selectors.child_get(request.user, child_id)
    except NotFound as exc:
        raise Http404 from exc
    is_guardian = policies.is_guardian(request.user, child)
    form = PickupPersonForm(request.POST or None) if is_guardian else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.pickup_person_add(actor=request.user, child=child, **form.cleaned_data)
        except ValidationError as exc:
            for field, field_messages in exc.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Added."))
            return redirect("childcare-child", child.pk)
    notes = None
    if is_guardian or request.GET.get("notes") == "1":
        notes = services.child_health_notes_read(
            actor=request.user, child=child, ip_address=request.META.get("REMOTE_ADDR")
        )
    return render(
        request,
        "childcare/child_detail.html",
        {
            "child": child,
            "is_guardian": is_guardian,
            "notes": notes,
            "pickup_people": selectors.pickup_people_of(child),
            "form": form,
        },
    )


@login_required
@require_POST
def child_delete(request, child_id: int):
    try:
        child = selectors.child_get(request.user, child_id)
        services.child_delete(actor=request.user, child=child)
    except DomainError as exc:
        raise Http404 from exc
    messages.success(request, _("The record and everything kept with it is deleted."))
    return redirect("childcare-home")


def _require_staff(request) -> int:
    user = request.user
    if not policies.is_care_staff(user, user.centre_id) or user.centre_id is None:
        raise DjangoPermissionDenied
    return user.centre_id


@login_required
def lead_home(request):
    """Today's rooms against capacity and ratio, the week's occupancy, the caregiver roster
    and certificates expiring within 30 days."""
    centre_id = _require_staff(request)
    today = timezone.localdate()
    sessions = selectors.todays_sessions(centre_id=centre_id, day=today)
    for session in sessions:
        session.present = sum(
            1
            for b in session.live_bookings
            if hasattr(b, "attendance") and b.attendance and b.attendance.checked_out_at is None
        )
    week = list(selectors.sessions_with_counts(centre_id=centre_id, start=today, end=today + dt.timedelta(days=6)))
    days: dict[dt.date, dict] = {}
    for session in week:
        day = days.setdefault(session.date, {"date": session.date, "confirmed": 0, "places": 0, "capacity": 0})
        day["confirmed"] += session.confirmed_count
        day["places"] += session.places
        day["capacity"] += session.capacity
    return render(
        request,
        "childcare/lead_home.html",
        {
            "sessions": sessions,
            "week": sorted(days.values(), key=lambda d: d["date"]),
            "roster": week,
            "expiring": selectors.caregivers_expiring(centre_id=centre_id, today=today),
            "rooms": selectors.rooms_of(centre_id),
            "rules": selectors.ratio_rules_in_force(centre_id=centre_id, day=today).values(),
            "today": today,
        },
    )


@login_required
def tablet(request):
    """The tablet at the door: today's children, a large button to check each in, and
    check-out to a named person with their PIN."""
    centre_id = _require_staff(request)
    sessions = selectors.todays_sessions(centre_id=centre_id, day=timezone.localdate())
    pickup: dict[int, list] = {}
    child_ids = {b.child_id for s in sessions for b in s.live_bookings}
    for person in PickupPerson.objects.filter(child_id__in=child_ids).order_by("id"):
        pickup.setdefault(person.child_id, []).append(person)
    for session in sessions:
        for booking in session.live_bookings:
            booking.pickup_people = pickup.get(booking.child_id, [])
    return render(request, "childcare/tablet.html", {"sessions": sessions, "now": timezone.now()})


@login_required
@require_POST
def tablet_check_in(request, booking_id: int):
    _require_staff(request)
    try:
        booking = selectors.booking_get(request.user, booking_id)
        services.child_check_in(actor=request.user, booking=booking)
    except DomainError as exc:
        _say_error(request, exc)
    else:
        messages.success(request, _("%(child)s is checked in.") % {"child": booking.child})
    return redirect("childcare-tablet")


@login_required
@require_POST
def tablet_check_out(request, booking_id: int):
    _require_staff(request)
    try:
        booking = selectors.booking_get(request.user, booking_id)
        attendance = services.child_check_out(
            actor=request.user,
            booking=booking,
            pickup_person_id=_id(request.POST.get("pickup_person")) or 0,
            pin=request.POST.get("pin", "")[:12],
        )
    except DomainError as exc:
        _say_error(request, exc)
    else:
        messages.success(
            request,
            _("%(child)s went home with %(person)s.")
            % {"child": booking.child, "person": attendance.collected_by.name},
        )
    return redirect("childcare-tablet")


def home_panel(request) -> dict | None:
    """The way in from everyone's home page: the lead's pages for care staff, the booking
    page for guardians (with how many shifts still lack care)."""
    user = request.user
    staff = policies.is_care_staff(user, user.centre_id) and user.centre_id is not None
    children = selectors.children_of(user)
    if not staff and not children:
        return None
    return {"staff": staff, "proposals": len(selectors.proposals_for(user)) if children else 0}
