"""Reviewers' pages: the batches with work waiting, and one batch's review screen (the
work drawn over its image, why it was sampled, accept, send back with reasons, or fix it
in the workbench's editor)."""

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation import policies, selectors
from annotation.quality.sampling import SamplingPolicy
from annotation.schema import SchemaError, clean_annotation
from annotation.services.reviews import review_decide
from annotation.views.drawing import drawing, label_colours

# Decisions the page offers; a fix is drawn in the editor (static/js/workbench.js), so
# without JavaScript the page offers the other two.
PAGE_DECISIONS = ("accept", "reject", "fix")


def _reviewer(request):
    # Not a reviewer: the pages do not exist for them (as a foreign batch does not).
    if not policies.can_review(request.user):
        raise Http404
    return request.user


def sampling_facts(sampling: dict) -> dict | None:
    """Why the work was picked for review, as numbers the template puts into words."""
    reason = (sampling or {}).get("reason")
    if reason not in ("new", "quality_below_target", "proven"):
        return None
    policy = SamplingPolicy()
    return {
        "reason": reason,
        "percent": round(100 * float(sampling.get("rate") or 0)),
        "observations": sampling.get("observations") or 0,
        "needed": policy.min_observations,
        "score": sampling.get("score"),
        "low": sampling.get("low"),
        "high": sampling.get("high"),
        "target": policy.target,
    }


@login_required
def review_home(request):
    actor = _reviewer(request)
    context = {
        "batches": selectors.review_queue_counts(actor),
        # Supervisors look after the gold items of their projects from here.
        "gold_projects": list(selectors.gold_projects_for(actor)) if policies.can_manage_batches(actor) else [],
    }
    return render(request, "annotation/review_home.html", context)


def _pick(queue, request):
    """The annotation to show: `?annotation=<id>` (404 unless queued in this batch), else
    the first queued after `?after=<id>`, else the oldest."""
    wanted = request.GET.get("annotation")
    if wanted is not None:
        current = queue.filter(pk=int(wanted)).first() if wanted.isdigit() else None
        if current is None:
            raise Http404
        return current
    after = request.GET.get("after", "")
    current = queue.filter(pk__gt=int(after)).first() if after.isdigit() else None
    return current or queue.first()


def editor_config(item, project, *, start: dict, form: str, field: str, **edit) -> dict:
    """What static/js/workbench.js needs to edit one annotation of `item` (`start`:
    `{"shapes", "class"}`) and post it as JSON in `field` of the page's form `form`; `edit`
    adds `fields` (posted beside it), `errors` (the server's, by shape), `open` (at once),
    `leave` (where Esc goes; none: back to the page under the editor), `batch` or `title`
    (the status line)."""
    return {
        "edit": {
            "id": item.pk,
            "item": {
                "id": item.pk,
                "image_url": reverse("item-image", args=[item.pk]),
                "width": item.width,
                "height": item.height,
            },
            "project": {
                "id": project.pk,
                "name": project.name,
                "label_schema": project.label_schema,
                "instructions": project.instructions,
            },
            "prefill": start,
            "form": form,
            "field": field,
            **edit,
        }
    }


def fixed_from(text: str) -> dict:
    """The editor's JSON text field as `{"shapes", "class"}`; a DomainError on `fixed` when
    it is not one (the shapes themselves are judged by annotation.schema)."""
    try:
        fixed = json.loads(text)
    except (ValueError, RecursionError) as exc:  # too deep a nesting is bad input, not a 500
        raise DomainError(_('A fix is {"shapes": [...], "class": ...}.'), field="fixed") from exc
    if not isinstance(fixed, dict):
        raise DomainError(_('A fix is {"shapes": [...], "class": ...}.'), field="fixed")
    return fixed


def schema_error_message(errors: dict[str, list[str]]) -> str:
    """The first thing wrong, naming the shape (numbered from 1, as the editor lists them)."""
    field, reasons = next(iter(errors.items()))
    shape = re.match(r"shapes\[(\d+)\]", field)
    if shape:
        return _("Shape %(n)d: %(reason)s") % {"n": int(shape.group(1)) + 1, "reason": reasons[0]}
    return reasons[0]


def _screen(request, batch, queue, current, *, error=None, chosen=(), comment="", fix=None, status=200):
    """The review screen. `fix`: the reviewer's fix that was refused, `{"start", "errors",
    "open"}`, so the editor opens with it again instead of the annotator's work."""
    waiting = queue.count()
    context = {"batch": batch, "waiting": waiting, "annotation": current}
    if current is not None:
        project = batch.project
        item = current.item
        colours = label_colours(project)
        context.update(
            item=item,
            drawing=drawing(current.shapes, colours, width=item.width, height=item.height),
            sampling=sampling_facts(current.sampling),
            reasons=[
                {"text": text, "key": index + 1 if index < 9 else None, "checked": text in chosen}
                for index, text in enumerate(project.reject_reasons)
            ],
            comment=comment,
            error=error,
            next_url=f"{reverse('review-batch', args=[batch.pk])}?after={current.pk}" if waiting > 1 else None,
            editing=True,
            overlay=True,
            editor_title=_("Fix the annotation"),
            save_label=_("Save the fix"),
            save_help=_("Save the fix and go to the next work (closes a polygon being drawn)"),
            config=editor_config(
                item,
                project,
                start=fix["start"] if fix else current.as_api(),
                form="review-form",
                field="fixed",
                fields={"decision": "fix"},
                errors=fix["errors"] if fix else None,
                open=bool(fix and fix["open"]),
                batch={"name": batch.name},
            ),
        )
    return render(request, "annotation/review_batch.html", context, status=status)


@login_required
def review_batch(request, batch_id: int):
    actor = _reviewer(request)
    batch = selectors.batch_get(actor, batch_id)
    queue = selectors.review_queue(actor, batch_id=batch.pk)
    if request.method != "POST":
        return _screen(request, batch, queue, _pick(queue, request))

    annotation_id = request.POST.get("annotation", "")
    if not annotation_id.isdigit() or not selectors.batch_has_annotation(batch, int(annotation_id)):
        raise Http404  # this screen decides this batch's work only
    after = f"{reverse('review-batch', args=[batch.pk])}?after={annotation_id}"
    decision = request.POST.get("decision", "")
    reasons = request.POST.getlist("reasons")
    comment = request.POST.get("comment", "")
    fixed, fix = None, None
    try:
        if decision not in PAGE_DECISIONS:
            raise DomainError(_("Accept it or send it back."), field="decision")
        if decision == "fix":
            fixed = fixed_from(request.POST.get("fixed", ""))
            fix = {"start": fixed, "errors": None, "open": False}
            _judge_fix(fixed, queue.filter(pk=int(annotation_id)).first(), fix)
        review_decide(
            reviewer=actor,
            annotation_id=annotation_id,
            decision=decision,
            reasons=reasons,
            comment=comment,
            fixed=fixed,
        )
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:  # one's own work: the 403 page says why
        raise DjangoPermissionDenied(exc.message) from exc
    except Conflict as exc:
        messages.warning(request, exc.message)
        return redirect(after)
    except DomainError as exc:
        current = queue.filter(pk=int(annotation_id)).first()
        if current is None:  # decided meanwhile: on to the next
            return redirect(after)
        if fix is not None and exc.field == "fixed":
            fix["open"] = True  # back into the editor, the refused shapes marked
        status = 400 if decision == "fix" else 200
        return _screen(
            request, batch, queue, current, error=exc, chosen=reasons, comment=comment, fix=fix, status=status
        )
    if decision == "accept":
        messages.success(request, _("Accepted."))
    elif decision == "fix":
        messages.success(request, _("Fixed."))
    else:
        messages.success(request, _("Sent back for rework."))
    return redirect(after)


def _judge_fix(fixed: dict, current, fix: dict) -> None:
    """Judge the fixed shapes as a submission is judged, before the service does it again,
    to keep every refusal by shape for the editor (the service reports the first only).
    Work no longer queued here is left to the service: 404 or the 409 path."""
    if current is None:
        return
    item = current.item
    try:
        clean_annotation(fixed, current.assignment.batch.project.label_schema, width=item.width, height=item.height)
    except SchemaError as exc:
        fix["errors"] = exc.errors
        raise DomainError(schema_error_message(exc.errors), field="fixed") from exc
