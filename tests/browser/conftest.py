"""Real-browser tests: Playwright drives Debian's chromium against pytest-django's live server.

When /usr/bin/chromium is missing these tests fail (they never skip): CI must run them.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves (fixtures, DB checks) are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "pass-for-tests"


# Each journey file sets: pytestmark = BROWSER.
BROWSER = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Problems(list):
    """Console errors, failed requests and HTTP errors seen by a page."""

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda msg: (
                self.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning") and not _ignored(msg.text)
                else None
            ),
        )
        page.on("pageerror", lambda exc: self.append(f"page error: {exc}"))
        page.on(
            "requestfailed",
            lambda req: (
                self.append(f"request failed: {req.url} {req.failure}")
                # ERR_ABORTED: a poll still in flight when the test navigates away, not a failure
                if not _ignored(req.url) and "ERR_ABORTED" not in (req.failure or "")
                else None
            ),
        )
        page.on(
            "response",
            lambda res: self.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None,
        )


def _ignored(text: str) -> bool:
    # The browser fetches the favicon on its own and drops that fetch when a test navigates.
    return bool(re.search(r"favicon\.(ico|svg)", text))


@pytest.fixture
def problems():
    return Problems()


@pytest.fixture
def page(browser, live_server, problems):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems.watch(page)
    yield page
    context.close()


@pytest.fixture
def login(page):
    def login(user) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return login


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def select_phrase(
    page, phrase: str, occurrence: int = 0, root: str = "#doc-text", rtl: bool = False
) -> None:
    """Drag the mouse over `phrase` inside `root` (the document text unless told), scrolled
    into view, as a reviewer would; in right-to-left text from the first character's right
    edge to the last one's left edge."""
    box = page.evaluate(
        """([phrase, occurrence, selector, rtl]) => {
          const root = document.querySelector(selector);
          const text = root.textContent;
          let at = -1;
          for (let i = 0; i <= occurrence; i++) at = text.indexOf(phrase, at + 1);
          if (at < 0) throw new Error('phrase not found: ' + phrase);
          const point = (u16) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let seen = 0, node;
            while ((node = walker.nextNode())) {
              if (u16 < seen + node.data.length) return [node, u16 - seen];
              seen += node.data.length;
            }
          };
          const rect = (u16) => {
            const [node, offset] = point(u16);
            const range = document.createRange();
            range.setStart(node, offset);
            // one whole character, surrogate pairs included
            const code = node.data.charCodeAt(offset);
            range.setEnd(node, offset + (code >= 0xd800 && code <= 0xdbff ? 2 : 1));
            return range.getBoundingClientRect();
          };
          point(at)[0].parentElement.scrollIntoView({block: 'center'});
          window.scrollBy(0, rect(at).top - window.innerHeight / 2);  // long marks, long pages
          const first = rect(at), last = rect(at + phrase.length - 1);
          return {x1: rtl ? first.right - 1 : first.left + 1, y1: first.top + first.height / 2,
                  x2: rtl ? last.left + 1 : last.right - 1, y2: last.top + last.height / 2};
        }""",
        [phrase, occurrence, root, rtl],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


def char_rect(page, phrase: str, last: bool = False) -> dict:
    """The box of the first (or last) character of `phrase` in #doc-text, and of #doc-text."""
    return page.evaluate(
        """([phrase, last]) => {
          const root = document.getElementById('doc-text');
          const at = root.textContent.indexOf(phrase) + (last ? phrase.length - 1 : 0);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let seen = 0, node;
          while ((node = walker.nextNode()) && at >= seen + node.data.length) seen += node.data.length;
          const range = document.createRange();
          range.setStart(node, at - seen);
          range.setEnd(node, at - seen + 1);
          const r = range.getBoundingClientRect(), box = root.getBoundingClientRect();
          return {left: r.left, right: r.right, top: r.top, height: r.height,
                  fromLeft: r.left - box.left, fromRight: box.right - r.right,
                  direction: getComputedStyle(root).direction};
        }""",
        [phrase, last],
    )
