from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from aidou.jobs import job_kind_register
        from workforce import services
        from workforce.pay import services as pay_services

        for kind in (services.ROSTER_IMPORT_JOB_KIND, pay_services.PAYROLL_RUN_JOB_KIND):
            job_kind_register(kind)
