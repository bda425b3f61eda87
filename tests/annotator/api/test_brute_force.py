"""Brute force: login lockouts (django-axes), throttled anonymous and bad-token API calls,
counters in the shared cache."""

import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient

from annotator.api.auth import AnonThrottle, UserThrottle, throttle_reset
from tests.factories import UserFactory, api_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(db):
    user = UserFactory(username="victim", role="reviewer")
    user.is_staff = True  # the admin login accepts staff only
    user.save()
    return user


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_login_locks_out_after_ten_failures_in_a_row(client, victim, settings, url):
    for _ in range(9):
        response = client.post(url, {"username": "victim", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post(url, {"username": "victim", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Locked: even the right password is refused from this address for a while.
    response = client.post(url, {"username": "victim", "password": "pass-for-tests"})
    assert response.status_code == 429
    # Another address is not locked out.
    other = client.post(
        url, {"username": "victim", "password": "pass-for-tests"}, REMOTE_ADDR="10.9.8.7"
    )
    assert other.status_code == 302


def test_success_resets_the_failure_count(client, victim):
    for _ in range(9):
        client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "victim", "password": "pass-for-tests"})
    assert response.status_code == 302
    client.logout()
    for _ in range(9):
        client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "victim", "password": "pass-for-tests"})
    assert response.status_code == 302


def test_anonymous_api_calls_are_throttled(monkeypatch):
    monkeypatch.setattr(AnonThrottle, "THROTTLE_RATES", {"anon": "5/minute"})
    client = APIClient()
    codes = [client.get("/api/annotations/").status_code for _ in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_bad_tokens_are_throttled_per_ip_even_with_a_good_token_after(reviewer):
    from rest_framework.authtoken.models import Token

    good = Token.objects.create(user=reviewer).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    codes = [client.get("/api/documents/").status_code for _ in range(22)]
    assert codes[:20] == [401] * 20
    assert codes[20:] == [429, 429]
    client.credentials(HTTP_AUTHORIZATION="Token " + good)
    response = client.get("/api/documents/")
    assert response.status_code == 429 and "wrong token" in response.json()["detail"]
    other_ip = client.get("/api/documents/", REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 200


def test_throttle_counters_live_in_the_shared_database_cache(reviewer, settings):
    settings.API_THROTTLE_SYNC_SECONDS = 0
    assert type(caches["default"]).__name__ == "DatabaseCache"
    api_for(reviewer).get("/api/labels/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM annotator_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("throttle_user" in key for key in keys)


def test_two_processes_share_one_user_rate(reviewer, monkeypatch, settings):
    """Each 'process' (its local counts forgotten in between) adds to the same shared count."""
    settings.API_THROTTLE_SYNC_SECONDS = 0
    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", {"user": "6/minute"})
    api = api_for(reviewer)
    codes = []
    for _process in range(2):
        throttle_reset()
        codes += [api.get("/api/labels/").status_code for _ in range(4)]
    assert codes == [200] * 6 + [429] * 2


def test_signed_in_calls_sync_the_count_once_per_interval(
    reviewer, settings, django_assert_max_num_queries
):
    settings.API_THROTTLE_SYNC_SECONDS = 60
    api = api_for(reviewer)
    api.get("/api/labels/")
    # token+user, roles, labels: no cache query while the interval lasts.
    with django_assert_max_num_queries(3):
        assert api.get("/api/labels/").status_code == 200


def test_migrate_creates_the_cache_table():
    """serve and the tests migrate; the table behind the shared cache comes with every migrate."""
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE annotator_cache")
    assert "annotator_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert "annotator_cache" in connection.introspection.table_names()
