from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification")

    def ready(self):
        # The career path on the annotator's home and HR's way in from the home page: pages
        # other apps own, so registered as panels (aidou/panels.py).
        from aidou.panels import ANNOTATOR_HOME, HOME, Panel, panel_register
        from certification import views

        panel_register(ANNOTATOR_HOME, Panel("certification-path", "certification/_path_panel.html",
                                             views.path_panel, order=20))  # fmt: skip
        panel_register(HOME, Panel("certification-hr", "certification/_hr_panel.html", views.hr_panel, order=30))
