import pytest

from tests.annotator.workers import Workers, purge_queues


@pytest.fixture
def workers(tmp_path):
    """Real worker processes on the configured broker; stopped when the test ends."""
    purge_queues()
    pool = Workers(tmp_path)
    yield pool
    pool.stop()
