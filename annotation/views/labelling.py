"""The annotator's pages: home (counts, time worked, recent work) and the workbench."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from annotation import policies, selectors
from annotation.views.drawing import drawing, label_colours
from workforce.pay import selectors as pay_selectors


def _annotator(request):
    if not policies.can_label(request.user):
        raise PermissionDenied
    return request.user


@login_required
def annotator_home(request):
    annotator = _annotator(request)
    quality = selectors.own_quality(annotator)
    open_batches = selectors.open_batches_for(annotator)
    # What each open batch pays, before they take its work (the rates in force at their centre).
    rates = pay_selectors.piece_rates_shown(
        centre_id=annotator.centre_id, project_ids={batch["project_id"] for batch in open_batches}
    )
    return render(
        request,
        "annotation/annotator_home.html",
        {
            "stats": selectors.annotator_stats(annotator),
            "recent": selectors.annotator_recent_work(annotator, limit=20),
            "open_batches": len(open_batches),
            "batch_rates": [{"batch": batch, "rates": rates.get(batch["project_id"], [])} for batch in open_batches],
            "quality": quality,
            "quality_overall": selectors.quality_overall(quality),
            "rejections": selectors.rejections_of(annotator)[:20],
            "missed_gold": [_gold_comparison(result) for result in selectors.missed_gold_of(annotator)],
        },
    )


def _gold_comparison(result) -> dict:
    """A missed gold item: the true answer and what the annotator drew, ready to draw."""
    item = result.annotation.item
    colours = label_colours(item.project)
    size = {"width": item.width, "height": item.height}
    return {
        "result": result,
        "item": item,
        "truth": drawing(result.gold.shapes, colours, **size),
        "theirs": drawing(result.annotation.shapes, colours, **size),
        "truth_id": f"gold-truth-{result.pk}",
        "theirs_id": f"gold-mine-{result.pk}",
    }


@login_required
def workbench(request):
    _annotator(request)
    config = {
        "api": {
            "next": reverse("assignment-next"),
            # "{id}" is replaced by the assignment id in the browser.
            "submit": reverse("assignment-submit", args=[0]).replace("/0/", "/{id}/"),
            "skip": reverse("assignment-skip", args=[0]).replace("/0/", "/{id}/"),
            "heartbeat": reverse("assignment-heartbeat", args=[0]).replace("/0/", "/{id}/"),
        },
        "home": reverse("annotator-home"),
        "heartbeat_seconds": 15,
        "idle_seconds": settings.WORKBENCH_IDLE_CUTOFF_SECONDS,
        "user": request.user.pk,
        # The lease's deadline is shown in the centre's zone, as every other page's times.
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "annotation/workbench.html", {"config": config})
