"""The safe fetcher against real HTTP servers on 127.0.0.1 (no test reaches the internet)."""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from requests_hardened.ip_filter import InvalidIPAddress
from warcio.archiveiterator import ArchiveIterator

from corpus.fetching import FetchError, UnsafeURL, _manager, extract, fetch, url_check

ARTICLE = """<!doctype html><html><head><title>Dam figures revised</title>
<meta name="author" content="Ana Ruiz"><meta property="article:published_time" content="2024-03-05">
</head><body><nav>Home | World</nav><article><h1>Dam figures revised</h1>
<p>The ministry said on Tuesday that 1,200 people were evacuated from the valley, according to
officials who spoke at a press conference in the capital.</p>
<p>Opposition leaders disputed the figure and called the response a disgrace, saying that
many villages received no warning before the water arrived.</p>
<p>Engineers will inspect the dam again next week, the ministry added in its statement.</p>
</article><footer>Copyright</footer></body></html>"""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        routes = {
            "/article": (200, "text/html; charset=utf-8", ARTICLE.encode()),
            "/plain": (200, "text/plain; charset=utf-8", "Plain text é".encode()),
            "/binary": (200, "application/octet-stream", b"\x00\x01"),
            "/missing": (404, "text/html", b"<p>gone</p>"),
        }
        if self.path in routes:
            status, kind, body = routes[self.path]
            self._send(status, kind, body)
        elif self.path.startswith("/redirect-to/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect-to/"))
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/huge":
            # No Content-Length: the limit must hold while streaming.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(64):  # 4 MiB
                self.wfile.write(chunk)
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, "text/html", b"late")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def private_allowed(settings):
    settings.FETCH_ALLOW_PRIVATE = True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_refuses_non_public_addresses(url, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL, match="not a public address"):
        url_check(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x", "javascript:alert(1)"]
)
def test_refuses_other_schemes(url, settings):
    settings.FETCH_ALLOW_PRIVATE = True
    with pytest.raises(UnsafeURL, match="Only http and https"):
        url_check(url)


def test_refuses_credentials_in_url(settings):
    settings.FETCH_ALLOW_PRIVATE = True
    with pytest.raises(UnsafeURL, match="user name or password"):
        url_check("http://user:secret@example.org/")


def test_local_server_refused_by_default(server, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL):
        fetch(server + "/article")


def test_connection_itself_refuses_private_addresses(server, settings):
    """Second layer: even past the name check, the connection refuses a private address."""
    settings.FETCH_ALLOW_PRIVATE = False
    with _manager().get_session() as session, pytest.raises(InvalidIPAddress, match="127.0.0.1"):
        session.get(server + "/article", timeout=2)


def test_fetches_page_and_keeps_warc(server, private_allowed):
    fetched = fetch(server + "/article")
    assert fetched.status == 200
    assert fetched.body == ARTICLE.encode()
    records = [
        (
            r.rec_type,
            r.rec_headers.get_header("WARC-Target-URI"),
            r.http_headers.get_statuscode(),
            r.content_stream().read(),
        )
        for r in ArchiveIterator(io.BytesIO(fetched.warc()))
    ]
    assert [r[0] for r in records] == ["request", "response"]
    assert records[1][1:] == (server + "/article", "200", ARTICLE.encode())
    # gzip per record, as web archives expect
    assert gzip.decompress(fetched.warc()).startswith(b"WARC/1.")


def test_extracts_article_text_and_metadata(server, private_allowed):
    extracted = extract(fetch(server + "/article"))
    assert "1,200 people were evacuated" in extracted.text
    assert "Home | World" not in extracted.text
    assert extracted.title == "Dam figures revised"
    assert extracted.author == "Ana Ruiz"
    assert extracted.date == "2024-03-05"


def test_plain_text_is_decoded_with_its_charset(server, private_allowed):
    fetched = fetch(server + "/plain")
    assert extract(fetched).text == "Plain text é"


def test_follows_redirects_checking_each(server, private_allowed):
    fetched = fetch(server + "/redirect-to/" + server + "/article")
    assert fetched.final_url == server + "/article"
    assert fetched.redirects == [server + "/redirect-to/" + server + "/article"]


def test_redirect_to_another_scheme_is_refused(server, private_allowed):
    with pytest.raises(UnsafeURL, match="Only http and https"):
        fetch(server + "/redirect-to/file:///etc/passwd")


def test_redirect_to_private_address_is_refused(server, settings, monkeypatch):
    """The first hop may be allowed; the redirect's address is checked on its own."""
    import corpus.fetching as fetching

    checked = []
    real_check = fetching.url_check

    def check(url: str) -> None:
        checked.append(url)
        if len(checked) > 1:
            settings.FETCH_ALLOW_PRIVATE = False
        real_check(url)

    settings.FETCH_ALLOW_PRIVATE = True
    monkeypatch.setattr(fetching, "url_check", check)
    with pytest.raises(UnsafeURL):
        fetch(server + "/redirect-to/http://169.254.169.254/latest/")
    assert checked[-1] == "http://169.254.169.254/latest/"


def test_redirect_loop_stops(server, private_allowed):
    with pytest.raises(FetchError, match="redirects"):
        fetch(server + "/loop", max_redirects=3)


def test_content_type_not_allowed(server, private_allowed):
    with pytest.raises(FetchError, match="application/octet-stream"):
        fetch(server + "/binary")


def test_size_limit_while_streaming(server, private_allowed):
    with pytest.raises(FetchError, match="larger than 1048576 bytes"):
        fetch(server + "/huge", max_bytes=1024 * 1024)


def test_time_limit(server, private_allowed):
    started = time.monotonic()
    with pytest.raises(FetchError, match="in time|too long"):
        fetch(server + "/slow", timeout=1)
    assert time.monotonic() - started < 2.5


def test_error_status_is_returned_not_raised(server, private_allowed):
    assert fetch(server + "/missing").status == 404


def test_unknown_host_is_a_fetch_error(settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(FetchError, match="could not be found"):
        url_check("http://no-such-host.invalid/")
