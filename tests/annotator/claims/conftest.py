import pytest

from annotator.celery import app
from tests.annotator.claims.pages import page_server


@pytest.fixture(scope="session")
def pages():
    """Base URL of the local source pages."""
    with page_server() as url:
        yield url


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Archived copies go to a fresh folder; local pages may be fetched."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FETCH_ALLOW_PRIVATE = True


@pytest.fixture
def eager():
    """Queued tasks run at once, in the test's process (their on_commit callbacks captured)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
