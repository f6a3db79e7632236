"""Reviewers' pages: the batches with work waiting, and one batch's review screen (the
work drawn over its image, why it was sampled, accept or send back with reasons)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound
from annotation import policies, selectors
from annotation.quality.sampling import SamplingPolicy
from annotation.services.reviews import review_decide
from annotation.views.drawing import drawing, label_colours

# Decisions the page offers; a fix needs an editor and goes through the API for now.
PAGE_DECISIONS = ("accept", "reject")


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
    return render(request, "annotation/review_home.html", {"batches": selectors.review_queue_counts(actor)})


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


def _screen(request, batch, queue, current, *, error=None, chosen=(), comment="", status=200):
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
    if not annotation_id.isdigit():
        raise Http404
    after = f"{reverse('review-batch', args=[batch.pk])}?after={annotation_id}"
    decision = request.POST.get("decision", "")
    reasons = request.POST.getlist("reasons")
    comment = request.POST.get("comment", "")
    try:
        if decision not in PAGE_DECISIONS:
            raise DomainError(_("Accept it or send it back."), field="decision")
        review_decide(reviewer=actor, annotation_id=annotation_id, decision=decision, reasons=reasons, comment=comment)
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.warning(request, exc.message)
        return redirect(after)
    except DomainError as exc:
        current = queue.filter(pk=int(annotation_id)).first()
        if current is None:  # decided meanwhile: on to the next
            return redirect(after)
        return _screen(request, batch, queue, current, error=exc, chosen=reasons, comment=comment)
    if decision == "accept":
        messages.success(request, _("Accepted."))
    else:
        messages.success(request, _("Sent back for rework."))
    return redirect(after)
