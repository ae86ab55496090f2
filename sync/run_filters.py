"""Sync runs list: empty scheduled runs (nothing read, nothing changed) are hidden unless asked for."""

from django.contrib import admin
from django.db.models import QuerySet

from .models.runs import EMPTY_SCHEDULED_RUN

__all__ = ["EMPTY_SCHEDULED_RUN", "EmptyScheduledRunsFilter"]


class EmptyScheduledRunsFilter(admin.SimpleListFilter):
    """Hides empty scheduled runs by default; "Show" lists every run, "Only these" only the empty ones.

    An empty scheduled run is a scheduled run that succeeded or was skipped and read, wrote,
    skipped and failed nothing. `hidden_count` is how many the list hides (counted after the
    other filters), so the page can say so and the counts stay honest.
    """

    title = "empty scheduled runs"
    parameter_name = "empty_scheduled"
    SHOW, ONLY = "show", "only"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.hidden_count = 0

    def lookups(self, request, model_admin):
        return [(self.SHOW, "Show"), (self.ONLY, "Only these")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == self.SHOW:
            return queryset
        if self.value() == self.ONLY:
            return queryset.filter(EMPTY_SCHEDULED_RUN)
        self.hidden_count = queryset.filter(EMPTY_SCHEDULED_RUN).count()
        return queryset.exclude(EMPTY_SCHEDULED_RUN)

    def choices(self, changelist):
        yield {
            "selected": self.value() not in (self.SHOW, self.ONLY),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hide (default)",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }
