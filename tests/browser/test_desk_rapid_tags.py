"""Journey: three tags pressed faster than the server answers are all saved, in order (htmx
used to keep only the last waiting request of a form: the middle tag was lost)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the 😀 troops arrived, according to Reuters, on Tuesday at dawn."


def test_tags_pressed_while_one_is_saving_are_all_saved(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    held, passed = [], []

    def hold_the_first(route):
        if held:
            passed.append(route.request.post_data)
            route.continue_()
        else:
            held.append(route)

    page.route(f"**/documents/{document.pk}/annotations/", hold_the_first)
    select_phrase(page, "troops arrived")
    page.keyboard.press("2")
    page.wait_for_timeout(200)
    assert len(held) == 1  # the first tag is on its way, the server has not answered
    select_phrase(page, "according to Reuters")
    page.keyboard.press("1")
    select_phrase(page, "at dawn")
    page.keyboard.press("3")
    held[0].continue_()
    expect(page.locator(".ann-list .ann-row")).to_have_count(3)
    assert len(passed) == 2  # each waiting tag went out with its own span and label
    saved = list(Annotation.objects.order_by("pk").values_list("label__slug", "quote"))
    assert saved == [
        ("disputed", "troops arrived"),
        ("sourced", "according to Reuters"),
        ("propaganda", "at dawn"),
    ]
    assert problems == []
