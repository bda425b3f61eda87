"""SQL that writes export text: templates per database vendor and text concatenation, shared
by the W3C (export_w3c.py) and SQLite CSV (export_csv.py) exports."""

from __future__ import annotations

import re

from django.db.models import Func, TextField


class Sql(Func):
    """SQL from a template per vendor whose {0}, {1}, ... are the compiled expressions (each
    may appear more than once; its parameters follow it)."""

    output_field = TextField()

    def __init__(self, templates: dict[str, str] | str, *expressions, **extra):
        self.templates = templates
        super().__init__(*expressions, **extra)

    def as_sql(self, compiler, connection, **extra):
        template = self.templates
        if isinstance(template, dict):
            template = template[connection.vendor]
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        sql, params = [], []
        for index, piece in enumerate(re.split(r"\{(\d+)\}", template)):
            if index % 2 == 0:
                sql.append(piece)
            else:
                part_sql, part_params = compiled[int(piece)]
                sql.append(part_sql)
                params += part_params
        return "".join(sql), params


def literal(text: str) -> str:
    """A SQL string literal (the % doubled: the statement is %-formatted with its params)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def cat(*parts) -> Sql:
    """Text concatenation of literal strings and expressions (none of which may be NULL)."""
    template, expressions = [], []
    for part in parts:
        if isinstance(part, str):
            template.append(literal(part))
        else:
            template.append(f"{{{len(expressions)}}}")
            expressions.append(part)
    return Sql("(" + " || ".join(template) + ")", *expressions)
