from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")

    def ready(self):
        # Clocking in and out sits on the annotator's home, a page the annotation app owns.
        from aidou.panels import ANNOTATOR_HOME, Panel, panel_register
        from workforce.scheduling import views

        panel_register(ANNOTATOR_HOME, Panel("attendance-clock", "workforce/scheduling/_clock_panel.html",
                                             views.clock_panel, order=5))  # fmt: skip
