"""System checks: production refuses accounts that still use a published demo password."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


def demo_passwords() -> list[str]:
    from annotator.management.commands.demo_setup import DEMO_USERS

    return [password for *_, password, _role, _superuser in DEMO_USERS]


@register(Tags.security, deploy=True)
def check_demo_passwords(app_configs=None, **kwargs) -> list[Error]:
    """`check --deploy` fails while any active user logs in with a demo password (README)."""
    passwords = demo_passwords()
    User = get_user_model()
    users = User.objects.filter(is_active=True).exclude(password__startswith="!")
    try:
        exposed = [
            username
            for username, encoded in users.values_list(User.USERNAME_FIELD, "password")
            if any(check_password(password, encoded) for password in passwords)
        ]
    except DatabaseError:  # not migrated yet: no users to worry about
        return []
    if not exposed:
        return []
    return [
        Error(
            f"Users with a published demo password: {', '.join(sorted(exposed))}.",
            hint="Change their passwords (manage.py changepassword USER) or deactivate them.",
            id="annotator.E001",
        )
    ]
