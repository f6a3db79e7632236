from celery import shared_task

from annotation.services import imports


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_task(job_id: int) -> None:
    imports.import_run(job_id=job_id)
