"""Page-number pagination for every list endpoint (set in REST_FRAMEWORK)."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`?page=N`, 50 rows by default, `?page_size=` up to 200 so one request cannot pull a whole province."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
