from celery import shared_task

from workforce import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roster_import_task(job_id: int) -> None:
    services.roster_import_run(job_id=job_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def payroll_run_task(job_id: int) -> None:
    from workforce.pay import services as pay_services

    pay_services.payroll_run_execute(job_id=job_id)
