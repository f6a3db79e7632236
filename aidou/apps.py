from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidouConfig(AppConfig):
    """Shared pieces every app uses: the audit log and the base of long-running jobs."""

    name = "aidou"
    verbose_name = _("Aidou core")
