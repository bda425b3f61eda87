import pytest

from annotator.events.endpoints import secret_new
from tests.annotator.events.receiver import Receiver


@pytest.fixture
def secret():
    return secret_new()


@pytest.fixture
def receiver(secret):
    server = Receiver(secret)
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    """Local receivers allowed; retries after tenths of seconds instead of minutes."""
    settings.FETCH_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.2
    settings.WEBHOOK_TIMEOUT = 1
