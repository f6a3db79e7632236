from celery import shared_task

from aidou import jobs


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def jobs_sweep_task() -> None:
    """Celery beat's periodic sweep of jobs whose worker died (aidou.jobs.jobs_sweep)."""
    jobs.jobs_sweep()
