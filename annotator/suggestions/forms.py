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
