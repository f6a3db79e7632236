import logging
import os

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.exception("health check: database unreachable")
        return False


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            return os.path.isdir(folder) and os.access(folder, os.W_OK)
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        log.exception("health check: broker unreachable")
        return False


@never_cache
def healthz(request):
    """200 when the database and the Celery broker answer, 503 when either does not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ok = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            **{k: "ok" if v else "down" for k, v in checks.items()},
        },
        status=200 if ok else 503,
    )
