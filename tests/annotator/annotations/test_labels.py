"""Labels as data: validated in the admin, styled from the rows, archived instead of deleted."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from annotator.annotations.label_styles import label_css, text_colour_on
from annotator.annotations.services import annotation_create
from annotator.models import Annotation, Label
from tests.factories import AnnotationFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db

SATIRE = {
    "name": "Satire",
    "slug": "satire",
    "badge": "Sa",
    "colour": "#009e73",
    "shortcut": "4",
    "description": "",
    "order": 4,
}


@pytest.fixture
def admin_client_logged(client, admin_user):
    client.force_login(admin_user)
    return client


def _add(client, **changes):
    return client.post(reverse("admin:annotator_label_add"), {**SATIRE, **changes})


def test_admin_adds_a_label_with_colour_badge_and_hotkey(admin_client_logged):
    response = _add(admin_client_logged)
    assert response.status_code == 302, response.content.decode()
    satire = Label.objects.get(slug="satire")
    assert (satire.colour, satire.badge, satire.letter, satire.shortcut) == (
        "#009E73",
        "Sa",
        "Sa",
        "4",
    )


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"colour": "red"}, "Give a hex colour such as #0072B2"),
        ({"badge": "s"}, "is already the badge of Sourced"),
        ({"shortcut": "a"}, "is reserved: it is the key to accept the current suggestion"),
        ({"shortcut": "J"}, "is reserved: it is the key to next suggestion"),
        ({"shortcut": "/"}, "is reserved: it is the key to search in the document"),
        ({"shortcut": "1"}, "is already the hotkey of Sourced"),
        ({"badge": ""}, "This field is required"),
    ],
)
def test_admin_refuses_bad_colour_badge_and_hotkey(admin_client_logged, changes, message):
    response = _add(admin_client_logged, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Label.objects.filter(slug="satire").exists()


def test_admin_offers_the_colour_blind_safe_palette(admin_client_logged):
    html = admin_client_logged.get(reverse("admin:annotator_label_add")).content.decode()
    assert 'type="color"' in html and 'list="label-palette"' in html
    assert '<option value="#009e73" label="bluish green">' in html


def test_archived_label_frees_its_hotkey(admin_client_logged):
    Label.objects.filter(slug="propaganda").update(archived=True)
    assert _add(admin_client_logged, shortcut="3").status_code == 302


def test_stylesheet_is_generated_from_the_labels(client, reviewer):
    Label.objects.create(**{**SATIRE, "colour": "#F0E442", "slug": "satire"})
    client.force_login(reviewer)
    response = client.get(reverse("annotator-label-css"))
    css = response.content.decode()
    assert response["Content-Type"].startswith("text/css")
    assert (
        ".l-satire { --c: rgb(240, 228, 66); --bg: rgba(240, 228, 66, .22); --on: #1B1B1B;" in css
    )
    assert ".l-sourced { --c: rgb(0, 114, 178);" in css and "--on: #FFFFFF" in css
    assert '.docpage[data-filter="satire"] .ann-row:not(.l-satire)' in css
    again = client.get(reverse("annotator-label-css"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    Label.objects.filter(slug="satire").update(colour="#000000")
    changed = client.get(reverse("annotator-label-css"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and "--c: rgb(0, 0, 0)" in changed.content.decode()


def test_pages_link_a_versioned_stylesheet_cached_long(client, reviewer):
    document = DocumentFactory(text="A satirical take on the news.")
    client.force_login(reviewer)

    def linked() -> str:
        html = client.get(reverse("annotator-document", args=[document.pk])).content.decode()
        found = re.search(r'href="(/labels\.css\?v=[0-9a-f]{16})"', html)
        assert found, "the page links no versioned labels.css"
        return found.group(1)

    url = linked()
    assert linked() == url  # stable while no label changes
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    Label.objects.create(**SATIRE)
    new_url = linked()
    assert new_url != url and ".l-satire" in client.get(new_url).content.decode()
    # an old version (or none) is revalidated, never cached for long
    assert client.get(url)["Cache-Control"] == "private, no-cache"
    assert client.get(reverse("annotator-label-css"))["Cache-Control"] == "private, no-cache"


def test_stylesheet_needs_a_login(client):
    assert client.get(reverse("annotator-label-css")).status_code == 302


def test_stylesheet_skips_slugs_unsafe_in_css():
    bad = Label(slug='x"] { } body', colour="#000000")
    assert label_css([bad]).count("{") == 0


def test_text_colour_is_the_more_readable_one():
    assert text_colour_on("#000000") == "#FFFFFF"
    assert text_colour_on("#F0E442") == "#1B1B1B"
    assert text_colour_on("not a colour") in {"#FFFFFF", "#1B1B1B"}


def test_no_label_is_named_in_the_static_css_or_js():
    static = Path(settings.BASE_DIR) / "static"
    slugs = list(Label.objects.values_list("slug", flat=True))
    assert slugs
    for path in [*static.rglob("*.css"), *static.rglob("*.js")]:
        if "vendor" in path.parts:
            continue
        text = path.read_text().lower()
        for slug in slugs:
            assert slug not in text, f"{path.name} names the label {slug}"


def test_document_page_shows_a_new_label_with_its_badge_and_key(client, reviewer):
    satire = Label.objects.create(**SATIRE)
    document = DocumentFactory(text="A satirical take on the news.")
    AnnotationFactory(document=document, start=2, end=11, label=satire, created_by=reviewer)
    client.force_login(reviewer)
    html = client.get(reverse("annotator-document", args=[document.pk])).content.decode()
    assert 'class="ann l-satire lane-0"' in html and 'data-letter="Sa"' in html
    assert 'data-label="satire" data-shortcut="4"' in html
    assert reverse("annotator-label-css") in html


def test_used_label_cannot_be_deleted_and_the_admin_says_why(admin_client_logged):
    AnnotationFactory(label=label("propaganda"))
    propaganda = label("propaganda")
    response = admin_client_logged.post(
        reverse("admin:annotator_label_delete", args=[propaganda.pk]), {"post": "yes"}, follow=True
    )
    html = response.content.decode()
    assert "is used by 1 annotation(s)" in html and "Archive it instead" in html
    assert Label.objects.filter(pk=propaganda.pk).exists()


def test_unused_label_can_be_deleted(admin_client_logged):
    satire = Label.objects.create(**SATIRE)
    response = admin_client_logged.post(
        reverse("admin:annotator_label_delete", args=[satire.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Label.objects.filter(pk=satire.pk).exists()


def test_archived_label_is_hidden_from_new_work_and_kept_on_old(client, reviewer):
    document = DocumentFactory(text="Heroic defenders crushed the invaders.")
    old = AnnotationFactory(
        document=document, start=0, end=6, label=label("propaganda"), created_by=reviewer
    )
    Label.objects.filter(slug="propaganda").update(archived=True)
    client.force_login(reviewer)
    html = client.get(reverse("annotator-document", args=[document.pk])).content.decode()
    assert 'data-label="propaganda"' not in html  # no button, no hotkey
    assert f'data-a="{old.pk}"' in html and "l-propaganda" in html  # the old one still shows
    response = client.post(
        reverse("annotator-annotation-add", args=[document.pk]),
        {"start": 7, "end": 16, "quote": "defenders", "label": "propaganda"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "archived" in response.content.decode()
    assert Annotation.objects.count() == 1


def test_archived_label_stays_when_an_old_annotation_is_edited(reviewer):
    from annotator.annotations.services import annotation_update

    annotation = AnnotationFactory(label=label("propaganda"), created_by=reviewer)
    Label.objects.filter(slug="propaganda").update(archived=True)
    annotation.refresh_from_db()
    annotation_update(
        annotation=annotation, user=reviewer, version=annotation.version, label="propaganda",
        note="still propaganda",
    )  # fmt: skip
    annotation.refresh_from_db()
    assert annotation.note == "still propaganda"
    other = DocumentFactory(text="Glorious heroes.")
    with pytest.raises(Exception, match="archived"):
        annotation_create(document=other, created_by=reviewer, start=0, end=8, label="propaganda")


def test_versioned_link_costs_the_document_page_no_query(
    client, reviewer, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document = DocumentFactory(text="A satirical take on the news.")
    client.force_login(reviewer)
    url = reverse("annotator-document", args=[document.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as page:
        html = client.get(url).content.decode()
    assert "/labels.css?v=" in html
    label_reads = [q["sql"] for q in page.captured_queries if 'FROM "annotator_label"' in q["sql"]]
    assert len(label_reads) == 1, label_reads
