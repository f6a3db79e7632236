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


class BatchForm(forms.Form):
    """Cut a batch: which project, which items (a count, a filter, or exact ids), who works
    on it, and in what order. Choices are limited to what the actor may use."""

    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    name = forms.CharField(label=_("Batch name"), max_length=200, required=False)
    size = forms.IntegerField(
        label=_("How many images"), min_value=1, required=False, help_text=_("Taken in upload order.")
    )
    file_name = forms.CharField(
        label=_("Only file names containing"), max_length=255, required=False, help_text=_("Optional filter.")
    )
    items = forms.CharField(
        label=_("Or exactly these item ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Separated by commas or spaces; replaces the count."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    annotators = forms.ModelMultipleChoiceField(
        label=_("Annotators"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.IntegerField(
        label=_("Priority"), initial=0, min_value=-100, max_value=100, help_text=_("Higher goes first.")
    )
    due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, projects, teams, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["teams"].queryset = teams
        self.fields["annotators"].queryset = annotators
        self.fields["annotators"].label_from_instance = lambda person: f"{person.name or person.username}"

    def clean_items(self) -> list[int] | None:
        raw = self.cleaned_data.get("items", "").replace(",", " ").split()
        if not raw:
            return None
        if not all(part.isdigit() for part in raw):
            raise forms.ValidationError(_("Item ids are whole numbers."))
        return [int(part) for part in raw]

    def clean(self):
        data = super().clean()
        if not data.get("items") and not data.get("size"):
            self.add_error("size", _("Give a count or a list of item ids."))
        if not data.get("teams") and not data.get("annotators"):
            self.add_error("teams", _("Give the batch to at least one team or annotator."))
        return data


class BatchAssigneesForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    annotators = forms.ModelMultipleChoiceField(
        label=_("Annotators"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    release_leases = forms.BooleanField(label=_("Take back images now from people no longer assigned"), required=False)

    def __init__(self, *args, teams, annotators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = teams
        self.fields["annotators"].queryset = annotators
        self.fields["annotators"].label_from_instance = lambda person: f"{person.name or person.username}"
