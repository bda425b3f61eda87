"""The embedded task broker: a kombu transport on its own SQLite file, with the standard library.

It reads and writes the tables of kombu's SQLAlchemy transport (`kombu_queue`,
`kombu_message`), so a broker file written by either is read by the other, without
SQLAlchemy's 20 MB in every process that publishes or consumes. Every publish and every take
is one SQLite transaction, so a reader never sees a message half-written (the filesystem
transport's failure under load), and several processes may publish while workers consume:

- a take deletes the message (kombu's transport keeps it, hidden, for ever), so the file
  stays small;
- a message whose stored payload cannot be decoded is dropped (logged), instead of raising
  out of the worker's event loop, which stops the worker ("Unrecoverable error");
- SQLite's write lock is waited out (busy timeout, `busy_timeout` transport option in
  seconds) and WAL keeps a take from blocking publishers; a lock still held after that is a
  busy broker: a take finds nothing this round, a publish fails as a connection error (and
  is retried by Celery).

A message taken by a worker that is then killed is gone from the broker, as with the
filesystem transport; suggestion runs are recovered from the database instead
(annotator.suggestions.progress.suggestion_runs_recover, when a worker starts).

annotator.celery points kombu's `sqla+` / `sqlalchemy+` URLs at this transport; a URL naming
another database than SQLite (`sqla+postgresql://...`) gets the SQLAlchemy one
(annotator/broker_sqlalchemy.py).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from queue import Empty

from kombu.transport import virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.imports import symbol_by_name

logger = logging.getLogger(__name__)

# The tables of kombu's SQLAlchemy transport, as its models create them.
SCHEMA = """
CREATE TABLE IF NOT EXISTS kombu_queue (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(200),
    UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS kombu_message (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    visible BOOLEAN,
    timestamp DATETIME,
    payload TEXT NOT NULL,
    version SMALLINT NOT NULL,
    queue_id INTEGER,
    CONSTRAINT "FK_kombu_message_queue" FOREIGN KEY(queue_id) REFERENCES kombu_queue (id)
);
CREATE INDEX IF NOT EXISTS ix_kombu_message_timestamp ON kombu_message (timestamp);
CREATE INDEX IF NOT EXISTS ix_kombu_message_visible ON kombu_message (visible);
CREATE INDEX IF NOT EXISTS ix_kombu_message_timestamp_id ON kombu_message (timestamp, id);
"""
SQLALCHEMY_TRANSPORT = "annotator.broker_sqlalchemy:Transport"
NEXT_MESSAGE = (
    "SELECT id, payload FROM kombu_message WHERE queue_id = ? AND visible != 0"
    " ORDER BY timestamp, id LIMIT 1"
)


def database_path(url: str) -> str:
    """`sqlite:////abs/file`, `sqlite:///relative/file` -> the file; `sqlite://` -> memory."""
    path = url.split("sqlite://", 1)[1]
    return path[1:] if path.startswith("/") else ":memory:"


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:  # BEGIN itself may have failed (the lock was not had in time)
        db.execute("ROLLBACK")


def message_or_drop(raw: str | bytes, message_id: int, queue: str) -> dict:
    """The stored message; one that cannot be decoded is logged and dropped (Empty)."""
    try:
        payload = json.loads(bytes_to_str(raw))
        if not isinstance(payload, dict) or not isinstance(payload.get("properties"), dict):
            raise ValueError("not a kombu message")
    except ValueError as exc:
        logger.error(
            "Dropped undecodable message %s from queue %s: %s (%r)",
            message_id,
            queue,
            exc,
            bytes_to_str(raw)[:200],
        )
        raise Empty() from exc
    return payload


class Channel(virtual.Channel):
    _db: sqlite3.Connection | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One SQLite connection per channel; a connection pool may hand the channel to
        # another thread (the web server's), never to two at once: the lock makes sure.
        self._lock = threading.RLock()
        self._queue_ids: dict[str, int] = {}

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            options = self.connection.client.transport_options
            busy = float(options.get("busy_timeout", 30))
            db = sqlite3.connect(
                database_path(self.connection.client.hostname),
                timeout=busy,
                isolation_level=None,  # autocommit; transactions are explicit
                check_same_thread=False,
            )
            db.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(SCHEMA)
            self._db = db
        return self._db

    def _queue_id(self, queue: str) -> int:
        """The queue's row id, looked up once per channel (it never changes)."""
        if queue not in self._queue_ids:
            db = self.db
            db.execute("INSERT OR IGNORE INTO kombu_queue (name) VALUES (?)", (queue,))
            row = db.execute("SELECT id FROM kombu_queue WHERE name = ?", (queue,)).fetchone()
            self._queue_ids[queue] = row[0]
        return self._queue_ids[queue]

    def _new_queue(self, queue: str, **kwargs) -> None:
        with self._lock:
            self._queue_id(queue)

    def _put(self, queue: str, message: dict, **kwargs) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id)"
                " VALUES (1, NULL, ?, 1, ?)",
                (json.dumps(message), self._queue_id(queue)),
            )

    def _get(self, queue: str, timeout: float | None = None) -> dict:
        with self._lock:
            try:
                raw, message_id = self._take(self._queue_id(queue))
            except sqlite3.OperationalError as exc:
                logger.warning("Task broker busy or unavailable, trying again: %s", exc)
                raise Empty() from exc
        return message_or_drop(raw, message_id, queue)

    def _take(self, queue_id: int) -> tuple[str, int]:
        """The queue's next message, deleted in the same write transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(NEXT_MESSAGE, (queue_id,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM kombu_message WHERE id = ?", (row[0],))
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise
        if row is None:
            raise Empty()
        return row[1], row[0]

    def _size(self, queue: str) -> int:
        with self._lock:
            sql = "SELECT count(*) FROM kombu_message WHERE queue_id = ? AND visible != 0"
            return self.db.execute(sql, (self._queue_id(queue),)).fetchone()[0]

    def _purge(self, queue: str) -> int:
        with self._lock:
            db, queue_id = self.db, self._queue_id(queue)
            db.execute("BEGIN IMMEDIATE")
            try:
                sql = "SELECT count(*) FROM kombu_message WHERE queue_id = ? AND visible != 0"
                count = db.execute(sql, (queue_id,)).fetchone()[0]
                db.execute("DELETE FROM kombu_message WHERE queue_id = ?", (queue_id,))
                db.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise
            return count

    def close(self) -> None:
        super().close()  # puts back what this channel took and did not acknowledge
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class Transport(virtual.Transport):
    Channel = Channel
    can_parse_url = True
    default_port = 0
    driver_type = "sql"
    driver_name = "sqlite"
    connection_errors = (sqlite3.OperationalError,)
    channel_errors = virtual.Transport.channel_errors + (sqlite3.DatabaseError,)

    def __new__(cls, client, **kwargs):
        if not (client.hostname or "").startswith("sqlite:"):
            # Named, as kombu names transports: broker_sqlalchemy imports this module.
            return symbol_by_name(SQLALCHEMY_TRANSPORT)(client, **kwargs)
        return super().__new__(cls)

    def driver_version(self) -> str:
        return sqlite3.sqlite_version
