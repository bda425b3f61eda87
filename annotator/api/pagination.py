"""List pagination: numbered pages (the default) or a cursor, with a client-chosen page size.

`?page=N` keeps working for existing clients. `?cursor=` (empty for the first page) switches
to keyset pages in id order: each page is one indexed range read however deep the client is,
and rows added meanwhile are neither skipped nor repeated. Both take `page_size` up to
MAX_PAGE_SIZE.
"""

from __future__ import annotations

from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 1000


class NumberedPages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class CursorPages(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("id",)

    def get_ordering(self, request, queryset, view) -> tuple:
        # id order unless the client asked for another one with ?ordering=.
        if request.query_params.get("ordering"):
            return super().get_ordering(request, queryset, view)
        return self.ordering


class Pages(BasePagination):
    """Numbered pages, or cursor pages when the request carries `cursor`."""

    def __init__(self) -> None:
        self.numbered = NumberedPages()
        self.cursor = CursorPages()
        self.current: BasePagination = self.numbered

    def paginate_queryset(self, queryset, request, view=None):
        self.current = self.cursor if "cursor" in request.query_params else self.numbered
        return self.current.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.current.get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        numbered = self.numbered.get_paginated_response_schema(schema)
        numbered["properties"]["count"]["description"] = "Absent with ?cursor=."
        numbered["required"] = ["results"]
        return numbered

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = self.numbered.get_schema_operation_parameters(view)
        cursor = self.cursor.get_schema_operation_parameters(view)[0]
        cursor["description"] = (
            "Cursor pages in id order (or ?ordering=): send an empty cursor for the first "
            "page, then follow `next`. Without it, numbered pages."
        )
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"]["maximum"] = MAX_PAGE_SIZE
        return [*parameters, cursor]

    def to_html(self) -> str:
        return self.current.to_html()

    def get_results(self, data: dict):
        return data["results"]
