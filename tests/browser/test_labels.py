"""Journey: an admin adds a fourth label; a reviewer tags with its key and sees its colour and
its own badge (styles generated from the label, none written for it)."""

from annotator.models import Annotation, Label
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "The minister said the sea would be moved inland by Tuesday, sources joked."


def test_admin_adds_a_label_and_a_reviewer_tags_with_it(page, login, problems):
    admin = UserFactory(username="ada", role="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    document = DocumentFactory(text=TEXT)
    login(admin)
    page.goto("/admin/annotator/label/add/")
    page.fill("#id_name", "Satire")
    page.fill("#id_badge", "S")
    page.fill("#id_colour", "#009e73")
    page.fill("#id_shortcut", "a")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    # S is Sourced's badge and a accepts suggestions: both refused, with the reason
    assert "already the badge of Sourced" in page.content()
    assert "reserved: it is the key to accept the current suggestion" in page.content()
    page.fill("#id_badge", "Sa")
    page.fill("#id_shortcut", "4")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/annotator/label/")
    assert Label.objects.get(slug="satire").colour == "#009E73"

    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")
    select_phrase(page, "the sea would be moved inland by Tuesday")
    page.keyboard.press("4")
    mark = page.locator("#doc-text mark.ann.l-satire").first
    mark.wait_for()
    assert Annotation.objects.get().label.slug == "satire"
    colours = mark.evaluate(
        """m => ({bg: getComputedStyle(m).backgroundColor,
                  line: getComputedStyle(m).borderBottomColor,
                  badge: getComputedStyle(m, '::before').backgroundColor,
                  letter: getComputedStyle(m, '::before').content})"""
    )
    assert colours == {
        "bg": "rgba(0, 158, 115, 0.22)",
        "line": "rgb(0, 158, 115)",
        "badge": "rgb(0, 158, 115)",
        "letter": '"Sa"',
    }
    row_badge = page.locator(".ann-row .badge").first
    assert row_badge.text_content() == "Sa"
    assert row_badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 158, 115)"
    assert problems == [], problems
