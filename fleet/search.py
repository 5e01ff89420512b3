"""The Printers page's search document: IP address, serial number, host name, name, model and asset tag of a
printer in one upper-case text, one per line. On PostgreSQL a trigram index (migration 0007,
printer_search_trgm) is built on exactly this expression, so that "contains" searches over 100,000 printers
read the index instead of every row. No model imports: the migration uses it too."""
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Coalesce

SEARCH_INDEX = "printer_search_trgm"
SEARCH_STATISTICS = "printer_search_stats"


class Host(Func):
    """PostgreSQL's HOST(inet): the address without its mask (inet::text would add "/32")."""

    function = "HOST"
    output_field = TextField()


class SearchDocument(Func):
    arg_joiner = " || E'\\n' || "   # a newline cannot be typed into the search box: no match across fields
    template = "UPPER(%(expressions)s)"
    output_field = TextField()


def search_document() -> SearchDocument:
    return SearchDocument(Coalesce(Host("ip_address"), Value(""), output_field=TextField()), F("serial"),
                          F("host_name"), F("name"), F("model_name"), F("asset_tag"))
