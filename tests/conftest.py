import importlib

import pytest
from django.core.cache import cache

from annotator.api.auth import throttle_reset
from tests.factories import EMOJI_TEXT, DocumentFactory, UserFactory


@pytest.fixture
def reviewer(db):
    """The reviewer whose work a test is about."""
    return UserFactory(username="rita", role="reviewer")


@pytest.fixture
def other_reviewer(db):
    return UserFactory(username="omar", role="reviewer")


@pytest.fixture
def lead(db):
    return UserFactory(username="lena", role="lead")


@pytest.fixture
def outsider(db):
    """Logged in, but holds no role."""
    return UserFactory(username="otto")


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="ada")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def document(db):
    return DocumentFactory()


@pytest.fixture
def emoji_document(db):
    return DocumentFactory(title="Emoji report", text=EMOJI_TEXT)


@pytest.fixture(autouse=True)
def _labels_and_roles_after_flush(request):
    """Transactional tests empty every table when they end, migrated labels and roles included;
    seed them again so such tests do not depend on the order they run in."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    importlib.import_module("annotator.migrations.0002_labels_and_roles").create_labels_and_roles(
        apps, None
    )
    importlib.import_module("annotator.migrations.0003_suggestion_decisions").grant_decision_view(
        apps, None
    )
    importlib.import_module("annotator.migrations.0005_labels_as_data").badges_fill(apps, None)
    importlib.import_module("annotator.migrations.0005_claims").seed_ratings(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """API throttling counts live in the cache (a database table by default): each test that
    may use it starts afresh. Tests without a database cannot touch it."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    cache.clear()
    throttle_reset()
    yield
    cache.clear()
    throttle_reset()


@pytest.fixture(autouse=True)
def _throttle_syncs_rarely(settings):
    """A signed-in user's API count reaches the shared cache (a table) once a second: a
    test slower than that would count the cache's queries in its query-count assertion.
    Tests of the throttle set their own interval."""
    settings.API_THROTTLE_SYNC_SECONDS = 3600


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
