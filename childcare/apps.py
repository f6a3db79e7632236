from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildcareConfig(AppConfig):
    name = "childcare"
    verbose_name = _("Childcare")

    def ready(self) -> None:
        from aidou.jobs import JobKind, job_kind_register
        from aidou.panels import HOME, Panel, panel_register
        from childcare import views
        from childcare.models import RosterSolve
        from workforce.signals import shifts_published

        # A worker that dies mid-solve: the sweep runs the job again (docs/decisions/0014).
        job_kind_register(JobKind(name="roster_solve", model=RosterSolve, enqueue=_roster_solve_enqueue))

        shifts_published.connect(_follow_shifts, dispatch_uid="childcare-follow-shifts")
        # The way in from the home page, which workforce owns (aidou/panels.py).
        panel_register(HOME, Panel("childcare", "childcare/_home_panel.html", views.home_panel, order=40))


def _follow_shifts(sender, **kwargs) -> None:
    # The signal comes after the roster's commit; the worker reads every event not yet
    # followed, so one missed signal is caught up by the next.
    from childcare.tasks import shift_events_follow_task

    shift_events_follow_task.delay()


def _roster_solve_enqueue(job_id: int) -> None:
    from childcare.tasks import roster_solve_task

    roster_solve_task.delay(job_id)
