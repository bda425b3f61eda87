from django.db import migrations

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
LABELS = [
    ("Sourced", "sourced", "#0072B2", "1", "A claim attributed to a named source.", 1),
    ("Disputed", "disputed", "#E69F00", "2", "A contested, denied, hedged or unverified claim.", 2),
    (
        "Propaganda",
        "propaganda",
        "#CC79A7",
        "3",
        "Loaded language, name calling, slogans, flag-waving, appeals to fear.",
        3,
    ),
]

ROLE_PERMISSIONS = {
    "reviewer": [
        "corpus.view_collection",
        "corpus.view_document",
        "annotator.view_label",
        "annotator.add_annotation",
        "annotator.change_annotation",
        "annotator.delete_annotation",
        "annotator.view_annotation",
        "annotator.view_suggestion",
        "annotator.change_suggestion",
        "annotator.view_suggestionrun",
        "annotator.add_suggestionrun",
        "annotator.view_assignment",
    ],
    "lead": [
        "corpus.view_collection",
        "corpus.change_collection",
        "corpus.view_document",
        "annotator.view_label",
        "annotator.add_annotation",
        "annotator.change_annotation",
        "annotator.delete_annotation",
        "annotator.view_annotation",
        "annotator.view_suggestion",
        "annotator.change_suggestion",
        "annotator.view_suggestionrun",
        "annotator.add_suggestionrun",
        "annotator.add_assignment",
        "annotator.change_assignment",
        "annotator.delete_assignment",
        "annotator.view_assignment",
        "annotator.view_agreementreport",
    ],
}


def create_labels_and_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; the roles below need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Label = apps.get_model("annotator", "Label")
    for name, slug, colour, shortcut, description, order in LABELS:
        Label.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "colour": colour,
                "shortcut": shortcut,
                "description": description,
                "order": order,
            },
        )

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["corpus", "annotator", "auth", "authtoken"])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0001_initial"),
        ("corpus", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(create_labels_and_roles, migrations.RunPython.noop)]
