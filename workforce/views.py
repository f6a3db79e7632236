"""Server-rendered pages of the workforce app. Each view: check, call one selector or
service, render."""

import csv

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from aidou.auth_guard import PASSWORD, auth_guard_wait, client_address
from aidou.errors import Conflict, PermissionDenied
from workforce import policies, selectors, services
from workforce.auth_backends import login_account, login_guard_account
from workforce.forms import PasswordSetForm, RosterUploadForm, TeamForm, WorkerForm
from workforce.models import Role
from workforce.roster import HEADER_ALIASES


def _require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _apply_errors(form, exc: ValidationError) -> None:
    for field, field_messages in exc.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


class LoginView(auth_views.LoginView):
    """Django's login page, answering 429 with Retry-After, and a sentence saying how long to
    wait, while aidou.auth_guard holds this login and address (the backend refuses them too)."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        login = request.POST.get("username", "")
        account = login_guard_account(login_account(login), login) if login.strip() else None
        wait = account and auth_guard_wait(path=PASSWORD, account=account, address=client_address(request))
        if not wait:
            return super().post(request, *args, **kwargs)
        minutes = max(1, -(-wait // 60))
        refusal = ngettext(
            "Too many failed logins. Please wait %(minutes)d minute and try again.",
            "Too many failed logins. Please wait %(minutes)d minutes and try again.",
            minutes,
        ) % {"minutes": minutes}
        # An unbound form: a bound one would check the password (the backend refuses it anyway).
        form = self.get_form_class()(request, initial={"username": login})
        response = self.render_to_response(self.get_context_data(form=form, refusal=refusal), status=429)
        response["Retry-After"] = str(wait)
        return response


@login_required
def home(request):
    """One page per person: what each of their roles can do here."""
    user = request.user
    context = {"roles": sorted(user.roles), "role_labels": dict(Role.choices)}
    if policies.can_view_workers(user):
        centres = list(selectors.centre_list_with_counts(user))
        context["centres"] = centres
        context["centre_max"] = max((c.people_count for c in centres), default=0) or 1
    return render(request, "workforce/home.html", context)


@login_required
def worker_list(request):
    user = request.user
    _require(policies.can_view_workers(user))
    params = request.GET
    centre_id = params.get("centre") if params.get("centre", "").isdigit() else None
    team_id = params.get("team") if params.get("team", "").isdigit() else None
    role = params.get("role") if params.get("role") in Role.values else None
    active = params.get("active", "1") != "0"
    workers = selectors.worker_list(
        user, centre_id=centre_id, team_id=team_id, role=role, search=params.get("q"), active=active
    )
    page = Paginator(workers, 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "workforce/worker_list.html",
        {
            "page": page,
            "centres": selectors.centres_visible_to(user),
            "teams": selectors.teams_visible_to(user),
            "role_choices": Role.choices,
            "filters": {
                "centre": centre_id,
                "team": team_id,
                "role": role,
                "q": params.get("q", ""),
                "active": active,
            },
            "query": query.urlencode(),
            "can_edit": policies.can_edit_worker(user),
        },
    )


@login_required
def worker_detail(request, worker_id: int):
    worker = selectors.worker_get(request.user, worker_id)
    return render(
        request,
        "workforce/worker_detail.html",
        {
            "worker": worker,
            "can_edit": policies.can_edit_worker(request.user, worker),
            "can_set_password": policies.can_set_password(request.user, worker),
            "can_set_active": policies.can_set_active(request.user, worker),
            "can_reveal": policies.can_reveal_pii(request.user, worker),
            "password_form": PasswordSetForm(),
        },
    )


@login_required
@require_POST
def worker_reveal(request, worker_id: int):
    """HR's one view of the full ID number and bank account; each reveal is audited."""
    worker = selectors.worker_get(request.user, worker_id)
    try:
        revealed = services.worker_pii_reveal(
            actor=request.user, worker=worker, ip_address=request.META.get("REMOTE_ADDR")
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    response = render(
        request,
        "workforce/worker_detail.html",
        {
            "worker": worker,
            "revealed": revealed,
            "can_edit": policies.can_edit_worker(request.user, worker),
            "can_set_password": policies.can_set_password(request.user, worker),
            "can_set_active": policies.can_set_active(request.user, worker),
            "can_reveal": True,
            "password_form": PasswordSetForm(),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def worker_edit(request, worker_id: int | None = None):
    user = request.user
    worker = selectors.worker_get(user, worker_id) if worker_id else None
    _require(policies.can_edit_worker(user, worker))
    grantable = {role for role in Role.values if policies.can_assign_role(user, role)}
    if worker is not None and not policies.can_change_roles_of(user, worker):
        grantable = set()  # a peer's or a superior's roles (or one's own) are not ours to change
    form_options = {
        "centres": selectors.centres_visible_to(user),
        "teams": selectors.teams_visible_to(user),
        "grantable_roles": grantable,
        # Held roles the actor may not change stay as they are, shown but not editable.
        "kept_roles": frozenset(worker.roles - grantable) if worker is not None else frozenset(),
        "creating": worker is None,
    }
    if request.method == "POST":
        form = WorkerForm(request.POST, **form_options)
        if form.is_valid():
            try:
                saved = services.worker_save(actor=user, worker=worker, data=form.worker_data())
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
                return redirect("worker-detail", worker_id=saved.pk)
    else:
        initial = WorkerForm.initial_for(worker) if worker else {"centre": user.centre_id}
        form = WorkerForm(initial=initial, **form_options)
    return render(request, "workforce/worker_form.html", {"form": form, "worker": worker})


@login_required
@require_POST
def worker_password(request, worker_id: int):
    worker = selectors.worker_get(request.user, worker_id)
    _require(policies.can_edit_worker(request.user, worker))
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            validate_password(form.cleaned_data["password"], worker)
            services.worker_set_password(
                actor=request.user,
                worker=worker,
                password=form.cleaned_data["password"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except PermissionDenied as exc:  # at or above the actor's level
            raise DjangoPermissionDenied(exc.message) from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Password set. %(name)s can log in with it now.") % {"name": worker.name})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("worker-detail", worker_id=worker.pk)


@login_required
def worker_active(request, worker_id: int):
    """Mark as left (after a confirmation page: GET, or a POST without `confirmed`) or as
    active again (at once: nothing is lost by it)."""
    worker = selectors.worker_get(request.user, worker_id)
    _require(policies.can_edit_worker(request.user, worker))
    active = (request.POST if request.method == "POST" else request.GET).get("active") == "1"
    if not active and not (request.method == "POST" and request.POST.get("confirmed") == "1"):
        return render(
            request,
            "confirm.html",
            {
                "title": _("Mark %(name)s as left?") % {"name": worker.name or worker.username},
                "question": _(
                    "%(name)s will no longer be able to log in, gets no new work and leaves the lists of "
                    "current staff. Their work, pay and records are kept, and you can mark them as active again."
                )
                % {"name": worker.name or worker.username},
                "action": reverse("worker-active", args=[worker.pk]),
                "fields": {"active": "0"},
                "confirm_label": _("Yes, mark as left"),
                "cancel_url": reverse("worker-detail", args=[worker.pk]),
            },
        )
    try:
        services.worker_set_active(actor=request.user, worker=worker, active=active)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("%(name)s is marked as active again.") if active else _("%(name)s is marked as left."))
            % {"name": worker.name or worker.username},
        )
    return redirect("worker-detail", worker_id=worker.pk)


@login_required
def centre_list(request):
    return render(
        request,
        "workforce/centre_list.html",
        {"centres": selectors.centre_list_with_counts(request.user)},
    )


@login_required
def centre_detail(request, centre_id: int):
    user = request.user
    centre = selectors.centre_get(user, centre_id)
    can_manage = policies.can_manage_teams(user, centre.pk)
    _require(can_manage or request.method != "POST")
    form = TeamForm(request.POST or None, people=selectors.centre_people(centre)) if can_manage else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            team = services.team_create(
                actor=user,
                centre=centre,
                name=form.cleaned_data["name"],
                lead=form.cleaned_data["lead"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("centre-detail", centre_id=centre.pk)
    role_counts = selectors.centre_role_counts(centre)
    return render(
        request,
        "workforce/centre_detail.html",
        {
            "centre": centre,
            "teams": selectors.teams_visible_to(user).filter(centre=centre),
            "role_counts": [(label, role_counts.get(code, 0)) for code, label in Role.choices],
            "max_count": max(role_counts.values(), default=0) or 1,
            "form": form,
        },
    )


@login_required
def team_detail(request, team_id: int):
    """A team's members; for HR and managers of its centre, renaming it and its lead."""
    user = request.user
    team = selectors.team_get(user, team_id)
    can_manage = policies.can_manage_teams(user, team.centre_id)
    _require(can_manage or request.method != "POST")
    form = None
    if can_manage:
        people = selectors.centre_people(team.centre)
        initial = {"name": team.name, "lead": team.lead_id}
        form = TeamForm(request.POST or None, people=people, initial=initial, prefix="team")
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            team = services.team_update(
                actor=user, team=team, name=form.cleaned_data["name"], lead=form.cleaned_data["lead"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("team-detail", team_id=team.pk)
    return render(
        request,
        "workforce/team_detail.html",
        {
            "team": team,
            "members": selectors.team_members(team),
            "can_view_workers": policies.can_view_workers(user),
            "form": form,
        },
    )


@login_required
def team_delete(request, team_id: int):
    """Delete a team after a confirmation page; a team still in use is refused, saying why."""
    user = request.user
    team = selectors.team_get(user, team_id)
    _require(policies.can_manage_teams(user, team.centre_id))
    refusal = services.team_delete_refusal(team)
    if refusal:
        messages.error(request, refusal)
        return redirect("team-detail", team_id=team.pk)
    if request.method != "POST" or request.POST.get("confirmed") != "1":
        return render(
            request,
            "confirm.html",
            {
                "title": _("Delete the team %(name)s?") % {"name": team.name},
                "question": _("The team has no members and no batch or roster names it. This cannot be undone."),
                "action": reverse("team-delete", args=[team.pk]),
                "fields": {},
                "confirm_label": _("Yes, delete the team"),
                "cancel_url": reverse("team-detail", args=[team.pk]),
            },
        )
    try:
        services.team_delete(actor=user, team=team)
    except Conflict as exc:  # someone joined it meanwhile
        messages.error(request, exc.message)
        return redirect("team-detail", team_id=team.pk)
    messages.success(request, _("Team %(name)s deleted.") % {"name": team.name})
    return redirect("centre-detail", centre_id=team.centre_id)


@login_required
def roster_import(request):
    user = request.user
    _require(policies.can_import_roster(user))
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.roster_import_start(
                actor=user,
                upload=form.cleaned_data["file"],
                initial_password=form.cleaned_data["initial_password"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("roster-import-detail", job_id=job.pk)
    return render(
        request,
        "workforce/roster_import.html",
        {"form": form, "jobs": selectors.roster_imports_visible_to(user)[:20]},
    )


@login_required
def roster_import_detail(request, job_id: int):
    job = selectors.roster_import_get(request.user, job_id)
    return render(request, "workforce/roster_import_detail.html", {"job": job})


@login_required
@require_POST
def roster_import_retry(request, job_id: int):
    job = selectors.roster_import_get(request.user, job_id)
    try:
        services.roster_import_retry(actor=request.user, job=job)
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("roster-import-detail", job_id=job.pk)


@login_required
def roster_template(request):
    """A CSV with the expected columns (the header row only), for HR to fill in Excel."""
    _require(policies.can_import_roster(request.user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    fields = ["name", "mobile", "id_number", "gender", "birth_date", "centre", "team", "roles",
              "employment_type", "education", "hire_date", "bank_name", "bank_account"]  # fmt: skip
    writer.writerow([HEADER_ALIASES[field][0] for field in fields])
    return response  # header only: an example row would be imported as a real person
