from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page_size=` up to 1000."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class KnownCountPagination(StandardPagination):
    """Uses `view.known_count` (when the view sets one) instead of counting the rows: a
    list over a big table then costs one indexed page read, not a full count per page."""

    def paginate_queryset(self, queryset, request, view=None):
        self._known_count = getattr(view, "known_count", None)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):  # called as DRF calls the class
        paginator = DjangoPaginator(object_list, per_page)
        if self._known_count is not None:
            paginator.count = self._known_count  # `count` is a cached_property: this is its cache
        return paginator
