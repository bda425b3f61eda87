"""Shared setup for the "Done when" walks of issue 17 (keyboard only, mouse only): a fourth
label added in the admin, an English and an Arabic article, a collection to upload to."""

import json

from annotator.models import Annotation
from tests.factories import CollectionFactory, DocumentFactory, UserFactory

ENGLISH = (
    "Officials said the troops arrived at dawn, according to Reuters, on Tuesday.\n\n"
    "The ministry denied the report and called it a fabrication."
)
ARABIC = "قال المسؤولون إن القوات وصلت فجرا، وفقا لرويترز، يوم الثلاثاء."
UPLOADS = [
    {
        "name": "wire.jsonl",
        "mimeType": "application/json",
        "buffer": "\n".join(
            json.dumps({"title": f"Wire {n}", "text": f"The ministry denied wire story {n}."})
            for n in (1, 2)
        ).encode(),
    },
    {"name": "note.txt", "mimeType": "text/plain", "buffer": b"A plain story from a reader."},
]
SATIRE_GREEN = "rgb(0, 158, 115)"


def walk_setup():
    admin = UserFactory(username="ada", role="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    collection = CollectionFactory(slug="desk", name="Desk")
    english = DocumentFactory(collection=collection, title="Troops at dawn", text=ENGLISH)
    arabic = DocumentFactory(collection=collection, title="وصول القوات", text=ARABIC, language="ar")
    return admin, collection, english, arabic


def spans() -> set[tuple[str, str]]:
    return set(Annotation.objects.values_list("label__slug", "quote"))


def satire_style(page, annotation_id: int) -> dict:
    return page.locator(f"#a-{annotation_id}").evaluate(
        """m => ({line: getComputedStyle(m).borderBottomColor,
                  badge: getComputedStyle(m, '::before').backgroundColor,
                  letter: getComputedStyle(m, '::before').content})"""
    )
