"""The sweep of dead workers' jobs (aidou.jobs.jobs_sweep, run by Celery beat) and the
client API's retry: a job whose heartbeat stopped is run again up to JOB_MAX_ATTEMPTS
starts, then failed with a sentence in its starter's language and its webhook told; a
live or finished job is left alone; staged files never outlive a job for long."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from aidou.jobs import JOB_KINDS, job_claim, jobs_sweep
from annotation.models import ExportJob, ImportJob, Item, QualityJob, WebhookDelivery
from annotation.services.imports import import_run, import_start
from childcare.models import RosterSolve
from tests import factories
from tests.annotation.factories import (
    ExportJobFactory,
    ItemFactory,
    OrganisationFactory,
    ProjectFactory,
    WebhookFactory,
    api_key_for,
    jpeg_bytes,
)
from tests.openapi import assert_matches_schema
from tests.workforce import pay_fixtures
from tests.workforce.pay_fixtures import at, ledger
from workforce import services as workforce_services
from workforce.models import PayrollRun, Payslip, RosterImport
from workforce.pay import services as pay_services

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(minutes=11)  # past STALE_AFTER (10 minutes)


@pytest.fixture
def org():
    return OrganisationFactory(name="Autodrive Ltd")


@pytest.fixture
def project(org):
    return ProjectFactory(organisation=org)


@pytest.fixture
def client_api(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def staged_import(project, *names, language="en") -> ImportJob:
    files = [SimpleUploadedFile(name, jpeg_bytes(20, 10, (i * 40, 0, 0))) for i, name in enumerate(names, 1)]
    job = import_start(project=project, files=files, enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(language=language)
    return job


def worker_died(job, *, attempts: int) -> None:
    """As a worker leaves a job it was running when it was killed."""
    type(job).objects.filter(pk=job.pk).update(
        status="running",
        attempts=attempts,
        started_at=timezone.now() - LONG_AGO,
        heartbeat_at=timezone.now() - LONG_AGO,
    )


def test_every_kind_of_job_is_known_to_the_sweep():
    assert {name: kind.model for name, kind in JOB_KINDS.items()} == {
        "import": ImportJob,
        "export": ExportJob,
        "quality": QualityJob,
        "roster_import": RosterImport,
        "payroll_run": PayrollRun,
        "roster_solve": RosterSolve,
    }
    # The class, not the list: a job model added later without registering fails here.
    from django.apps import apps

    from aidou.models import Job

    assert {kind.model for kind in JOB_KINDS.values()} == {m for m in apps.get_models() if issubclass(m, Job)}


def test_a_claim_counts_an_attempt(project):
    job = staged_import(project, "a.jpg")
    assert job.attempts == 0
    assert job_claim(ImportJob, job.pk)
    job.refresh_from_db()
    assert job.attempts == 1


def test_a_dead_workers_import_is_run_again_and_adds_each_image_once(project, django_capture_on_commit_callbacks):
    job = staged_import(project, "a.jpg", "b.jpg")
    job_claim(ImportJob, job.pk)
    # The first worker added a.jpg, then died.
    ItemFactory(
        project=project,
        file_name="a.jpg",
        import_job=job,
        sha256=hashlib.sha256(jpeg_bytes(20, 10, (40, 0, 0))).hexdigest(),
    )
    worker_died(job, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs_sweep()
    assert (result.requeued, result.failed) == (1, 0)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.accepted, job.duplicates) == ("succeeded", 2, 2, 0)
    assert sorted(Item.objects.filter(project=project).values_list("file_name", flat=True)) == ["a.jpg", "b.jpg"]


def test_after_three_starts_the_job_fails_with_a_sentence_in_its_starters_language_and_webhooks_hear_it(
    project, org, django_capture_on_commit_callbacks
):
    webhook = WebhookFactory(organisation=org, events=["import.finished"])
    job = staged_import(project, "a.jpg", language="zh-hans")
    worker_died(job, attempts=settings.JOB_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=False):
        result = jobs_sweep()
    assert (result.requeued, result.failed) == (0, 1)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert (
        job.failure
        == "这项任务已启动 3 次，每次都在完成前中断，所以已放弃。可以重新运行；如果再次中断，请联系技术支持。"
    )
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.event == "import.finished"
    assert delivery.payload == {"import": job.pk, "project": project.pk, "status": "failed", "accepted": 0,
                                "duplicates": 0, "rejected": 0}  # fmt: skip
    # The staged files are kept for a retry.
    assert job.uploads and (settings.MEDIA_ROOT / job.uploads[0]["path"]).exists()


def test_a_live_job_and_finished_jobs_are_left_alone(project):
    live = staged_import(project, "a.jpg")
    ImportJob.objects.filter(pk=live.pk).update(
        status="running", attempts=3, heartbeat_at=timezone.now() - dt.timedelta(minutes=9)
    )
    done = [staged_import(project, f"{status}.jpg") for status in ("succeeded", "failed")]
    for job, status in zip(done, ("succeeded", "failed"), strict=True):
        ImportJob.objects.filter(pk=job.pk).update(
            status=status, heartbeat_at=timezone.now() - dt.timedelta(days=1), finished_at=timezone.now(), uploads=[]
        )
    before = {job.pk: (job.status, job.attempts) for job in ImportJob.objects.all()}
    result = jobs_sweep()
    assert (result.requeued, result.failed, result.discarded) == (0, 0, 0)
    assert {job.pk: (job.status, job.attempts) for job in ImportJob.objects.all()} == before


def test_a_queued_job_whose_message_was_lost_is_sent_again(project, django_capture_on_commit_callbacks):
    job = staged_import(project, "a.jpg")
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - LONG_AGO, heartbeat_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().requeued == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.accepted) == ("succeeded", 1, 1)


def test_a_failed_imports_staged_files_and_folder_go_a_day_later_and_then_it_cannot_be_retried(project, client_api):
    job = staged_import(project, "a.jpg", "b.jpg")
    folder = settings.MEDIA_ROOT / job.staging_dir
    assert folder.is_dir()
    ImportJob.objects.filter(pk=job.pk).update(status="failed", finished_at=timezone.now() - dt.timedelta(hours=23))
    assert jobs_sweep().discarded == 0
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    assert jobs_sweep().discarded == 1
    job.refresh_from_db()
    assert job.uploads == [] and not folder.exists()
    assert jobs_sweep().discarded == 0  # once
    response = client_api.post(f"/api/v1/imports/{job.pk}/retry/")
    assert response.status_code == 409
    assert response.json() == {"detail": "This import cannot run again; send the files again instead."}


def test_a_succeeded_import_leaves_no_staging_folder(project):
    job = staged_import(project, "a.jpg", "b.jpg")
    import_run(job_id=job.pk)
    assert list((settings.MEDIA_ROOT / "imports").iterdir()) == []


def test_a_roster_import_given_up_keeps_its_file_a_day(hr, django_capture_on_commit_callbacks):
    job = workforce_services.roster_import_start(
        actor=hr, upload=SimpleUploadedFile("r.csv", "姓名,手机号\n".encode()), enqueue=False
    )
    worker_died(job, attempts=3)
    jobs_sweep()
    job.refresh_from_db()
    assert job.status == "failed" and job.file
    RosterImport.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    assert jobs_sweep().discarded == 1
    job.refresh_from_db()
    assert not job.file


def test_the_sweep_reads_each_kind_once_whatever_the_number_of_jobs(project):
    def stale_jobs(requeued: int, given_up: int) -> None:
        ExportJob.objects.all().delete()
        for attempts in [1] * requeued + [3] * given_up:
            worker_died(ExportJobFactory(project=project), attempts=attempts)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            jobs_sweep()
        return len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]])

    stale_jobs(2, 1)
    few = queries()
    stale_jobs(8, 1)
    assert queries() == few
    # One read per kind of job; exports: one UPDATE to queue again, one to fail, one read
    # of the failed for the webhooks and its webhook lookup; imports and roster imports:
    # one read of staged files to remove.
    assert few == len(JOB_KINDS) + 4 + 2
    # A job given up costs its webhook lookup (rare: three dead workers each).
    stale_jobs(2, 3)
    assert queries() == few + 2


# --- Retry through the client API ------------------------------------------------------


def test_a_client_retries_a_failed_import(project, client_api, django_capture_on_commit_callbacks):
    job = staged_import(project, "a.jpg")
    ImportJob.objects.filter(pk=job.pk).update(status="failed", attempts=3, failure="stopped")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post(f"/api/v1/imports/{job.pk}/retry/")
    assert response.status_code == 202, response.content
    assert_matches_schema(response, "post")
    assert (response.json()["status"], response.json()["attempts"], response.json()["failure"]) == ("queued", 0, "")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.accepted) == ("succeeded", 1, 1)
    assert Item.objects.filter(project=project).count() == 1
    # Done now: no second run.
    again = client_api.post(f"/api/v1/imports/{job.pk}/retry/")
    assert again.status_code == 409
    assert_matches_schema(again, "post")


def test_a_client_retries_a_failed_export(project, client_api, django_capture_on_commit_callbacks):
    ItemFactory(project=project, file_name="a.jpg")
    job = ExportJobFactory(project=project, status="failed", failure="stopped", attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_api.post(f"/api/v1/exports/{job.pk}/retry/")
    assert response.status_code == 202, response.content
    assert_matches_schema(response, "post")
    job.refresh_from_db()
    assert (job.status, job.items, job.attempts) == ("succeeded", 1, 1)
    assert client_api.post(f"/api/v1/exports/{job.pk}/retry/").json() == {
        "detail": "Only a failed export can be run again."
    }


def test_a_running_job_with_a_live_worker_cannot_be_retried(project, client_api):
    job = ExportJobFactory(project=project, status="running", heartbeat_at=timezone.now())
    response = client_api.post(f"/api/v1/exports/{job.pk}/retry/")
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == "running"


def test_another_organisations_jobs_are_404_to_retry(project, client_api):
    rival = ProjectFactory(organisation=OrganisationFactory(name="Rival Vision"))
    export = ExportJobFactory(project=rival, status="failed")
    imported = staged_import(rival, "a.jpg")
    ImportJob.objects.filter(pk=imported.pk).update(status="failed")
    assert client_api.post(f"/api/v1/exports/{export.pk}/retry/").status_code == 404
    assert client_api.post(f"/api/v1/imports/{imported.pk}/retry/").status_code == 404
    assert client_api.post("/api/v1/imports/999999/retry/").status_code == 404
    export.refresh_from_db()
    assert export.status == "failed"


pay_centre = pay_fixtures.pay_centre


def test_a_payroll_run_swept_up_after_its_worker_died_leaves_one_payslip_each(
    pay_centre, hr, django_capture_on_commit_callbacks
):
    people = [factories.worker(actor=hr, centre=pay_centre) for _ in range(3)]
    for n, person in enumerate(people):
        ledger(person, f"{100 + n}", at(dt.date(2026, 11, 10), 10))
    period = pay_services.pay_period_open(actor=hr, centre=pay_centre, month=dt.date(2026, 11, 1))
    run = pay_services.payroll_run_start(actor=hr, period=period, enqueue=False)
    # The first worker wrote one payslip, then died.
    pay_services.payroll_run_execute(job_id=run.pk)
    Payslip.objects.filter(period=period).exclude(worker=people[0]).delete()
    worker_died(run, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().requeued == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.processed) == ("succeeded", 2, 3)
    assert sorted(Payslip.objects.filter(period=period).values_list("worker_id", flat=True)) == sorted(
        person.pk for person in people
    )
