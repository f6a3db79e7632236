from celery import shared_task

from annotation.services import imports


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_task(job_id: int) -> None:
    imports.import_run(job_id=job_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=10,  # a backstop: the delivery row counts attempts (webhooks.MAX_ATTEMPTS)
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver_task(self, delivery_id: int) -> None:
    """One attempt per run; while the delivery is still pending, run again after a
    back-off (10 s, 20 s, 40 s ... 600 s). A delivered or failed delivery sends nothing."""
    from annotation.models import WebhookDelivery
    from annotation.services import webhooks

    delivery = webhooks.webhook_deliver(delivery_id=delivery_id)
    if delivery is not None and delivery.status == WebhookDelivery.Status.PENDING:
        raise self.retry(countdown=webhooks.webhook_retry_delay(delivery.attempts))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_task(job_id: int) -> None:
    """Write a queued export; a re-delivered task finds it claimed and does nothing."""
    from annotation.services import exports

    exports.export_run(job_id=job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def quality_recompute_task(job_id: int) -> None:
    """Recompute a project's quality; a re-delivered task finds the job claimed and does nothing."""
    from annotation.services import quality

    quality.quality_recompute_run(job_id=job_id)
