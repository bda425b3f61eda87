"""Shape checks for the claim panel; the domain rules stay in services.py and verdicts.py."""

from django import forms

from annotator.models import Stance, VerdictState


class EvidenceForm(forms.Form):
    # A CharField, not a URLField: the service gives the clear "http or https" and
    # "not a public address" messages.
    url = forms.CharField(max_length=2000, label="Source URL")
    stance = forms.ChoiceField(choices=Stance.choices)
    title = forms.CharField(required=False, max_length=500)
    author = forms.CharField(required=False, max_length=200)
    publisher = forms.CharField(required=False, max_length=200)
    published_on = forms.DateField(
        required=False, label="Published", widget=forms.DateInput(attrs={"type": "date"})
    )
    excerpt = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class VerdictForm(forms.Form):
    rating = forms.IntegerField(min_value=1)
    claim_reviewed = forms.CharField(max_length=500, label="Claim reviewed")
    explanation = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    claim_author = forms.CharField(required=False, max_length=200, label="Claim made by")
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=VerdictState.choices)
    reason = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(min_value=1)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class ClaimFilterForm(forms.Form):
    """The claims page's filters (GET); a malformed one is a 400 naming it."""

    label = forms.SlugField(required=False, max_length=50)
    rating = forms.IntegerField(required=False, min_value=1)
    state = forms.ChoiceField(
        required=False, choices=[("", "Any"), *VerdictState.choices, ("none", "No verdict")]
    )
    reviewer = forms.CharField(required=False, max_length=150)
    page = forms.IntegerField(required=False, min_value=1)


class PublishForm(forms.Form):
    version = forms.IntegerField(min_value=1)
