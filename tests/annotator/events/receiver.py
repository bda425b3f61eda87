"""A real webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures.

Its behaviour can be switched while it runs: answer 2xx, 500, a redirect, or be slow; it
can also be stopped (connection refused) and started again on the same port.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


class Receiver:
    def __init__(self, secret: str, port: int = 0) -> None:
        self.webhook = Webhook(secret)
        self.mode = "ok"  # ok | fail | redirect | slow
        self.slow_seconds = 0.0
        self.fail_ids: set[str] = set()  # webhook-ids answered 500 whatever the mode
        self.received: list[dict] = []  # verified messages answered 2xx, in arrival order
        self.requests: list[str] = []  # every webhook-id that arrived, whatever the answer
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.port = port
        self.server: ThreadingHTTPServer | None = None
        self.connections: set[socket.socket] = set()
        self.connections_opened = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def setup(self) -> None:
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)
                    receiver.connections_opened += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.lock:  # kept-alive connections end too: the receiver is really down
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            message = self.webhook.verify(body, headers)
        except Exception:
            with self.lock:
                self.bad_signatures += 1
            self._answer(handler, 401)
            return
        with self.lock:
            self.requests.append(headers["webhook-id"])
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        if self.mode == "fail" or headers["webhook-id"] in self.fail_ids:
            self._answer(handler, 500)
            return
        if self.mode == "redirect":
            handler.send_response(302)
            handler.send_header("Location", self.url + "/elsewhere")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        with self.lock:
            self.received.append({"webhook_id": headers["webhook-id"], **message})
        self._answer(handler, 204)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, code: int) -> None:
        handler.send_response(code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def event_ids(self) -> list[int]:
        with self.lock:
            return [m["id"] for m in self.received]

    def dump(self) -> str:
        return json.dumps({"received": self.received, "requests": self.requests})[:3000]
