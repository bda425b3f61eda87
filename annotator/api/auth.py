"""API authentication and the login check, throttled before they refuse.

DRF checks permissions before throttles, so an anonymous call (401) or a wrong token never
reached a throttle: token guessing and anonymous floods ran unlimited. Here the anonymous rate
is counted before a 401, and wrong tokens are counted per IP and refused once over the
`bad_token` rate, before the token is even looked up. Counters live in the shared cache.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request


class BadTokenThrottle(throttling.SimpleRateThrottle):
    """Wrong tokens per client IP."""

    scope = "bad_token"

    def get_cache_key(self, request: Request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def over_limit(self, request: Request) -> bool:
        """Whether the IP has used up its failures (without counting this request)."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self) -> None:
        self.throttle_success()


class ThrottledTokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request):
        if not authentication.get_authorization_header(request):
            return None
        throttle = BadTokenThrottle()
        if throttle.over_limit(request):
            raise exceptions.Throttled(throttle.wait(), detail=_too_many_failures(throttle))
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure()
            raise


def _too_many_failures(throttle: BadTokenThrottle) -> str:
    return (
        f"Too many requests with a wrong token from your address; "
        f"try again in {int(throttle.wait() or 1)} seconds."
    )


class IsAuthenticated(permissions.IsAuthenticated):
    """Logged in; an anonymous call counts against the anonymous rate before its 401."""

    def has_permission(self, request: Request, view) -> bool:
        if super().has_permission(request, view):
            return True
        throttle = throttling.AnonRateThrottle()
        if not throttle.allow_request(request, view):
            raise exceptions.Throttled(throttle.wait())
        return False
