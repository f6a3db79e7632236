import logging
import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidou.settings")

app = Celery("aidou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _warn_without_sigterm_remap(**_kwargs) -> None:
    # Read by billiard before this module is imported, so it cannot be set from here.
    if os.environ.get("REMAP_SIGTERM") != "SIGQUIT":
        logging.getLogger(__name__).warning(
            "REMAP_SIGTERM=SIGQUIT is not set: one SIGTERM to the whole process group can hang this worker "
            "(docs/decisions/0014-jobs-survive-a-dead-worker.md)"
        )
