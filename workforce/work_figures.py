"""Figures about people's work that another app measures and pay needs.

`workforce` imports no other app (DESIGN.md), yet payroll needs the workbench's
server-measured active time, each person's quality in a period and how much work they
were given and had accepted. The annotation app measures those; it registers an
implementation of `WorkFigures` here when Django starts (`AnnotationConfig.ready`), and
payroll, the attendance report and the fairness view call `work_figures()`. With nothing
registered (a workforce-only test) every figure is empty.

Each method answers for many people at once, in a few queries, for the half-open time
range [start, end); `worker_ids=None` means everyone of `centre_id`.
"""

import datetime as dt
from collections.abc import Collection
from typing import Protocol


class WorkFigures(Protocol):
    def active_seconds_by_day(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[tuple[int, dt.date], int]:
        """Seconds of measured labelling per person and day (the day in the centre's time zone)."""
        ...

    def quality_by_worker(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[int, tuple[float, int]]:
        """Per person: (good, observations) of the quality observations made in the range,
        counted as the quality engine counts them (accept 1, send back 0, a fix and a gold
        item their score); the score is good / observations."""
        ...

    def work_counts_by_worker(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[int, dict[str, int]]:
        """Per person: {"given": assignments handed out, "accepted": annotations accepted}."""
        ...


class _NoFigures:
    def active_seconds_by_day(self, **kwargs) -> dict[tuple[int, dt.date], int]:
        return {}

    def quality_by_worker(self, **kwargs) -> dict[int, tuple[float, int]]:
        return {}

    def work_counts_by_worker(self, **kwargs) -> dict[int, dict[str, int]]:
        return {}


_registered: WorkFigures = _NoFigures()


def work_figures_register(figures: WorkFigures) -> None:
    global _registered
    _registered = figures


def work_figures() -> WorkFigures:
    return _registered
