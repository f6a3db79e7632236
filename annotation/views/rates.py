"""Piece rates per project, set by a centre's supervisors. The rates are workforce's (the
money side); the projects are ours, so the page lives here and calls workforce's service."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidou.errors import DomainError
from annotation import selectors
from workforce import policies as workforce_policies
from workforce import selectors as workforce_selectors
from workforce.models import WorkUnit
from workforce.pay import selectors as pay_selectors
from workforce.pay import services as pay_services


class RatesForm(forms.Form):
    """One field per unit of work (yuan, up to 4 decimals; blank leaves it as it is) and
    the moment the new rates start."""

    effective_from = forms.DateTimeField(
        label=gettext_lazy("In force from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Leave empty for now."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for unit, label in WorkUnit.choices:
            self.fields[f"rate_{unit}"] = forms.CharField(label=label, required=False, max_length=20)


def _rate_setter(request):
    actor = request.user
    # Rates are a centre's: a network admin without one sets them from a centre's login.
    if actor.centre_id is None or not workforce_policies.can_set_piece_rates(actor, actor.centre_id):
        raise PermissionDenied
    return actor


@login_required
def piece_rates(request):
    """Every active project with the rates in force at the supervisor's centre, and the
    history of each (newest first)."""
    actor = _rate_setter(request)
    projects = list(selectors.projects_for_batching(actor)[:200])
    current = pay_selectors.piece_rates_shown(centre_id=actor.centre_id, project_ids=[p.pk for p in projects])
    history: dict[int, list] = {}
    for row in pay_selectors.piece_rates_of_centre(actor.centre_id)[:1000]:
        history.setdefault(row.project_id, []).append(row)
    rows = [
        {"project": project, "rates": current.get(project.pk, []), "history": history.get(project.pk, [])[:12]}
        for project in projects
    ]
    return render(request, "annotation/piece_rates.html", {"rows": rows, "units": WorkUnit})


@login_required
@require_POST
def piece_rates_set(request, project_id: int):
    actor = _rate_setter(request)
    project = selectors.projects_for_batching(actor).filter(pk=project_id).first()
    if project is None:
        raise PermissionDenied
    form = RatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("piece-rates")
    moment = form.cleaned_data["effective_from"]
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        written = pay_services.piece_rates_set(
            actor=actor,
            centre=workforce_selectors.centre_get(actor, actor.centre_id),
            project_id=project.pk,
            project_name=project.name,
            rates={unit: form.cleaned_data[f"rate_{unit}"] for unit in WorkUnit.values},
            effective_from=moment,
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("piece-rates")
    if written:
        messages.success(request, _("New rates of %(project)s saved.") % {"project": project.name})
    else:
        messages.info(request, _("Nothing changed: the rates given are the ones in force."))
    return redirect("piece-rates")
