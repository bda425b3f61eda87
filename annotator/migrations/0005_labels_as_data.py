"""Labels as data: a unique badge, a validated colour and hotkey, archiving."""

from django.db import migrations, models
from django.db.models import Q

import annotator.models.annotations


def badges_fill(apps, schema_editor) -> None:
    """Each label's badge: its initial, else the first free of its first letters or a number;
    a hotkey another (earlier) label already has is cleared rather than failing."""
    Label = apps.get_model("annotator", "Label")
    taken: set[str] = set()
    keys: set[str] = set()
    for label in Label.objects.order_by("order", "id"):
        name = "".join(c for c in label.name if not c.isspace()) or label.slug or "L"
        options = [name[:1].upper(), name[:2].capitalize(), name[:3].capitalize()]
        options += [f"{name[:1].upper()}{n}" for n in range(2, 100)]
        label.badge = next(o for o in options if o.lower() not in taken)
        taken.add(label.badge.lower())
        if label.shortcut and label.shortcut.lower() in keys:
            label.shortcut = ""
        keys.add(label.shortcut.lower())
        label.save(update_fields=["badge", "shortcut"])


class Migration(migrations.Migration):
    dependencies = [("annotator", "0004_suggestion_run_documents")]

    operations = [
        migrations.AddField(
            model_name="label",
            name="badge",
            field=models.CharField(default="", max_length=3),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="label",
            name="archived",
            field=models.BooleanField(
                default=False,
                help_text="Hidden from new work, still shown on the annotations that use it.",
            ),
        ),
        migrations.AddField(
            model_name="label",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunPython(badges_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="label",
            name="badge",
            field=models.CharField(
                help_text="Short text shown beside the colour (1-3 characters), unique among labels.",
                max_length=3,
            ),
        ),
        migrations.AlterField(
            model_name="label",
            name="colour",
            field=models.CharField(
                help_text="Hex colour, e.g. #0072B2; the colour-blind-safe palette is offered.",
                max_length=7,
                validators=[annotator.models.annotations.colour_validator],
            ),
        ),
        migrations.AlterField(
            model_name="label",
            name="shortcut",
            field=models.CharField(
                blank=True,
                help_text="Keyboard key, e.g. 4; not a reserved key (a r j k n ? / [ ]) nor another label's.",
                max_length=1,
                validators=[annotator.models.annotations.shortcut_validator],
            ),
        ),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.UniqueConstraint(
                condition=~Q(badge=""), fields=("badge",), name="label_badge_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.UniqueConstraint(
                condition=Q(archived=False) & ~Q(shortcut=""),
                fields=("shortcut",),
                name="label_shortcut_unique_among_active",
            ),
        ),
    ]
