"""The filters of the Printers page, shared by the page, its CSV export, filter groups and the printers API:
the left pane (communication, agent type, model, tags, supply and printer alerts, firmware update, status,
supplies below a level), the search box and sorting by column.

Several values of one filter match any of them (OR); different filters all apply (AND). Alert filters take
"yes", "no" or a severity ("error", "warning", "info": an open alert of that severity)."""
import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from lexcloud.ids import parse_ids

from .choices import AgentType, AlertSeverity, Communication, Status
from .columns import COLUMNS
from .models import Alert, Printer
from .search import search_document

# what the search box looks at ("IP, serial, host name, name, model, asset tag")
SEARCH_FIELDS = ("ip_address", "serial", "host_name", "name", "model_name", "asset_tag")
SEARCH_MAX_LENGTH = 100
MAX_VALUES = 100   # values per multi-value filter (a query string is not a bulk import)

YES, NO = "yes", "no"
ALERT_CHOICES = [(YES, "Yes"), (NO, "No"), *AlertSeverity.choices]
FIRMWARE_CHOICES = [(YES, "Update available"), (NO, "No update available")]


class ManyValuesField(forms.Field):
    """Repeated query parameters (model=A&model=B) as a list of non-blank strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        cleaned = []
        for item in values:
            item = str(item).strip()
            if item and item not in cleaned:
                cleaned.append(item[:255])
        if len(cleaned) > MAX_VALUES:
            raise forms.ValidationError(f"Choose at most {MAX_VALUES} values.")
        return cleaned


class ManyIdsField(ManyValuesField):
    def to_python(self, value):
        values = super().to_python(value)
        ids = parse_ids(values)
        if len(ids) != len(values):
            raise forms.ValidationError("Choose tags from the list.")
        return ids


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class ManyValuesFilter(django_filters.Filter):
    """`field_name IN values` (values need not come from a fixed list: model names are the fleet's own)."""

    field_class = ManyValuesField

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class TagFilter(django_filters.Filter):
    """Printers carrying any of the tags: EXISTS on the tag table, so no join multiplies rows or counts."""

    field_class = ManyIdsField

    def filter(self, qs, value):
        if not value:
            return qs
        through = Printer.tags.through.objects.filter(printer_id=OuterRef("pk"), tag_id__in=value)
        return qs.filter(Exists(through))


def _alert_condition(values, *, supply: bool) -> Q:
    counter = "supply_alerts" if supply else "printer_alerts"
    condition = Q(pk__in=[])
    if YES in values:
        condition |= Q(**{f"{counter}__gt": 0})
    if NO in values:
        condition |= Q(**{counter: 0})
    severities = [v for v in values if v in AlertSeverity.values]
    if severities:
        open_alerts = Alert.objects.filter(printer_id=OuterRef("pk"), cleared_at__isnull=True, supply=supply,
                                           severity__in=severities)
        condition |= Q(Exists(open_alerts))
    return condition


class SortFilter(django_filters.OrderingFilter):
    """Sorting by a column header: `sort=model_name` or `sort=-model_name` (column keys of fleet.columns);
    the printer id breaks ties so that pages never overlap."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "pk") if value else qs


SORTABLE = [(column.sort, column.key) for column in COLUMNS.values() if column.sort]


class Choices(django_filters.MultipleChoiceFilter):
    """Several values of a column: a plain IN on the printer row, so no DISTINCT (the django-filter
    default, which would turn the count and the page into a sort of every printer)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class PrinterFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", max_length=SEARCH_MAX_LENGTH)
    communication = Choices(choices=Communication.choices, label="Communication status")
    agent_type = Choices(choices=AgentType.choices, label="Agent Type")
    model = ManyValuesFilter(field_name="model_name", label="Model")
    tag = TagFilter(label="Tags")
    supply_alerts = Choices(choices=ALERT_CHOICES, method="filter_supply_alerts",
                                                        label="Supply Alerts")
    printer_alerts = Choices(choices=ALERT_CHOICES, method="filter_printer_alerts",
                                                         label="Printer Alerts")
    firmware_update = Choices(choices=FIRMWARE_CHOICES, method="filter_firmware",
                                                          label="Firmware Update")
    status = Choices(choices=Status.choices, label="Printer status")
    supply_below = django_filters.NumberFilter(field_name="lowest_supply", lookup_expr="lt", min_value=1,
                                               max_value=100, label="Supplies below (%)")
    sort = SortFilter(fields=SORTABLE, label="Sort by column")

    class Meta:
        model = Printer
        fields: list = []

    def search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        if connection.vendor == "postgresql":   # one LIKE on the indexed document (fleet.search)
            return qs.alias(search_document=search_document()).filter(search_document__contains=value.upper())
        condition = Q()
        for field in SEARCH_FIELDS:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)

    def filter_supply_alerts(self, qs, name, value):
        return qs.filter(_alert_condition(value, supply=True)) if value else qs

    def filter_printer_alerts(self, qs, name, value):
        return qs.filter(_alert_condition(value, supply=False)) if value else qs

    def filter_firmware(self, qs, name, value):
        if not value or set(value) == {YES, NO}:
            return qs
        return qs.filter(firmware_update_available=YES in value)


# the query parameters a filter group saves (everything but the sort order)
FILTER_KEYS = tuple(name for name in PrinterFilterSet.base_filters if name != "sort")
