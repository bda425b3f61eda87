"""Shape checks for deciding suggestions in the reviewer UI."""

from django import forms


class SuggestionAcceptForm(forms.Form):
    """Optional adjusted bounds; all three or none."""

    start = forms.IntegerField(min_value=0, required=False)
    end = forms.IntegerField(min_value=1, required=False)
    quote = forms.CharField(strip=False, required=False, max_length=1_000_000)

    def clean(self) -> dict:
        data = super().clean()
        given = [data.get(k) not in (None, "") for k in ("start", "end", "quote")]
        if any(given) and not all(given):
            raise forms.ValidationError("Adjusted bounds need start, end and quote together.")
        return data


class DecisionUndoForm(forms.Form):
    """Undo of an accept names the accepted annotation's version (a reject's needs none)."""

    version = forms.IntegerField(min_value=1, required=False)


class AcceptRestoreForm(forms.Form):
    """Redo of an undone accept: the annotation it had made, restored with the same id."""

    annotation = forms.IntegerField(min_value=1)


class BulkDecisionForm(forms.Form):
    """A bulk decision's scope: a label and a minimum score (and, to decide, the action)."""

    label = forms.SlugField(max_length=100)
    min_score = forms.FloatField(min_value=0.0, max_value=1.0)
    action = forms.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")], required=False)
