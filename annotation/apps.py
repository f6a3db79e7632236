from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = _("Annotation")

    def ready(self) -> None:
        from aidou.jobs import job_kind_register
        from annotation.services import exports, imports, quality
        from annotation.work_figures import AnnotationWorkFigures
        from workforce.work_figures import work_figures_register

        # Workforce reads the workbench's measured time through its port (workforce.work_figures).
        work_figures_register(AnnotationWorkFigures())
        for kind in (imports.IMPORT_JOB_KIND, exports.EXPORT_JOB_KIND, quality.QUALITY_JOB_KIND):
            job_kind_register(kind)
