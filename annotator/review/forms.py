"""Forms of the review pages: assigning documents, adding to the final set."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from corpus.models import Collection


class AssignForm(forms.Form):
    action = forms.ChoiceField(choices=[("selected", "selected"), ("round_robin", "round robin")])
    reviewers = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none())
    documents = forms.ModelMultipleChoiceField(queryset=None, required=False)
    k = forms.IntegerField(min_value=1, required=False, initial=2, label="Reviewers per document")

    def __init__(self, *args, collection: Collection, reviewers: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = get_user_model().objects.filter(
            pk__in=[r.pk for r in reviewers]
        )
        self.fields["documents"].queryset = collection.documents.all()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "selected" and not data.get("documents"):
            self.add_error("documents", "Tick at least one document to assign.")
        if data.get("action") == "round_robin" and not data.get("k"):
            self.add_error("k", "Say how many reviewers each document gets.")
        return data


class FinalForm(forms.Form):
    start = forms.IntegerField(min_value=0, required=False)
    end = forms.IntegerField(min_value=1, required=False)
    label = forms.SlugField(required=False)
    note = forms.CharField(required=False, max_length=5000)
    row = forms.IntegerField(required=False)
    revision = forms.IntegerField(min_value=1, required=False)
