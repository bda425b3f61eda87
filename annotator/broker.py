"""The embedded task broker: kombu's SQLAlchemy transport on its own SQLite file.

Every publish and every take is one SQLite transaction, so a reader never sees a message
half-written (the filesystem transport's failure under load), and several processes may
publish while workers consume. On top of kombu's transport this module:

- drops a message whose stored payload cannot be decoded (logged), instead of raising out
  of the worker's event loop, which stops the worker ("Unrecoverable error");
- deletes a message when a worker takes it (kombu keeps it, hidden, for ever), so the file
  stays small;
- waits out SQLite's write lock (busy timeout) and uses WAL so taking a message does not
  block publishers;
- passes only engine options to SQLAlchemy (kombu also hands it `polling_interval`).

A message taken by a worker that is then killed is gone from the broker, as with the
filesystem transport; suggestion runs are recovered from the database instead
(annotator.suggestions.progress.suggestion_runs_recover, when a worker starts).

annotator.celery points kombu's `sqla+` / `sqlalchemy+` URLs at this transport.
"""

from __future__ import annotations

import json
import logging
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

# Transport options that are the transport's own, not create_engine()'s.
NOT_ENGINE_OPTIONS = ("polling_interval", "busy_timeout")


def _payload(raw: str | bytes) -> dict:
    payload = json.loads(bytes_to_str(raw))
    if not isinstance(payload, dict) or not isinstance(payload.get("properties"), dict):
        raise ValueError("not a kombu message")
    return payload


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
        try:
            return _payload(raw)
        except ValueError as exc:
            logger.error(
                "Dropped undecodable message %s from queue %s: %s (%r)",
                message_id,
                queue,
                exc,
                bytes_to_str(raw)[:200],
            )
            raise Empty() from exc


class Transport(kombu_sqla.Transport):
    Channel = Channel
