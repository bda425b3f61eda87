"""Shape checks for the reviewer UI; the domain rules stay in annotator.annotations.services."""

from django import forms
from django.core.exceptions import ValidationError

NOTE_MAX = 5000
URL_MAX = 2000


def _label_choices() -> list[tuple[str, str]]:
    from annotator.annotations.selectors import label_list

    return [(label.slug, label.name) for label in label_list()]


def _label_choices_with(current) -> list[tuple[str, str]]:
    """The active labels, plus the annotation's own label if it is archived (kept on old)."""
    choices = _label_choices()
    if current is not None and current.slug not in dict(choices):
        choices.append((current.slug, f"{current.name} (archived)"))
    return choices


class AnnotationForm(forms.Form):
    """A new span: code-point offsets and the quote the browser saw (checked by the server)."""

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    quote = forms.CharField(strip=False, max_length=1_000_000)
    label = forms.CharField(max_length=50)
    note = forms.CharField(required=False, max_length=NOTE_MAX)
    # A CharField, not a URLField: URLField would add "http://" to a bare host, and the
    # service gives the clear "http or https" error.
    evidence_url = forms.CharField(required=False, max_length=URL_MAX)


class AnnotationEditForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    label = forms.ChoiceField(choices=_label_choices)
    note = forms.CharField(
        required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_url = forms.CharField(required=False, max_length=URL_MAX, label="Evidence URL")

    def __init__(self, *args, current_label=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = _label_choices_with(current_label)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class ReshapeForm(forms.Form):
    """New bounds for an annotation; the server recomputes the quote."""

    version = forms.IntegerField(min_value=1)
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)


def form_errors_text(form: forms.Form) -> str:
    """One readable line naming each field that was wrong."""
    parts = []
    for field, errors in form.errors.items():
        name = "Form" if field == "__all__" else field
        parts.append(f"{name}: {' '.join(errors)}")
    return "; ".join(parts)


def error_text(exc: ValidationError) -> str:
    """A service's ValidationError as one readable line (field: message; ...)."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)
