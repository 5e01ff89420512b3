"""The guide's paging: `page` (zero-based) and `size` (default 50, at most 200) query parameters. Anything
else is refused with 400 rather than clamped: a connector asking for 500 assets would otherwise believe it
read them all."""
from dataclasses import dataclass

DEFAULT_SIZE = 50
MAX_SIZE = 200
MAX_PAGE = 10_000_000


class PagingError(ValueError):
    """A page or size the API does not serve; the text is the 400 answer's message."""


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return self.number * self.size


def _integer(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise PagingError(f"{name} must be an integer.")
    return int(raw)


def page_request(params) -> PageRequest:
    """The page asked for by the query string `params` (a QueryDict)."""
    number = _integer(params, "page", 0)
    size = _integer(params, "size", DEFAULT_SIZE)
    if number < 0 or number > MAX_PAGE:
        raise PagingError(f"page must be between 0 and {MAX_PAGE}.")
    if size < 1:
        raise PagingError("size must be at least 1.")
    if size > MAX_SIZE:
        raise PagingError(f"size must be at most {MAX_SIZE} (the maximum page size).")
    return PageRequest(number, size)
