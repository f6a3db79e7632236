"""Supervisors' quality dashboard: per project, the last recomputation's figures (per
annotator, batch and label, the confusion matrix, outliers flagged), the weekly trend,
a button to recompute with a progress bar, and the annotators' table as CSV."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from annotation import policies, selectors
from annotation.services.quality import quality_recompute_start
from annotation.views.charts import score_line_chart

FLAG_NAMES = {
    "too_fast": gettext_lazy("too fast"),
    "low_agreement": gettext_lazy("low agreement"),
    "falling": gettext_lazy("falling quality"),
}


def _staff(request):
    if not policies.can_view_batches(request.user):
        raise Http404
    return request.user


def _interval_bar(low: float, high: float) -> dict:
    """Where an interval's bar starts and how wide it is, in percent of 0..1."""
    return {"left": round(100 * low), "width": max(1, round(100 * (high - low)))}


@login_required
def quality_home(request):
    actor = _staff(request)
    people = selectors.quality_overall_by_annotator(actor)
    for person in people:
        person["bar"] = _interval_bar(*person["interval"])
    return render(
        request, "annotation/quality_home.html", {"projects": selectors.quality_projects_for(actor), "people": people}
    )


def _confusion_rows(confusion: dict) -> list[dict]:
    """Rows of the matrix with each cell's share of its row, for shading."""
    rows = []
    for label, counts in zip(confusion.get("labels", []), confusion.get("matrix", []), strict=True):
        total = sum(counts) or 1
        rows.append(
            {"label": label, "cells": [{"n": n, "share": round(n / total, 2), "diagonal": j == len(rows)}
                                       for j, n in enumerate(counts)], "total": sum(counts)}
        )  # fmt: skip
    return rows


def _trend_chart(actor, project, annotator_id):
    project_trend = selectors.quality_trend(actor, project)
    person_trend = selectors.quality_trend(actor, project, annotator_id=annotator_id) if annotator_id else []
    weeks = sorted({row["week"] for row in project_trend} | {row["week"] for row in person_trend})
    labels = [week.strftime("%m-%d") for week in weeks]
    by_week = {row["week"]: row["score"] for row in project_trend}
    series = [{"name": _("Everyone"), "colour": "#607080", "values": [by_week.get(w) for w in weeks]}]
    if annotator_id:
        mine = {row["week"]: row["score"] for row in person_trend}
        series.append({"name": _("Selected annotator"), "colour": "#c0392b", "values": [mine.get(w) for w in weeks]})
    return score_line_chart(series, labels), project_trend, person_trend


@login_required
def quality_project(request, project_id: int):
    actor = _staff(request)
    project = selectors.quality_dashboard_project_get(actor, project_id)
    job = selectors.quality_last_job(project)
    finished = selectors.quality_last_finished_job(project)
    snapshots = selectors.quality_snapshots(actor, finished) if finished else []
    for snapshot in snapshots:
        snapshot.flag_names = [FLAG_NAMES.get(flag, flag) for flag in snapshot.flags]
        if snapshot.low is not None and snapshot.high is not None:
            snapshot.bar = _interval_bar(snapshot.low, snapshot.high)
    wanted = request.GET.get("annotator", "")
    selected = next((s for s in snapshots if str(s.annotator_id) == wanted), None)
    chart, project_trend, person_trend = _trend_chart(actor, project, selected.annotator_id if selected else None)
    summary = finished.summary if finished else {}
    return render(
        request,
        "annotation/quality_project.html",
        {
            "project": project,
            "job": job,
            "finished": finished,
            "summary": summary,
            "snapshots": snapshots,
            "selected": selected,
            "history": selectors.quality_snapshot_history(project, selected.annotator_id) if selected else [],
            "chart": chart,
            "project_trend": project_trend,
            "person_trend": person_trend,
            "shape_confusion": _confusion_rows(summary.get("shape_confusion", {})),
            "class_confusion": _confusion_rows(summary.get("class_confusion", {})),
            "can_recompute": policies.can_manage_batches(actor),
        },
    )


@login_required
@require_POST
def quality_recompute(request, project_id: int):
    actor = _staff(request)
    if not policies.can_manage_batches(actor):
        raise Http404
    project = selectors.quality_dashboard_project_get(actor, project_id)
    quality_recompute_start(project=project, created_by=actor)
    messages.success(request, _("Recomputation started. This page follows its progress."))
    return redirect("quality-project", project_id=project.pk)


CSV_COLUMNS = ("annotator_id", "name", "score", "low", "high", "observations", "reviewed", "acceptance_rate",
               "gold_n", "gold_f1", "agreement", "agreement_n", "class_accuracy", "items", "median_seconds",
               "flags", "taken_at")  # fmt: skip


@login_required
def quality_csv(request, project_id: int):
    actor = _staff(request)
    project = selectors.quality_dashboard_project_get(actor, project_id)
    finished = selectors.quality_last_finished_job(project)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-quality.csv"'
    response.write("\ufeff")  # so Excel reads the Chinese names as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for s in selectors.quality_snapshots(actor, finished) if finished else []:
        writer.writerow(
            [s.annotator_id, s.annotator.name or s.annotator.username, s.score, s.low, s.high, s.observations,
             s.reviewed, s.acceptance_rate, s.gold_n, s.gold_f1, s.agreement, s.agreement_n, s.class_accuracy,
             s.items, s.median_seconds, " ".join(s.flags), s.taken_at.isoformat()]
        )  # fmt: skip
    return response
