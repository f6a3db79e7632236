from django import forms
from django.utils.translation import gettext_lazy as _


class ChildForm(forms.Form):
    name = forms.CharField(label=_("Child's name"), max_length=50)
    birth_date = forms.DateField(label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}))
    allergies = forms.CharField(
        label=_("Allergies"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    medical_notes = forms.CharField(
        label=_("Medical notes"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo_consent = forms.BooleanField(label=_("Photos of my child may be taken in the care space"), required=False)
    consent = forms.BooleanField(
        label=_("I agree that the centre keeps these details to care for my child"),
        help_text=_(
            "Only you, the centre's childcare staff and administrators see them; every staff reading of the "
            "health notes is logged. You can delete the record at any time."
        ),
        required=False,
    )


class PickupPersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    relation = forms.CharField(label=_("Relation"), max_length=30)
    mobile = forms.CharField(label=_("Mobile"), max_length=11)
    pin = forms.CharField(
        label=_("PIN (4 to 6 digits)"),
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )
