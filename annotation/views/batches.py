"""Supervisors' batch pages: list with progress, cut a batch, a batch's page with
per-annotator counts, reassign, pause, resume, close."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidou.errors import DomainError
from annotation import policies, selectors
from annotation.forms import BatchAssigneesForm, BatchForm
from annotation.services import assignments as engine
from annotation.services import batches as batch_services
from workforce import selectors as workforce_selectors
from workforce.models import Role


def _viewer(request):
    if not policies.can_view_batches(request.user):
        raise PermissionDenied
    return request.user


def _manager(request):
    if not policies.can_manage_batches(request.user):
        raise PermissionDenied
    return request.user


def _assignable(actor):
    teams = workforce_selectors.teams_visible_to(actor).select_related("centre")
    annotators = (
        workforce_selectors.workers_visible_to(actor)
        .filter(is_active=True, role_grants__role=Role.ANNOTATOR)
        .distinct()
        .order_by("name_sort", "id")  # pinyin order
    )
    return teams, annotators


@login_required
def batch_list(request):
    actor = _viewer(request)
    batches = list(selectors.batch_list_with_progress(actor)[:200])
    for batch in batches:
        batch.percent = round(100 * batch.slots_done / batch.slots) if batch.slots else 0
    return render(
        request,
        "annotation/batch_list.html",
        {"batches": batches, "can_manage": policies.can_manage_batches(actor)},
    )


@login_required
def batch_create_view(request):
    actor = _manager(request)
    teams, annotators = _assignable(actor)
    form = BatchForm(
        request.POST or None,
        projects=selectors.projects_for_batching(actor),
        teams=teams,
        annotators=annotators,
        initial={"project": request.GET.get("project")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = batch_services.batch_create(
                actor=actor,
                project=data["project"],
                choice=batch_services.ItemChoice(
                    size=None if data["items"] else data["size"],
                    items=data["items"],
                    file_name=data["file_name"] or None,
                ),
                assignees=batch_services.Assignees(
                    teams=[t.pk for t in data["teams"]], annotators=[p.pk for p in data["annotators"]]
                ),
                name=data["name"],
                priority=data["priority"],
                due=data["due"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Batch “%(name)s” is open.") % {"name": batch.name})
            return redirect("batch-detail", batch.pk)
    return render(request, "annotation/batch_form.html", {"form": form})


@login_required
def batch_detail(request, batch_id: int):
    actor = _viewer(request)
    batch = selectors.batch_get(actor, batch_id)
    teams, annotators = _assignable(actor)
    people = selectors.batch_annotator_counts(batch)
    return render(
        request,
        "annotation/batch_detail.html",
        {
            "batch": batch,
            "progress": selectors.batch_progress(batch),
            "people": people,
            "people_max": max((p["submitted"] for p in people), default=0) or 1,
            "can_manage": policies.can_manage_batches(actor),
            "assignees_form": BatchAssigneesForm(
                teams=teams,
                annotators=annotators,
                initial={"teams": batch.teams.all(), "annotators": batch.annotators.all()},
            ),
        },
    )


@login_required
@require_POST
def batch_status_view(request, batch_id: int):
    actor = _manager(request)
    batch = selectors.batch_get(actor, batch_id)
    action = request.POST.get("action")
    try:
        if action in ("pause", "resume", "close"):
            batch_services.batch_set_status(actor=actor, batch=batch, action=action)
        elif action == "release" and request.POST.get("annotator", "").isdigit():
            released = engine.leases_release(batch=batch, annotator_id=int(request.POST["annotator"]))
            messages.success(request, _("%(n)d images went back to the pool.") % {"n": released})
        else:
            raise PermissionDenied
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("batch-detail", batch.pk)


@login_required
@require_POST
def batch_assignees_view(request, batch_id: int):
    actor = _manager(request)
    batch = selectors.batch_get(actor, batch_id)
    teams, annotators = _assignable(actor)
    form = BatchAssigneesForm(request.POST, teams=teams, annotators=annotators)
    if form.is_valid():
        try:
            batch_services.batch_update(
                actor=actor,
                batch=batch,
                assignees=batch_services.Assignees(
                    teams=[t.pk for t in form.cleaned_data["teams"]],
                    annotators=[p.pk for p in form.cleaned_data["annotators"]],
                ),
                release_leases=form.cleaned_data["release_leases"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The batch now goes to the people you chose."))
    else:
        messages.error(request, _("Choose teams or annotators from the lists."))
    return redirect("batch-detail", batch.pk)
