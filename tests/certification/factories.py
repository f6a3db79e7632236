"""Hand-made work histories: accepted work, reviews and gold results at chosen months,
written as the annotation app stores them (rows with their real statuses), so the
eligibility engine reads them through annotation's own selectors."""

import datetime as dt
import itertools

from django.utils import timezone

from annotation.models import Annotation, Assignment, Batch, GoldAnswer, GoldResult, Item, Review
from tests.annotation.factories import ProjectFactory

_serial = itertools.count(1)


def months_ago(n: int, *, day: int = 10) -> dt.datetime:
    """Noon on `day` of the month `n` months before this one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - n
    day = min(day, today.day) if n == 0 else day  # never in the future
    return dt.datetime(index // 12, index % 12 + 1, day, 12, 0, tzinfo=timezone.get_current_timezone())


def box(label="car", x=10, y=10, w=20, h=20) -> dict:
    return {"type": "bbox", "label": label, "x": x, "y": y, "w": w, "h": h}


class History:
    """Accepted work of people of one centre, in one project and batch."""

    def __init__(self, centre, reviewer):
        self.project = ProjectFactory()
        self.batch = Batch.objects.create(project=self.project, centre=centre, name="history")
        self.reviewer = reviewer

    def _item(self) -> Item:
        n = next(_serial)
        return Item.objects.create(project=self.project, file_name=f"h{n}.jpg", image="x.jpg", thumbnail="t.webp",
                                   content_type="image/jpeg", width=640, height=480, sha256=f"{n:064x}")  # fmt: skip

    def work(self, person, *, at: dt.datetime, boxes: int = 1, review: str = "not_sampled", decision=None,
             score=None) -> Annotation:  # fmt: skip
        """One accepted (or reviewed) image with `boxes` boxes, submitted at `at`; with a
        `decision`, a reviewer's review of it made the same day."""
        item = self._item()
        assignment = Assignment.objects.create(
            batch=self.batch, item=item, annotator=person, status=Assignment.Status.SUBMITTED,
            leased_at=at, lease_expires_at=at, finished_at=at,
        )  # fmt: skip
        annotation = Annotation.objects.create(
            assignment=assignment, item=item, annotator=person, review=review,
            shapes=[box(x=5 + i) for i in range(boxes)],
        )  # fmt: skip
        Annotation.objects.filter(pk=annotation.pk).update(created_at=at)
        if decision is not None:
            made = Review.objects.create(annotation=annotation, item=item, reviewer=self.reviewer, decision=decision,
                                         score=score)  # fmt: skip
            Review.objects.filter(pk=made.pk).update(created_at=at)
        return annotation

    def many(self, person, *, at, n: int, boxes: int = 1, decision=None, score=None) -> None:
        review = {None: "not_sampled", "accept": "accepted", "fix": "fixed", "reject": "rejected"}[decision]
        for _ in range(n):
            self.work(person, at=at, boxes=boxes, review=review, decision=decision, score=score)

    def gold(self, person, *, at: dt.datetime, score: float) -> GoldResult:
        item = self._item()
        gold = GoldAnswer.objects.create(item=item, shapes=[box()], source="drawn", created_by=self.reviewer)
        assignment = Assignment.objects.create(batch=self.batch, item=item, annotator=person,
                                               status=Assignment.Status.SUBMITTED, leased_at=at,
                                               lease_expires_at=at, finished_at=at)  # fmt: skip
        annotation = Annotation.objects.create(assignment=assignment, item=item, annotator=person, review="gold",
                                               shapes=[box()])  # fmt: skip
        result = GoldResult.objects.create(annotation=annotation, gold=gold, annotator=person, score=score)
        GoldResult.objects.filter(pk=result.pk).update(created_at=at)
        return result
