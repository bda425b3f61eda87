"""The `sqla+` broker on a database other than SQLite: kombu's SQLAlchemy transport, hardened.

The embedded default (`sqla+sqlite:///`) is annotator/broker.py, on the standard library;
this module is loaded only for another database (`sqla+postgresql://...`). On top of
kombu's transport it:

- drops a message whose stored payload cannot be decoded (logged), instead of raising out
  of the worker's event loop, which stops the worker ("Unrecoverable error");
- deletes a message when a worker takes it (kombu keeps it, hidden, for ever);
- on SQLite (kept working here too) waits out the write lock (busy timeout) and uses WAL;
- passes only engine options to SQLAlchemy (kombu also hands it `polling_interval`).
"""

from __future__ import annotations

import logging
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from annotator.broker import message_or_drop

logger = logging.getLogger(__name__)

# Transport options that are the transport's own, not create_engine()'s.
NOT_ENGINE_OPTIONS = ("polling_interval", "busy_timeout")


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self):
        options = self.connection.client.transport_options
        saved = {name: options.pop(name) for name in NOT_ENGINE_OPTIONS if name in options}
        try:
            engine = super()._engine_from_config()
        finally:
            options.update(saved)
        if engine.dialect.name == "sqlite":
            busy_ms = int(float(saved.get("busy_timeout", 30)) * 1000)

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection, _record) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.close()

        return engine

    def _queue_id(self, queue: str) -> int:
        """The queue's row id, looked up once per channel (kombu looks it up per message)."""
        ids = self.__dict__.setdefault("_queue_ids", {})
        if queue not in ids:
            ids[queue] = self._get_or_create(queue).id
        return ids[queue]

    def _get(self, queue):
        queue_id = self._queue_id(queue)
        session = self.session
        try:
            if session.bind.name == "sqlite":
                session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
            message = (
                session.query(self.message_cls)
                .with_for_update()
                .filter(self.message_cls.queue_id == queue_id)
                .filter(self.message_cls.visible != False)  # noqa: E712 (SQL, not Python)
                .order_by(self.message_cls.sent_at, self.message_cls.id)
                .first()
            )
            if message is None:
                session.commit()
                raise Empty()
            raw, message_id = message.payload, message.id
            session.delete(message)
            session.commit()
        except OperationalError as exc:
            session.rollback()
            logger.warning("Task broker busy or unavailable, trying again: %s", exc)
            raise Empty() from exc
        return message_or_drop(raw, message_id, queue)

    def close(self) -> None:
        super().close()  # puts back what this channel took and did not acknowledge
        if self._session is not None:  # kombu leaves it, and its database connection, open
            self._session.close()
            self._session = None


class Transport(kombu_sqla.Transport):
    Channel = Channel
