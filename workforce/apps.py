from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from aidou.jobs import job_kind_register
        from aidou.panels import ANNOTATOR_HOME, Panel, panel_register
        from workforce import services
        from workforce.pay import services as pay_services
        from workforce.pay.panels import earnings_panel
        from workforce.scheduling import views

        # Clocking in and out sits on the annotator's home, a page the annotation app owns.
        panel_register(ANNOTATOR_HOME, Panel("attendance-clock", "workforce/scheduling/_clock_panel.html",
                                             views.clock_panel, order=5))  # fmt: skip
        for kind in (services.ROSTER_IMPORT_JOB_KIND, pay_services.PAYROLL_RUN_JOB_KIND):
            job_kind_register(kind)
        panel_register(
            ANNOTATOR_HOME, Panel("earnings", "workforce/pay/_earnings_panel.html", earnings_panel, order=10)
        )
