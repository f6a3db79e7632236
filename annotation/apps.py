from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = _("Annotation")

    def ready(self) -> None:
        # Workforce reads the workbench's measured time through its port (workforce.work_figures).
        from annotation.work_figures import AnnotationWorkFigures
        from workforce.work_figures import work_figures_register

        work_figures_register(AnnotationWorkFigures())
