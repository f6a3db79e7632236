"""The demo's pay (issue 15, item 11): Yijun's piece rates on the demo projects, and two
months of past work — labelled, reviewed and paid through the real services with the clock
set back to each working day — so that the real payroll run closes October and November
2026 and computes the open month. HR and annotators see real payslips at once.

Idempotent: the rates are set once per project; the history is made only while October's
period is not closed; the open month is run once.
"""

import datetime as dt
import json
import random
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from annotation.demo import DEMO_SCHEMA, coco_for, street_scene
from annotation.models import Batch, Organisation, Project
from annotation.services.assignments import assignment_next, assignment_submit
from annotation.services.batches import Assignees, ItemChoice, batch_create, batch_set_status
from annotation.services.imports import import_run, import_start
from annotation.services.projects import project_create
from annotation.services.reviews import review_decide
from workforce.models import LedgerLine, PayPeriod, PayrollRun, PieceRate, Role, Team, User
from workforce.pay import services as pay

# 宜君's rates on the demo's street scenes (yuan per unit).
DEMO_RATES = {"item": "0.1000", "box": "0.0800", "polygon": "0.1500", "keypoints": "0.1200", "class": "0.0200",
              "review": "0.0500"}  # fmt: skip
RATES_FROM = (2026, 9, 1, 8, 0)  # in the centre's time zone
HISTORY_PROJECT = "街景标注 2026 秋季（已交付）Street scenes, autumn 2026 (delivered)"
HISTORY_SCENES = 40
HISTORY_OVERLAP = 3
CLOSED_MONTHS = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
# Working days of the history, each with how many images each annotator labels that day.
HISTORY_DAYS = [dt.date(2026, 10, d) for d in (12, 13, 15, 19, 22, 27)] + [
    dt.date(2026, 11, d)
    for d in (3, 5, 10, 14, 17, 24, 26)  # the 14th is a Saturday: rest-day pay
]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@contextmanager
def clock_at(moment: dt.datetime):
    """Run the real services as if it were `moment` (timezone.now() answers it)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def demo_rates_set(project: Project, supervisor: User) -> None:
    """Yijun's rates on `project`, in force since 1 September 2026 (once per project)."""
    if PieceRate.objects.filter(centre_id=supervisor.centre_id, project_id=project.pk).exists():
        return
    with clock_at(dt.datetime(*RATES_FROM, tzinfo=_zone())):
        pay.piece_rates_set(
            actor=supervisor, centre=supervisor.centre, project_id=project.pk, project_name=project.name,
            rates=DEMO_RATES, note="演示数据：宜君中心计件单价",
        )  # fmt: skip


def demo_pay_seed(stdout=None) -> str:
    """Rates, two closed months of paid work and the open month's run. Returns what it did."""
    hr = User.objects.filter(username="yijun_hr").first()
    supervisor = User.objects.filter(username="yijun_supervisor").first()
    reviewer = User.objects.filter(username="yijun_reviewer").first()
    if hr is None or supervisor is None or reviewer is None:
        return "no Yijun staff (run seed_demo first): nothing to pay"
    centre = hr.centre
    for project in Project.objects.filter(batches__centre=centre).distinct():
        demo_rates_set(project, supervisor)
    done = []
    first_closed = PayPeriod.objects.filter(centre=centre, month=CLOSED_MONTHS[0]).first()
    if first_closed is None or first_closed.status == PayPeriod.Status.OPEN:
        accepted = _history(supervisor, reviewer)
        done.append(f"{accepted} images of past work accepted and paid")
        for month in CLOSED_MONTHS:
            period = _run(hr, centre, month)
            if period.status == PayPeriod.Status.OPEN:
                pay.pay_period_close(actor=hr, period=period)
            done.append(f"{month:%Y-%m} closed")
    annotator = User.objects.filter(username="yijun_annotator").first()
    if annotator is not None and _today(annotator, reviewer, supervisor):
        done.append("today's work of yijun_annotator accepted, one line taken back on audit")
    month = timezone.localdate().replace(day=1)
    open_period = PayPeriod.objects.filter(centre=centre, month=month).first()
    if open_period is None or not open_period.runs.filter(status=PayrollRun.Status.SUCCEEDED).exists():
        _run(hr, centre, month)
        done.append(f"{month:%Y-%m} computed (open)")
    return "; ".join(done) or "already in place"


def _today(annotator: User, reviewer: User, supervisor: User) -> bool:
    """The demo annotator's morning: three images of the open demo batches accepted (so the
    home's earnings have lines at once) and, after an audit, one box line taken back with
    its reason. Once: not when they have earned anything this month already."""
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if LedgerLine.objects.filter(worker=annotator, accepted_at__gte=month_start).exists():
        return False
    accepted = []
    for _ in range(3):
        offer = assignment_next(annotator=annotator)
        if offer is None:
            break
        stored, _ = assignment_submit(annotator=annotator, assignment_id=offer.assignment_id,
                                      annotation=offer.prefill or {"shapes": [], "class": None},
                                      client_time_ms=40_000)  # fmt: skip
        if stored.review == stored.Review.QUEUED:
            review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="accept")
        accepted.append(stored.pk)
    box = LedgerLine.objects.filter(worker=annotator, unit="box", source_id__in=accepted).order_by("id").first()
    if box is not None:
        pay.ledger_reverse(
            actor=supervisor, line_id=box.pk, reason="抽检发现：右侧的车没有框全 A car on the right was cut off"
        )
    return bool(accepted)


def _run(hr: User, centre, month: dt.date) -> PayPeriod:
    period = pay.pay_period_open(actor=hr, centre=centre, month=month)
    if period.status == PayPeriod.Status.OPEN:
        run = pay.payroll_run_start(actor=hr, period=period, enqueue=False)
        pay.payroll_run_execute(job_id=run.pk)
    period.refresh_from_db()
    return period


def _history_project(supervisor: User) -> tuple[Project, Batch]:
    from annotation.management.commands.seed_demo_client import ORGANISATION

    organisation = Organisation.objects.filter(name=ORGANISATION).first()
    project = Project.objects.filter(name=HISTORY_PROJECT).first()
    if project is None:
        with clock_at(dt.datetime(2026, 10, 9, 9, 0, tzinfo=_zone())):
            project = project_create(
                organisation=organisation, name=HISTORY_PROJECT, label_schema=DEMO_SCHEMA, overlap=HISTORY_OVERLAP,
                instructions="框出每一辆车、每一个行人和红绿灯；行人另画轮廓并标出头和双手。",
            )  # fmt: skip
            files, scenes = [], []
            for n in range(HISTORY_SCENES):
                data, annotation = street_scene(seed=1000 + n)
                name = f"autumn_{n + 1:03d}.jpg"
                files.append(SimpleUploadedFile(name, data, content_type="image/jpeg"))
                scenes.append((name, 640, 360, annotation))
            coco = SimpleUploadedFile("coco.json", json.dumps(coco_for(scenes, DEMO_SCHEMA)).encode())
            job = import_start(project=project, files=files, annotations=coco, enqueue=False)
            import_run(job_id=job.pk)
    demo_rates_set(project, supervisor)
    batch = Batch.objects.filter(project=project).first()
    if batch is None:
        teams = list(Team.objects.filter(centre=supervisor.centre).order_by("id"))
        with clock_at(dt.datetime(2026, 10, 9, 10, 0, tzinfo=_zone())):
            batch = batch_create(
                actor=supervisor, project=project, choice=ItemChoice(size=HISTORY_SCENES),
                assignees=Assignees(teams=[team.pk for team in teams]), name="秋季街景 Autumn street scenes",
                priority=9,  # served before the open demo batches while the history is made
            )  # fmt: skip
    return project, batch


def _history(supervisor: User, reviewer: User) -> int:  # noqa: C901 - one day's work, told in order
    """Each working day, a few annotators label images (the pre-annotation, with a box
    dropped now and then) at the day's hours, and the reviewer decides them: mostly
    accepted, some fixed, some sent back and done again. Work sampling lets through is
    paid at its submit. Returns the accepted images."""
    project, batch = _history_project(supervisor)
    if batch.status == Batch.Status.CLOSED:
        return 0
    rng = random.Random(20261012)  # noqa: S311 - demo data, not secrets
    annotators = list(
        User.objects.filter(centre=supervisor.centre, role_grants__role=Role.ANNOTATOR, is_active=True)
        .order_by("id")
        .distinct()[:6]
    )
    reasons = project.reject_reasons or ["漏标"]
    accepted = 0
    for day in HISTORY_DAYS:
        for person_index, annotator in enumerate(annotators):
            hour = 9 + person_index % 3
            for turn in range(2):
                moment = dt.datetime.combine(day, dt.time(hour, 10 + 20 * turn), tzinfo=_zone())
                with clock_at(moment):
                    offer = assignment_next(annotator=annotator)
                    if offer is None:
                        break
                    drawn = dict(offer.prefill or {"shapes": [], "class": None})
                    if drawn.get("shapes") and rng.random() < 0.15:
                        drawn["shapes"] = drawn["shapes"][:-1]  # missed one
                    stored, _ = assignment_submit(annotator=annotator, assignment_id=offer.assignment_id,
                                                  annotation=drawn, client_time_ms=50_000)  # fmt: skip
                if stored.review != stored.Review.QUEUED:
                    accepted += 1  # let through unreviewed: paid at submit
                    continue
                with clock_at(moment + dt.timedelta(hours=2)):
                    roll = rng.random()
                    if roll < 0.1:
                        review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="reject",
                                      reasons=[reasons[0]], comment="有遗漏，请补标")  # fmt: skip
                        redo = assignment_next(annotator=annotator)  # the rework comes back first
                        if redo is not None:
                            again, _ = assignment_submit(annotator=annotator, assignment_id=redo.assignment_id,
                                                         annotation=offer.prefill or drawn)  # fmt: skip
                            if again.review == again.Review.QUEUED:
                                review_decide(reviewer=reviewer, annotation_id=again.pk, decision="accept")
                            accepted += 1
                    elif roll < 0.2 and offer.prefill:
                        review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="fix", fixed=offer.prefill)
                        accepted += 1
                    else:
                        review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="accept")
                        accepted += 1
    with clock_at(dt.datetime(2026, 11, 27, 18, 0, tzinfo=_zone())):
        batch_set_status(actor=supervisor, batch=batch, action="close")
    return accepted
