from celery import shared_task

from childcare import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def shift_events_follow_task() -> int:
    """Follow the shift events published since the last run (idempotent)."""
    return services.shift_events_follow()


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=240, time_limit=300)
def roster_solve_task(job_id: int) -> None:
    services.roster_solve_run(job_id=job_id)
