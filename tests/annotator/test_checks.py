"""Production safety: no demo users, and `check --deploy` refuses demo passwords."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.factories import UserFactory


def test_production_demo_setup_creates_no_users(db, settings):
    settings.DEMO_USERS_ALLOWED = False
    out = StringIO()
    call_command("demo_setup", stdout=out)
    assert not get_user_model().objects.filter(username__in=["admin", "lead", "reviewer"]).exists()
    assert "not created" in out.getvalue()


def test_production_default_is_no_demo_users():
    """DEMO_USERS_ALLOWED follows DEBUG as read from the environment (DEBUG=0 serve)."""
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEMO_USERS_ALLOWED)"
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "annotator.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert result.stdout.strip() == "False", result.stderr


def test_check_deploy_fails_on_a_demo_password(db):
    user = UserFactory(username="admin2", role="lead")
    user.set_password("admin-demo-pass")
    user.save()
    with pytest.raises(SystemCheckError, match=r"annotator\.E001.*admin2"):
        call_command("check", deploy=True, tags=["security"], stdout=StringIO(), stderr=StringIO())


def test_check_deploy_passes_without_demo_passwords(db):
    UserFactory(username="admin2", role="lead")
    inactive = UserFactory(username="gone")
    inactive.set_password("lead-demo-pass")
    inactive.is_active = False
    inactive.save()
    # Only the security checks: a browser test's DJANGO_ALLOW_ASYNC_UNSAFE trips another one.
    call_command("check", deploy=True, tags=["security"], stdout=StringIO(), stderr=StringIO())
