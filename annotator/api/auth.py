"""API throttles with counters in the shared cache, and throttled authentication.

DRF checks permissions before throttles, so an anonymous call (401) or a wrong token never
reached a throttle: token guessing and anonymous floods ran unlimited. Here the anonymous rate
is counted before a 401, and wrong tokens are counted per IP and refused once over the
`bad_token` rate, before the token is even looked up.

Counters are fixed windows in Django's cache, which every process shares (a database table by
default, Redis when configured). Anonymous and wrong-token calls update it on every request;
a signed-in user's count is added to it at most every API_THROTTLE_SYNC_SECONDS per process,
so ordinary calls cost no cache round trip (a process may admit one interval's requests over).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

_local: dict[str, list] = {}  # key -> [pending, shared count, last sync]; this process only
_local_lock = threading.Lock()


def throttle_reset() -> None:
    """Forget this process's unsynchronised counts (tests clear the shared cache too)."""
    with _local_lock:
        _local.clear()


class SharedRateThrottle(throttling.SimpleRateThrottle):
    sync_seconds = 0.0

    def allow_request(self, request: Request, view) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.retry_after = (window + 1) * self.duration - self.now
        return self.count(f"{ident}:{window}", add=1) <= self.num_requests

    def count(self, key: str, add: int, sync: bool = False) -> int:
        """This process's count plus the shared one as last read (re-read when due)."""
        with _local_lock:
            if len(_local) > 10_000:
                _local.clear()
            # New here: counted from 0 until the first sync (a fresh process may admit one
            # interval's requests; a failure syncs at once).
            entry = _local.setdefault(key, [0, 0, time.monotonic()])
            entry[0] += add
            due = time.monotonic() - entry[2] >= self.sync_seconds
            if sync or self.sync_seconds <= 0 or due:
                pending, entry[0], entry[2] = entry[0], 0, time.monotonic()
                entry[1] = self._shared_add(key, pending)
            return entry[0] + entry[1]

    def _shared_add(self, key: str, amount: int) -> int:
        self.cache.add(key, 0, self.duration + 1)
        if amount == 0:
            return self.cache.get(key, 0)
        try:
            return self.cache.incr(key, amount)
        except ValueError:  # expired between add and incr
            self.cache.set(key, amount, self.duration + 1)
            return amount

    def wait(self) -> float:
        return self.retry_after


class UserThrottle(SharedRateThrottle):
    """Per signed-in user (or IP); the count reaches the shared cache every sync interval."""

    scope = "user"

    @property
    def sync_seconds(self) -> float:
        return settings.API_THROTTLE_SYNC_SECONDS

    def get_cache_key(self, request: Request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonThrottle(SharedRateThrottle):
    """Per anonymous IP, exact across processes."""

    scope = "anon"

    def get_cache_key(self, request: Request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BadTokenThrottle(SharedRateThrottle):
    """Wrong tokens per client IP: every failure is added to the shared count at once; a
    request with a token reads it at most every sync interval."""

    scope = "bad_token"

    @property
    def sync_seconds(self) -> float:
        return settings.API_THROTTLE_SYNC_SECONDS

    def key(self, request: Request) -> str:
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.retry_after = (window + 1) * self.duration - self.now
        ident = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return f"{ident}:{window}"

    def over_limit(self, request: Request) -> bool:
        """Whether the IP has used up its failures (without counting this request)."""
        return self.count(self.key(request), add=0) >= self.num_requests

    def record_failure(self, request: Request) -> None:
        self.count(self.key(request), add=1, sync=True)


class ThrottledTokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request):
        if not authentication.get_authorization_header(request):
            return None
        throttle = BadTokenThrottle()
        if throttle.over_limit(request):
            raise exceptions.Throttled(
                throttle.wait(),
                detail="Too many requests with a wrong token from your address.",
            )
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise


class IsAuthenticated(permissions.IsAuthenticated):
    """Logged in; an anonymous call counts against the anonymous rate before its 401."""

    def has_permission(self, request: Request, view) -> bool:
        if super().has_permission(request, view):
            return True
        throttle = AnonThrottle()
        if not throttle.allow_request(request, view):
            raise exceptions.Throttled(throttle.wait())
        return False
