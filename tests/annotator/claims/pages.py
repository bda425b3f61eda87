"""A local HTTP server with source pages for archiving tests (no test reaches the internet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = """<!doctype html><html><head><title>Ministry revises evacuation count</title>
<meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2024-03-05">
</head><body><nav>Home | World</nav><article><h1>Ministry revises evacuation count</h1>
<p>The ministry said on Tuesday that 1,200 people were evacuated from the valley, according to
officials who spoke at a press conference in the capital.</p>
<p>Opposition leaders disputed the figure, saying that only 300 people had actually left
their homes before the water arrived in the lower villages.</p>
<p>Engineers will inspect the dam again next week, the ministry added in its statement.</p>
</article><footer>Copyright</footer></body></html>"""


def article(n: int) -> bytes:
    """A distinct article per number (benchmarks archive many)."""
    return ARTICLE.replace("1,200", f"{1200 + n:,}").encode()


class Pages(BaseHTTPRequestHandler):
    big_bytes = 20 * 1024 * 1024

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/article" or self.path.startswith("/article?"):
            self._send(200, "text/html; charset=utf-8", ARTICLE.encode())
        elif self.path.startswith("/articles/"):
            self._send(200, "text/html; charset=utf-8", article(int(self.path.rsplit("/", 1)[1])))
        elif self.path == "/plain":
            self._send(200, "text/plain; charset=utf-8", b"Only 300 people left, the mayor said.")
        elif self.path == "/script":
            self._send(200, "application/javascript", b"alert(1)")
        elif self.path == "/missing":
            self._send(404, "text/html", b"<p>gone</p>")
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/article")
            self.end_headers()
        elif self.path == "/big":
            # 20 MB without Content-Length: the limit must hold while streaming.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65533
            try:
                for _ in range(self.big_bytes // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def page_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
