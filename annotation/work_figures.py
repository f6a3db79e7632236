"""The annotation app's answers to `workforce.work_figures`: figures about people's work
that only this app can measure, for pay and the fairness view (workforce imports nothing
of ours; we register this when Django starts).

Work counts are answered here; active time and quality are still answered empty by the
port's defaults until their implementations are registered beside them."""

import datetime as dt
from collections.abc import Collection

from django.db.models import Count, Q

from annotation.models import Annotation, Assignment
from workforce.work_figures import _NoFigures

ACCEPTED = (Annotation.Review.ACCEPTED, Annotation.Review.FIXED, Annotation.Review.NOT_SAMPLED)


class AnnotationWorkFigures(_NoFigures):
    def work_counts_by_worker(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[int, dict[str, int]]:
        """Per person: assignments leased to them in [start, end) ("given": every item
        handed out, whether finished, skipped or expired; rework keeps its first lease), and
        the latest revisions submitted in the range that stand accepted ("accepted"). Two
        queries; people of `centre_id` when `worker_ids` is None."""
        people = Q(annotator__centre_id=centre_id) if worker_ids is None else Q(annotator_id__in=list(worker_ids))
        counts: dict[int, dict[str, int]] = {}
        for annotator_id, given in (
            Assignment.objects.filter(people, leased_at__gte=start, leased_at__lt=end)
            .values_list("annotator_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[annotator_id] = {"given": given, "accepted": 0}
        for annotator_id, accepted in (
            Annotation.objects.filter(
                people, is_latest=True, review__in=ACCEPTED, created_at__gte=start, created_at__lt=end
            )
            .values_list("annotator_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts.setdefault(annotator_id, {"given": 0, "accepted": 0})["accepted"] = accepted
        return counts
