"""Fetching a web page on a user's behalf, safely, and keeping it as a WARC record.

One fetcher for every outbound request the product makes (archived evidence, import by URL,
webhooks): only http and https; the resolved address of the host and of every redirect must
be public (no loopback, private, link-local, metadata or other reserved ranges; checked when
the connection is made, so a name cannot resolve to one address when checked and another
when used) unless settings.FETCH_ALLOW_PRIVATE; size, time and redirect limits; only the
content types a caller allows. Nothing fetched is executed.

requests, requests_hardened and warcio are imported by the first fetch, post or WARC: the
processes that import this module and idle (the web server's, the worker's) keep 7 MB less.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from django.conf import settings

if TYPE_CHECKING:
    import requests
    from requests_hardened import Manager

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/pdf")
USER_AGENT = "claim-annotator/1.0 (+archiving sources for fact-checking)"


class FetchError(Exception):
    """The page could not be fetched; the message says why, for the user."""


class UnsafeURL(FetchError):
    """The URL's scheme or address is not allowed."""


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime
    headers: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def warc(self) -> bytes:
        """The exchange as a gzipped WARC file: a request record and a response record."""
        import requests
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        out = io.BytesIO()
        writer = WARCWriter(out, gzip=True)
        date = self.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        target = self.final_url
        path = urlsplit(target).path or "/"
        request_headers = StatusAndHeaders(
            f"GET {path} HTTP/1.1",
            [("Host", urlsplit(target).netloc), ("User-Agent", USER_AGENT)],
            is_http_request=True,
        )
        request = writer.create_warc_record(
            target,
            "request",
            http_headers=request_headers,
            warc_headers_dict={"WARC-Date": date},
        )
        response_headers = StatusAndHeaders(
            f"{self.status} {requests.status_codes._codes.get(self.status, ('',))[0]}".strip(),
            self.headers,
            protocol="HTTP/1.1",
        )
        response = writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(self.body),
            http_headers=response_headers,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": _record_id(request)},
        )
        writer.write_record(request)
        writer.write_record(response)
        return out.getvalue()


def _record_id(record) -> str:
    return record.rec_headers.get_header("WARC-Record-ID") or f"<urn:uuid:{uuid.uuid4()}>"


def _allow_private() -> bool:
    return bool(getattr(settings, "FETCH_ALLOW_PRIVATE", False))


def url_check(url: str) -> None:
    """Raise UnsafeURL unless `url` is http(s) with a host whose addresses are all public.

    A quick check with a clear message for forms and APIs; the fetch checks again when it
    connects (the address a name resolves to can change).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"Only http and https addresses can be fetched, not {parts.scheme!r}.")
    if not parts.hostname:
        raise UnsafeURL("The address has no host name.")
    if parts.username or parts.password:
        raise UnsafeURL("Addresses with a user name or password are not fetched.")
    if _allow_private():
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL("The address has an invalid port.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"The host {parts.hostname!r} could not be found.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global:
            raise UnsafeURL(
                f"{parts.hostname} resolves to {address}, which is not a public address."
            )


def _manager() -> Manager:
    from requests_hardened import Config, Manager

    return Manager(
        Config(
            ip_filter_enable=not _allow_private(),
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(5, 10),
            user_agent_override=USER_AGENT,
        )
    )


def fetch(
    url: str,
    *,
    content_types: tuple[str, ...] = PAGE_TYPES,
    max_bytes: int | None = None,
    timeout: float | None = None,
    max_redirects: int = 5,
) -> Fetched:
    """GET `url` following at most `max_redirects` redirects, each checked like the first.

    Raises FetchError (or UnsafeURL) with a message for the user: refused address, network
    error, time or size limit passed, content type not allowed. HTTP error statuses are not
    errors: the caller decides what a 404 means.
    """
    max_bytes = max_bytes or getattr(settings, "FETCH_MAX_BYTES", 10 * 1024 * 1024)
    timeout = timeout or getattr(settings, "FETCH_TIMEOUT", 20)
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    current = url
    with _manager().get_session() as session:
        for _ in range(max_redirects + 1):
            url_check(current)
            response = _get(session, current, deadline)
            if response.is_redirect and response.headers.get("location"):
                redirects.append(current)
                current = urljoin(current, response.headers["location"])
                response.close()
                continue
            return _read(url, current, response, redirects, content_types, max_bytes, deadline)
    raise FetchError(f"More than {max_redirects} redirects.")


_sessions = threading.local()


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` under the same address rules; returns the HTTP status.

    Redirects are not followed (a 3xx is the answer); at most 64 KiB of the answer is read.
    A session is kept per thread, so connections to a receiver are reused.
    Raises FetchError (UnsafeURL for a refused address) on network errors and timeouts.
    """
    import requests
    from requests_hardened.ip_filter import InvalidIPAddress

    url_check(url)
    session = getattr(_sessions, "session", None)
    if session is None or getattr(_sessions, "private", None) != _allow_private():
        session = _sessions.session = _manager().get_session()
        # No proxy, netrc or CA-bundle lookups in the environment on every POST (they cost
        # more than the loopback request itself); a proxy would bypass the address rules anyway.
        session.trust_env = False
        _sessions.private = _allow_private()
    try:
        response = session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(min(5, timeout), timeout),
        )
        # Read a little of the answer (all of a short one, so the connection is reused).
        next(response.iter_content(64 * 1024), None)
    except InvalidIPAddress as exc:
        raise UnsafeURL(f"The address is not public: {exc}") from None
    except requests.Timeout:
        raise FetchError(f"No answer within {timeout:g} s.") from None
    except requests.RequestException as exc:
        raise FetchError(f"The request failed: {type(exc).__name__}.") from None
    response.close()
    return response.status_code


def _get(session: requests.Session, url: str, deadline: float) -> requests.Response:
    import requests
    from requests_hardened.ip_filter import InvalidIPAddress

    left = max(0.5, deadline - time.monotonic())
    try:
        return session.get(
            url, stream=True, allow_redirects=False, timeout=(min(5, left), min(10, left))
        )
    except InvalidIPAddress as exc:
        raise UnsafeURL(f"The address is not public: {exc}") from None
    except requests.Timeout:
        raise FetchError("The server did not answer in time.") from None
    except requests.RequestException as exc:
        raise FetchError(f"The page could not be fetched: {type(exc).__name__}.") from None


def _read(url, final_url, response, redirects, content_types, max_bytes, deadline) -> Fetched:
    import requests

    content_type = response.headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    if content_types and mime not in content_types:
        response.close()
        raise FetchError(f"Content type {mime or 'unknown'!r} is not fetched.")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        response.close()
        raise FetchError(f"The page is larger than {max_bytes} bytes.")
    body = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"The page is larger than {max_bytes} bytes.")
            if time.monotonic() > deadline:
                raise FetchError("The page took too long to download.")
    except requests.RequestException as exc:
        raise FetchError(f"The download failed: {type(exc).__name__}.") from None
    finally:
        response.close()
    return Fetched(
        url=url,
        final_url=final_url,
        status=response.status_code,
        content_type=content_type,
        body=bytes(body),
        fetched_at=datetime.now(UTC),
        headers=[(k, v) for k, v in response.raw.headers.items()],
        redirects=redirects,
    )


@dataclass
class Extracted:
    text: str
    title: str = ""
    author: str = ""
    date: str = ""


def extract(fetched: Fetched) -> Extracted:
    """The readable text and metadata of a fetched page (trafilatura for HTML)."""
    mime = fetched.content_type.split(";")[0].strip().lower()
    if mime == "text/plain":
        return Extracted(text=fetched.text())
    if mime == "application/pdf":
        return Extracted(text="")
    import trafilatura

    html = fetched.text()
    document = trafilatura.bare_extraction(
        html, url=fetched.final_url, with_metadata=True, include_comments=False
    )
    if document is None:
        return Extracted(text="")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    return Extracted(
        text=data.get("text") or "",
        title=data.get("title") or "",
        author=data.get("author") or "",
        date=data.get("date") or "",
    )
