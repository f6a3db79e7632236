from celery import shared_task

from childcare import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def shift_events_follow_task() -> int:
    """Follow the shift events published since the last run (idempotent)."""
    return services.shift_events_follow()
