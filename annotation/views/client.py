"""Client pages: projects with progress, imports with per-file errors, exports, API keys."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from annotation import selectors
from annotation.forms import ApiKeyForm, ExportForm, ImportForm, WebhookForm
from annotation.principals import client_organisation_id
from annotation.services import imports as import_services
from annotation.services.api_keys import api_key_create, api_key_revoke
from annotation.services.exports import export_start
from annotation.services.webhooks import webhook_create, webhook_delete


def _client(request):
    if client_organisation_id(request.user) is None:
        raise PermissionDenied
    return selectors.organisation_of(request.user)


@login_required
def project_list(request):
    organisation = _client(request)
    projects = list(selectors.project_list_with_progress(request.user))
    for project in projects:
        project.percent = int(100 * project.done_count / project.item_count) if project.item_count else 0
    return render(request, "annotation/project_list.html", {"organisation": organisation, "projects": projects})


@login_required
def project_detail(request, project_id: int):
    _client(request)
    project = selectors.project_get(request.user, project_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_services.import_start(
                project=project,
                files=form.cleaned_data["files"],
                annotations=form.cleaned_data.get("annotations"),
                created_by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return redirect("client-import-detail", job_id=job.pk)
    progress = selectors.project_progress(project)
    progress["percent"] = int(100 * progress["done"] / progress["items"]) if progress["items"] else 0
    return render(
        request,
        "annotation/project_detail.html",
        {
            "project": project,
            "progress": progress,
            "imports": selectors.imports_visible_to(request.user).filter(project=project)[:10],
            "exports": selectors.exports_visible_to(request.user).filter(project=project)[:10],
            "form": form,
            "export_form": ExportForm(),
        },
    )


@login_required
@require_POST
def project_export(request, project_id: int):
    """Start an export from the project page; it appears in the list with a download button."""
    _client(request)
    project = selectors.project_get(request.user, project_id)
    form = ExportForm(request.POST)
    if form.is_valid():
        export_start(
            project=project,
            format=form.cleaned_data["format"],
            only_accepted=form.cleaned_data["only_accepted"],
            created_by=request.user,
        )
        messages.success(request, _("Export started. It appears below; download it when it has finished."))
    return redirect("client-project-detail", project_id=project.pk)


@login_required
def webhooks(request):
    """The organisation's webhooks with their latest deliveries, and a form for a new one."""
    organisation = _client(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_create(organisation=organisation, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Webhook added."))
            return redirect("client-webhooks")
    hooks = selectors.webhooks_with_recent_deliveries(request.user)
    return render(request, "annotation/webhooks.html", {"organisation": organisation, "webhooks": hooks, "form": form})


@login_required
@require_POST
def webhook_delete_view(request, webhook_id: int):
    _client(request)
    webhook_delete(webhook=selectors.webhook_get(request.user, webhook_id))
    messages.success(request, _("Webhook removed."))
    return redirect("client-webhooks")


@login_required
def import_detail(request, job_id: int):
    _client(request)
    job = selectors.import_get(request.user, job_id)
    return render(request, "annotation/import_detail.html", {"job": job})


@login_required
def api_keys(request):
    organisation = _client(request)
    form = ApiKeyForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _, new_secret = api_key_create(
            organisation=organisation, name=form.cleaned_data["name"], created_by=request.user
        )
        form = ApiKeyForm()
    response = render(
        request,
        "annotation/api_keys.html",
        {
            "organisation": organisation,
            "keys": selectors.api_keys_of(request.user),
            "form": form,
            "new_secret": new_secret,
        },
    )
    response["Cache-Control"] = "no-store"  # the page may hold a key shown once
    return response


@login_required
@require_POST
def api_key_revoke_view(request, key_id: int):
    _client(request)
    api_key = get_object_or_404(selectors.api_keys_of(request.user), pk=key_id)
    api_key_revoke(api_key=api_key)
    messages.success(request, _("Key “%(name)s” revoked: calls with it now get 401.") % {"name": api_key.name})
    return redirect("client-api-keys")
