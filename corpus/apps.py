import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def sqlite_variable_limit(sender, connection, **kwargs) -> None:
    """Django assumes SQLite's old default of 999 variables per statement, so a bulk insert of
    documents (15 columns) went 66 rows at a time; read the real limit (32,766 or more since
    SQLite 3.32) so a batch of 1,000 documents is one INSERT."""
    if connection.vendor != "sqlite":
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = limit


class CorpusConfig(AppConfig):
    name = "corpus"
    verbose_name = "Corpus"

    def ready(self) -> None:
        connection_created.connect(sqlite_variable_limit, dispatch_uid="corpus-sqlite-limit")
