from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from aidou.panels import ANNOTATOR_HOME, Panel, panel_register
        from workforce.pay.panels import earnings_panel

        panel_register(
            ANNOTATOR_HOME, Panel("earnings", "workforce/pay/_earnings_panel.html", earnings_panel, order=10)
        )
