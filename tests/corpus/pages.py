"""A local HTTP server on 127.0.0.1 whose pages a test changes between fetches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def article_html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<meta name='author' content='Ana Ruiz'></head><body><nav>Home | World</nav>"
        f"<article><h1>{title}</h1>\n{body}</article><footer>Copyright</footer></body></html>"
    )


class Pages:
    """path -> (status, content type, body); edit `pages` between fetches; `hits` counts GETs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.hits: dict[str, int] = {}

    def url(self, path: str) -> str:
        return self.base + path

    def set_article(self, path: str, title: str, paragraphs: list[str]) -> str:
        html = article_html(title, paragraphs).encode()
        self.pages[path] = (200, "text/html; charset=utf-8", html)
        return self.url(path)


@contextmanager
def serve_pages() -> Iterator[Pages]:
    pages: Pages

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            pages.hits[self.path] = pages.hits.get(self.path, 0) + 1
            status, kind, body = pages.pages.get(self.path, (404, "text/html", b"<p>no</p>"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pages = Pages(f"http://127.0.0.1:{httpd.server_port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        httpd.shutdown()
        httpd.server_close()
