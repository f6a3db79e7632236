from django import forms
from django.utils.translation import gettext_lazy as _

from annotation.models import ExportJob, Webhook


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"), max_length=100, help_text=_("e.g. the script or server that uses it")
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ExportJob.Format.choices)
    only_accepted = forms.BooleanField(label=_("Only accepted work"), required=False, initial=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, cleaned one by one (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ImportForm(forms.Form):
    files = MultipleFileField(label=_("Images or .zip archives"))
    annotations = forms.FileField(label=_("COCO pre-annotations (optional)"), required=False)


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL to call"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Webhook.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        label=_("Signing secret"), min_length=16, max_length=200, widget=forms.PasswordInput,
        help_text=_("16 or more characters; each delivery is signed with it (X-Aidou-Signature)."),
    )  # fmt: skip
