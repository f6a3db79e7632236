"""Supervisors' gold pages: a project's gold items (their answer drawn over the image, in
use or retired, how the annotators scored on them) with Retire; the items that may become
gold, made gold with the consensus of their accepted work or with an answer drawn in the
workbench's editor. Supervisors, centre managers and network admins of a centre with a
batch of the project; anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation import policies, selectors
from annotation.models import GoldAnswer
from annotation.schema import SchemaError, clean_annotation
from annotation.services.gold import gold_mark, gold_retire
from annotation.views.drawing import drawing, label_colours
from annotation.views.reviews import editor_config, fixed_from, schema_error_message

CANDIDATES_PER_PAGE = 25


def _manager(request):
    # Reviewers and annotators: the pages do not exist for them.
    if not policies.can_manage_batches(request.user):
        raise Http404
    return request.user


def _item_of(project, item_id):
    item = selectors.items_of_project(project).filter(pk=item_id).first() if str(item_id).isdigit() else None
    if item is None:
        raise Http404
    return item


def _status_of(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    return 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 400


@login_required
def gold_list(request, project_id: int):
    actor = _manager(request)
    project = selectors.quality_project_get(actor, project_id)
    if request.method != "POST":
        return _page(request, actor, project)

    action = request.POST.get("action", "")
    item = _item_of(project, request.POST.get("item", ""))
    back = reverse("gold-list", args=[project.pk])
    page = request.POST.get("page", "")
    if page.isdigit():
        back = f"{back}?page={page}"
    try:
        if action == "mark":
            gold_mark(actor, item_id=item.pk)  # no answer: the consensus of the accepted work
            messages.success(
                request, _("%(file)s is gold now, with the answer of its accepted work.") % {"file": item.file_name}
            )
        elif action == "retire":
            gold_retire(actor, item_id=item.pk)
            messages.success(request, _("%(file)s is no longer used as gold.") % {"file": item.file_name})
        else:
            raise DomainError(_("Mark an item gold or retire one."), field="action")
    except DomainError as exc:
        error = _("%(file)s: %(reason)s") % {"file": item.file_name, "reason": exc.message}
        return _page(request, actor, project, error=error, status=_status_of(exc))
    return redirect(back)


def _page(request, actor, project, *, error: str | None = None, status: int = 200):
    colours = label_colours(project)
    golds = [
        {
            "gold": gold,
            "drawing": drawing(gold.shapes, colours, width=gold.item.width, height=gold.item.height),
            "svg_id": f"gold-svg-{gold.item_id}",
        }
        for gold in selectors.gold_items_of(actor, project)
    ]
    candidates = Paginator(selectors.gold_candidates(actor, project), CANDIDATES_PER_PAGE).get_page(
        request.GET.get("page") or request.POST.get("page")
    )
    context = {
        "project": project,
        "golds": golds,
        "candidates": candidates,
        "gold_percent": round(100 * project.gold_rate),
        "error": error,
    }
    return render(request, "annotation/gold_list.html", context, status=status)


@login_required
def gold_draw(request, project_id: int, item_id: int):
    """The answer of one item drawn in the editor, starting from its gold answer, else the
    consensus of its accepted work, else nothing; Enter saves it, Esc goes back."""
    actor = _manager(request)
    project = selectors.quality_project_get(actor, project_id)
    item = _item_of(project, item_id)
    back = reverse("gold-list", args=[project.pk])
    error, errors, start, status = None, None, None, 200
    if request.method == "POST":
        try:
            start = fixed_from(request.POST.get("answer", ""))
            try:  # every refusal by shape for the editor; gold_mark judges it again
                clean_annotation(start, project.label_schema, width=item.width, height=item.height)
            except SchemaError as exc:
                errors = exc.errors
                raise DomainError(schema_error_message(exc.errors), field="answer") from exc
            gold_mark(actor, item_id=item.pk, answer=start)
        except DomainError as exc:
            error, status = exc.message, _status_of(exc)
        else:
            messages.success(request, _("%(file)s is gold now, with the answer you drew.") % {"file": item.file_name})
            return redirect(back)
    if start is None:
        gold = GoldAnswer.objects.filter(item=item).first()
        if gold is not None:
            start = gold.as_api()
        else:
            start = selectors.item_labels_for_export(item, only_accepted=True, project=project) or {
                "shapes": [],
                "class": None,
            }
    context = {
        "project": project,
        "item": item,
        "error": error,
        "editing": True,
        "overlay": False,
        "editor_title": _("Draw the gold answer"),
        "save_label": _("Save the gold answer"),
        "save_help": _("Save the answer and go back to the gold items (closes a polygon being drawn)"),
        "config": editor_config(
            item,
            project,
            start=start,
            form="gold-form",
            field="answer",
            errors=errors,
            open=True,
            leave=back,
            title=f"{project.name} · {item.file_name}",
        ),
    }
    return render(request, "annotation/gold_draw.html", context, status=status)
