"""The embedded broker's transport (annotator/broker.py) on its own: the file it shares with
kombu's SQLAlchemy transport, threads, a held lock, another database. Real worker processes
on it: tests/annotator/suggestions/test_worker_faults.py."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from queue import Empty

import pytest
from django.db import connection
from kombu import Connection

import annotator.celery  # noqa: F401 (sqla+ URLs use annotator.broker)
from annotator import broker, broker_sqlalchemy

OPTIONS = {"polling_interval": 0.05, "busy_timeout": 30}


def put(conn: Connection, queue: str, *payloads: dict) -> None:
    with conn.SimpleQueue(queue) as simple:
        for payload in payloads:
            simple.put(payload)


def take(conn: Connection, queue: str, count: int) -> list[dict]:
    with conn.SimpleQueue(queue) as simple:
        found = []
        for _ in range(count):
            message = simple.get(timeout=2)
            message.ack()
            found.append(message.payload)
        return found


def test_embedded_urls_get_the_sqlite_transport_without_sqlalchemy(tmp_path):
    with Connection(f"sqla+sqlite:///{tmp_path}/b.sqlite3", transport_options=OPTIONS) as conn:
        assert type(conn.transport) is broker.Transport
        put(conn, "q", {"n": 1})
        assert take(conn, "q", 1) == [{"n": 1}]
    assert broker.database_path("sqlite:///relative/b.sqlite3") == "relative/b.sqlite3"
    assert broker.database_path("sqlite://") == ":memory:"


def test_shares_its_file_with_kombus_sqlalchemy_transport_both_ways(tmp_path):
    """A broker file written before this transport (kombu's tables) is read, and the reverse."""
    url = f"sqla+sqlite:///{tmp_path}/b.sqlite3"
    stock = "kombu.transport.sqlalchemy:Transport"
    stock_options = {"polling_interval": 0.05}
    with Connection(url, transport=stock, transport_options=stock_options) as conn:
        put(conn, "q", {"n": 1}, {"n": 2})
        assert take(conn, "q", 1) == [{"n": 1}]  # kept, hidden (visible = 0), by kombu
    with Connection(url, transport_options=OPTIONS) as conn:
        assert conn.default_channel._size("q") == 1
        assert take(conn, "q", 1) == [{"n": 2}]
        put(conn, "q", {"n": 3})
    with Connection(url, transport=stock, transport_options=stock_options) as conn:
        assert take(conn, "q", 1) == [{"n": 3}]
    with sqlite3.connect(tmp_path / "b.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM kombu_message WHERE visible").fetchone() == (0,)


def test_purge_counts_waiting_messages_and_empties_the_queue(tmp_path):
    with Connection(f"sqla+sqlite:///{tmp_path}/b.sqlite3", transport_options=OPTIONS) as conn:
        put(conn, "q", {"n": 1}, {"n": 2}, {"n": 3})
        put(conn, "other", {"n": 4})
        assert conn.default_channel.queue_purge("q") == 3
        assert conn.default_channel._size("q") == 0
        assert take(conn, "other", 1) == [{"n": 4}]


def test_a_pooled_connection_moves_between_threads(tmp_path):
    """The web server publishes from its request threads through one connection pool."""
    url = f"sqla+sqlite:///{tmp_path}/b.sqlite3"
    with Connection(url, transport_options=OPTIONS) as conn:
        pool = conn.Pool(1)
        errors = []

        def publish(number: int) -> None:
            try:
                with pool.acquire(block=True, timeout=10) as pooled:
                    put(pooled, "q", {"n": number})
            except Exception as exc:
                errors.append(exc)

        for number in range(4):
            thread = threading.Thread(target=publish, args=(number,))
            thread.start()
            thread.join()
        assert errors == []
        assert sorted(m["n"] for m in take(conn, "q", 4)) == [0, 1, 2, 3]
        pool.force_close_all()


def test_a_write_lock_held_too_long_is_a_busy_round_not_a_crash(tmp_path, caplog):
    """A take that cannot get the lock in time finds nothing this round (logged); a publish
    fails as a connection error, which Celery retries."""
    url = f"sqla+sqlite:///{tmp_path}/b.sqlite3"
    options = {**OPTIONS, "busy_timeout": 0.2}
    with Connection(url, transport_options=options) as conn:
        put(conn, "q", {"n": 1})
        channel = conn.default_channel
        holder = sqlite3.connect(tmp_path / "b.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.WARNING, logger="annotator.broker"), pytest.raises(Empty):
                channel._get("q")
            assert "Task broker busy" in caplog.text
            with pytest.raises(conn.connection_errors):
                put(conn, "q", {"n": 2})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert take(conn, "q", 1) == [{"n": 1}]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="another database than SQLite: run with DATABASE_URL=postgres://...",
)
def test_another_database_gets_the_hardened_sqlalchemy_transport(db):
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    url = f"sqla+postgresql+psycopg://{user}@{host}/{settings_dict['NAME']}"
    try:
        with Connection(url, transport_options=dict(OPTIONS)) as conn:
            assert type(conn.transport) is broker_sqlalchemy.Transport
            conn.default_channel.queue_purge("broker-test")
            put(conn, "broker-test", {"n": 1})
            assert take(conn, "broker-test", 1) == [{"n": 1}]
            assert conn.default_channel._size("broker-test") == 0
    finally:  # kombu keeps its engines for the process: let the test database go
        for engine, _ in broker_sqlalchemy.Channel._engines.values():
            engine.dispose()
        broker_sqlalchemy.Channel._engines.clear()
