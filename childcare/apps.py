from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildcareConfig(AppConfig):
    name = "childcare"
    verbose_name = _("Childcare")

    def ready(self):
        from workforce.signals import shifts_published

        shifts_published.connect(_follow_shifts, dispatch_uid="childcare-follow-shifts")


def _follow_shifts(sender, **kwargs) -> None:
    # The signal comes after the roster's commit; the worker reads every event not yet
    # followed, so one missed signal is caught up by the next.
    from childcare.tasks import shift_events_follow_task

    shift_events_follow_task.delay()
