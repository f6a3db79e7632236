"""Scheduling pages: shift types, a team's week grid (edit, copy last week, publish), clock
in and out (the annotator's home panel), attendance and its corrections, absences, and the
monthly attendance report (page, CSV, XLSX). Each view checks, calls one selector or
service, and renders; a service's "no" becomes a message on the page it came from."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidou.errors import DomainError
from aidou.errors import PermissionDenied as DomainPermissionDenied
from workforce import policies
from workforce.models import User
from workforce.pay.selectors import month_parse
from workforce.scheduling import report, selectors, services
from workforce.scheduling.forms import (
    AbsenceDecisionForm,
    AbsenceRequestForm,
    AttendanceAddForm,
    AttendanceCorrectionForm,
    ShiftTypeForm,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _can_manage(user: User) -> bool:
    return user.is_network_admin or policies.can_manage_schedule(user, user.centre_id)


def _week_of(text: str | None) -> dt.date:
    if not text:
        return services.week_start_of(timezone.localdate())
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise Http404 from exc
    return services.week_start_of(day)


# --- The schedule's start page ----------------------------------------------------------------


@login_required
def schedule_home(request):
    """A person's own week and leave; for those who keep the schedule, the teams' rosters,
    requests waiting for a decision and the report."""
    user = request.user
    week = _week_of(request.GET.get("week"))
    context = {
        "week": week,
        "previous_week": week - dt.timedelta(days=7),
        "next_week": week + dt.timedelta(days=7),
        "my_shifts": list(selectors.my_shifts(user, week, week + dt.timedelta(days=6))),
        "can_manage": _can_manage(user),
    }
    if context["can_manage"]:
        context["teams"] = list(selectors.schedule_teams_visible_to(user))
        context["waiting"] = selectors.absences_visible_to(user).filter(status="requested").count()
    return render(request, "workforce/scheduling/home.html", context)


# --- Shift types ------------------------------------------------------------------------------


def _shift_type_data(form: ShiftTypeForm) -> services.ShiftTypeData:
    data = form.cleaned_data
    return services.ShiftTypeData(
        name=data["name"], starts=data["starts"], ends=data["ends"],
        break_minutes=data["break_minutes"], is_active=data["is_active"],
    )  # fmt: skip


@login_required
def shift_type_list(request):
    user = request.user
    _require(_can_manage(user) and user.centre_id is not None)
    form = ShiftTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_type_save(actor=user, centre=user.centre, shift_type=None, data=_shift_type_data(form))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Shift type added."))
            return redirect("shift-type-list")
    return render(
        request,
        "workforce/scheduling/shift_types.html",
        {"shift_types": selectors.shift_types_visible_to(user, user.centre_id), "form": form},
    )


@login_required
def shift_type_edit(request, shift_type_id: int):
    user = request.user
    _require(_can_manage(user))
    shift_type = selectors.shift_type_get(user, shift_type_id)
    initial = {
        "name": shift_type.name, "starts": shift_type.starts, "ends": shift_type.ends,
        "break_minutes": shift_type.break_minutes, "is_active": shift_type.is_active,
    }  # fmt: skip
    form = ShiftTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_type_save(
                actor=user, centre=shift_type.centre, shift_type=shift_type, data=_shift_type_data(form)
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Shift type saved."))
            return redirect("shift-type-list")
    return render(request, "workforce/scheduling/shift_type_edit.html", {"shift_type": shift_type, "form": form})


@login_required
@require_POST
def shift_type_delete(request, shift_type_id: int):
    shift_type = selectors.shift_type_get(request.user, shift_type_id)
    if services.shift_type_delete(actor=request.user, shift_type=shift_type):
        messages.success(request, _("Shift type deleted."))
    else:
        messages.info(request, _("Shifts use this type, so it was retired instead of deleted."))
    return redirect("shift-type-list")


# --- The week grid ------------------------------------------------------------------------------


def _grid_url(team_id: int, week: dt.date) -> str:
    return reverse("roster-week", kwargs={"team_id": team_id}) + f"?week={week:%Y-%m-%d}"


def _cells_from_post(post, grid: selectors.WeekGrid) -> dict[tuple[int, dt.date], set[int]]:
    """Checkbox `cell-<person>-<YYYY-MM-DD>` holds the shift type ids picked in that cell;
    only the grid's own people, days and types are read."""
    type_ids = {shift_type.pk for shift_type in grid.shift_types}
    cells: dict[tuple[int, dt.date], set[int]] = {}
    for person in grid.people:
        for day, _kind in grid.days:
            picked = set()
            for value in post.getlist(f"cell-{person.pk}-{day:%Y-%m-%d}"):
                if value.isdigit() and int(value) in type_ids:
                    picked.add(int(value))
            cells[(person.pk, day)] = picked
    return cells


@login_required
def roster_week(request, team_id: int):
    """GET: the grid. POST `action` = save (the draft), copy (last week's), publish."""
    user = request.user
    _require(_can_manage(user))  # a role that keeps no schedule: 403; another centre's team: 404
    team = selectors.schedule_team_get(user, team_id)
    week = _week_of(request.GET.get("week") or request.POST.get("week"))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            roster = services.roster_get_or_create(actor=user, team=team, week_start=week)
            if action in ("save", "publish"):
                grid = selectors.roster_week_grid(team, week)
                services.roster_draft_set(actor=user, roster=roster, cells=_cells_from_post(request.POST, grid))
            if action == "copy":
                changed = services.roster_copy_previous_week(actor=user, roster=roster)
                messages.success(request, _("Last week copied: %(n)s shifts changed in the draft.") % {"n": changed})
            elif action == "publish":
                events = services.roster_publish(actor=user, roster=roster)
                messages.success(request, _("Published: %(n)s changes sent to the team.") % {"n": len(events)})
            else:
                messages.success(request, _("Draft saved. Publish it when it is ready."))
        except DomainPermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(_grid_url(team.pk, week))
    grid = selectors.roster_week_grid(team, week)
    rows = [(person, [(day, kind, grid.cell(person.pk, day)) for day, kind in grid.days]) for person in grid.people]
    return render(request, "workforce/scheduling/roster_week.html", {"grid": grid, "rows": rows})


# --- Clock in and out (the annotator's home panel) ------------------------------------------------


def clock_panel(request) -> dict | None:
    """The panel on the annotator's home: clocked in or not, and today's shifts."""
    user = request.user
    if not user.is_authenticated or user.centre_id is None:
        return None
    today = timezone.localdate()
    return {
        "open_record": selectors.attendance_open_record(user),
        "today_shifts": list(selectors.my_shifts(user, today, today)),
    }


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else reverse(fallback)


@login_required
@require_POST
def clock_in(request):
    try:
        record = services.attendance_clock_in(worker=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Clocked in at %(time)s.") % {"time": timezone.localtime(record.clock_in_at).strftime("%H:%M")}
        )
    return redirect(_back(request, "schedule-home"))


@login_required
@require_POST
def clock_out(request):
    try:
        record = services.attendance_clock_out(worker=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        assert record.clock_out_at is not None
        messages.success(
            request,
            _("Clocked out at %(time)s.") % {"time": timezone.localtime(record.clock_out_at).strftime("%H:%M")},
        )
    return redirect(_back(request, "schedule-home"))


@login_required
def my_attendance(request):
    today = timezone.localdate()
    records = list(selectors.attendance_of(request.user, today - dt.timedelta(days=31), today))
    return render(request, "workforce/scheduling/my_attendance.html", {"records": records})


# --- Attendance of a team, corrections --------------------------------------------------------------


@login_required
def team_attendance(request, team_id: int):
    user = request.user
    _require(_can_manage(user))  # a role that keeps no schedule: 403; another centre's team: 404
    team = selectors.schedule_team_get(user, team_id)
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or timezone.localdate().isoformat())
    except ValueError as exc:
        raise Http404 from exc
    records = list(selectors.attendance_of_team(user, team, day, day))
    people = list(team.members.filter(is_active=True).order_by("name", "id"))
    return render(
        request,
        "workforce/scheduling/team_attendance.html",
        {
            "team": team, "day": day, "records": records, "people": people,
            "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
            "add_form": AttendanceAddForm(),
        },
    )  # fmt: skip


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


@login_required
def attendance_correct(request, record_id: int):
    user = request.user
    _require(_can_manage(user))
    record = selectors.attendance_record_get(user, record_id)
    initial = {
        "clock_in_at": timezone.localtime(record.clock_in_at),
        "clock_out_at": timezone.localtime(record.clock_out_at) if record.clock_out_at else None,
    }
    form = AttendanceCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.attendance_correct(
                actor=user, record=record, clock_in_at=_aware(data["clock_in_at"]),
                clock_out_at=_aware(data["clock_out_at"]), reason=data["reason"],
            )  # fmt: skip
        except DomainPermissionDenied as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Attendance corrected; the old times are kept."))
            team = record.worker.teams.filter(centre_id=record.centre_id).order_by("pk").first()
            if team is None:
                return redirect("schedule-home")
            day = timezone.localtime(record.clock_in_at).date().isoformat()
            return redirect(reverse("team-attendance", kwargs={"team_id": team.pk}) + f"?day={day}")
    return render(request, "workforce/scheduling/attendance_correct.html", {"record": record, "form": form})


@login_required
@require_POST
def attendance_add(request, team_id: int):
    user = request.user
    _require(_can_manage(user))  # a role that keeps no schedule: 403; another centre's team: 404
    team = selectors.schedule_team_get(user, team_id)
    form = AttendanceAddForm(request.POST)
    day = request.POST.get("day", "")
    if form.is_valid():
        data = form.cleaned_data
        worker = team.members.filter(pk=data["worker"]).first()
        if worker is None:
            raise Http404
        try:
            services.attendance_record_add(
                actor=user, worker=worker, clock_in_at=_aware(data["clock_in_at"]),
                clock_out_at=_aware(data["clock_out_at"]), reason=data["reason"],
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Attendance added; it is kept as a correction with your reason."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("team-attendance", kwargs={"team_id": team.pk}) + (f"?day={day}" if day else ""))


# --- Absences -------------------------------------------------------------------------------------


@login_required
def absence_list(request):
    """The person's own leave and a form to ask for more; for supervisors, the centre's
    requests with approve and refuse."""
    user = request.user
    form = AbsenceRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.absence_request(
                worker=user, kind=data["kind"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                days=data["days"], reason=data["reason"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Leave requested. Your supervisor will decide."))
            return redirect("absence-list")
    can_manage = _can_manage(user)
    return render(
        request,
        "workforce/scheduling/absences.html",
        {
            "form": form,
            "mine": list(selectors.absences_of(user)[:50]),
            "can_manage": can_manage,
            "to_decide": list(selectors.absences_visible_to(user).exclude(worker=user)[:100]) if can_manage else [],
            "decision_form": AbsenceDecisionForm(),
        },
    )


@login_required
@require_POST
def absence_decide(request, absence_id: int):
    user = request.user
    absence = selectors.absence_get(user, absence_id)
    form = AbsenceDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
        return redirect("absence-list")
    try:
        services.absence_decide(
            actor=user, absence=absence, approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainPermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision saved."))
    return redirect("absence-list")


@login_required
@require_POST
def absence_cancel(request, absence_id: int):
    absence = selectors.absences_of(request.user).filter(pk=absence_id).first()
    if absence is None:
        raise Http404
    try:
        services.absence_cancel(worker=request.user, absence=absence)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("absence-list")


# --- The monthly attendance report ----------------------------------------------------------------


def _report_of(request, team_id: int) -> report.AttendanceReport:
    _require(_can_manage(request.user))
    team = selectors.schedule_team_get(request.user, team_id)
    text = request.GET.get("month")
    if text:
        try:
            month = month_parse(text, field="month")
        except Exception as exc:  # ValidationError: an unreadable month is no page
            raise Http404 from exc
    else:
        month = timezone.localdate().replace(day=1)
    return report.attendance_report(team, month)


@login_required
def attendance_report(request, team_id: int):
    found = _report_of(request, team_id)
    previous = (found.month - dt.timedelta(days=1)).replace(day=1)
    following = (found.month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "workforce/scheduling/report.html",
        {"report": found, "previous_month": previous, "next_month": following},
    )


@login_required
def attendance_report_file(request, team_id: int, file_format: str):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    name, content_type, body = report.attendance_report_file(_report_of(request, team_id), file_format)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
