from django import forms
from django.utils.translation import gettext_lazy as _

from workforce.models import Education, EmploymentType, Gender, Role, User
from workforce.services import WorkerData


class WorkerForm(forms.Form):
    """HR's form for one person. ID number and bank account fields are write-only:
    left blank, what is on file stays."""

    name = forms.CharField(label=_("Name"), max_length=100)
    mobile = forms.CharField(label=_("Mobile"), max_length=20)
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, required=False,
        help_text=_("Leave blank to keep the number on file."),
    )  # fmt: skip
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    education = forms.ChoiceField(label=_("Education"), choices=[("", "—"), *Education.choices], required=False)
    hire_date = forms.DateField(
        label=_("Hire date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=EmploymentType.choices)
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=None)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(
        label=_("Bank account"), max_length=40, required=False,
        help_text=_("Leave blank to keep the account on file."),
    )  # fmt: skip

    def __init__(self, *args, centres, teams, grantable_roles, creating: bool, kept_roles=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["teams"].queryset = teams
        self.fields["roles"].choices = [(code, label) for code, label in Role.choices if code in grantable_roles]
        # Roles the person holds that the actor may not change: kept as they are, named below.
        self.kept_roles = frozenset(kept_roles)
        if self.kept_roles:
            self.fields["roles"].required = False
            kept = ", ".join(str(label) for code, label in Role.choices if code in self.kept_roles)
            self.fields["roles"].help_text = _("Kept as they are (not yours to change): %(roles)s") % {"roles": kept}
        if creating:
            # Nothing is on file yet: the ID number is required and "keep" hints make no sense.
            self.fields["id_number"].required = True
            self.fields["id_number"].help_text = ""
            self.fields["bank_account"].help_text = ""

    @classmethod
    def initial_for(cls, worker: User) -> dict:
        profile = getattr(worker, "profile", None)
        teams = worker.team_list
        return {
            "name": worker.name,
            "mobile": worker.mobile,
            "gender": profile.gender if profile else "",
            "birth_date": profile.birth_date if profile else None,
            "education": profile.education if profile else "",
            "hire_date": profile.hire_date if profile else None,
            "employment_type": profile.employment_type if profile else EmploymentType.FULL_TIME,
            "centre": worker.centre_id,
            "teams": [team.pk for team in teams],
            "roles": sorted(worker.roles),
            "bank_name": profile.bank_name if profile else "",
        }

    def worker_data(self) -> WorkerData:
        data = self.cleaned_data
        return WorkerData(
            name=data["name"],
            mobile=data["mobile"],
            centre=data["centre"],
            roles=tuple(sorted({*data["roles"], *self.kept_roles})),
            id_number=data.get("id_number", ""),
            gender=data.get("gender", ""),
            birth_date=data.get("birth_date"),
            education=data.get("education", ""),
            hire_date=data.get("hire_date"),
            employment_type=data["employment_type"],
            teams=tuple(data.get("teams") or ()),
            bank_name=data.get("bank_name", ""),
            bank_account=data.get("bank_account", ""),
        )


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster file (.xlsx or .csv)"))
    initial_password = forms.CharField(
        label=_("Initial password for new people"), required=False, min_length=8,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Optional. New people log in with their mobile number and this password."),
    )  # fmt: skip


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)
    lead = forms.ModelChoiceField(label=_("Team lead"), queryset=None, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = people


class PasswordSetForm(forms.Form):
    password = forms.CharField(label=_("New password"), min_length=8, widget=forms.PasswordInput)
