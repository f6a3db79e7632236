from django import forms
from django.utils.translation import gettext_lazy as _

from workforce.models import AbsenceKind

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ShiftTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    starts = forms.TimeField(label=_("Starts"), widget=_TIME)
    ends = forms.TimeField(label=_("Ends"), widget=_TIME)
    break_minutes = forms.IntegerField(label=_("Unpaid break (minutes)"), min_value=0, max_value=600, initial=0)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class AbsenceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of leave"), choices=AbsenceKind.choices)
    starts_on = forms.DateField(label=_("From"), widget=_DATE)
    ends_on = forms.DateField(label=_("To"), widget=_DATE)
    days = forms.DecimalField(
        label=_("Workdays (in halves)"), max_digits=5, decimal_places=1, min_value=0.5, required=False,
        help_text=_("Leave blank for every workday of these dates."),
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class AbsenceDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AttendanceCorrectionForm(forms.Form):
    clock_in_at = forms.DateTimeField(label=_("Clocked in"), widget=_MOMENT)
    clock_out_at = forms.DateTimeField(label=_("Clocked out"), widget=_MOMENT, required=False)
    reason = forms.CharField(label=_("Why"), max_length=500)


class AttendanceAddForm(AttendanceCorrectionForm):
    worker = forms.IntegerField(widget=forms.HiddenInput)
    clock_out_at = forms.DateTimeField(label=_("Clocked out"), widget=_MOMENT)
