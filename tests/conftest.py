import pytest

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
