"""Lists over HTTP: query parameters in the filter DSL's syntax, and their description.

FastAPI declares only the page parameters; every other query key is a filter, read as text by
the DSL (a key repeated is kept as sent), and documented in the operation's description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import Query, Request

from app.application.ports import ListQuery
from app.infrastructure.db.column_kinds import JSON_KEY_TEXT, Kind
from app.infrastructure.db.directory import USER_DEFAULT_ORDER, USER_KINDS, USER_ORDER_FIELDS


def order_description(fields: Sequence[str], default: Sequence[str]) -> str:
    """What the `order_by` parameter of a list ordered by `fields` takes."""
    return (
        "Fields to order by, `-` first for descending, comma-separated or repeated:"
        f" {', '.join(fields)}. Default `{','.join(default)}`; ties are broken by `uuid`."
    )


OrderBy = Annotated[
    list[str] | None, Query(description=order_description(USER_ORDER_FIELDS, USER_DEFAULT_ORDER))
]
Limit = Annotated[
    int | None, Query(description="Page size, 1 to `MAX_PAGE_SIZE` (its value when omitted).")
]
Offset = Annotated[
    int, Query(description="Rows to skip, from 0; not with `after`. Best for small jumps.")
]
After = Annotated[
    str | None,
    Query(
        description="The `next` cursor of the previous page, for a keyset page: it starts after"
        " that row without reading the rows before it. Send the same filters and `order_by`."
    ),
]
_PAGE_PARAMETERS = frozenset({"order_by", "limit", "offset", "after"})


def list_query(
    request: Request, order_by: list[str] | None, limit: int | None, offset: int, after: str | None
) -> ListQuery:
    """Every query key that is not a page parameter is a filter, its values as sent."""
    filters = [
        pair for pair in request.query_params.multi_items() if pair[0] not in _PAGE_PARAMETERS
    ]
    fields = [name for text in order_by or () for name in text.split(",")]
    return ListQuery(filters=filters, order_by=fields, limit=limit, offset=offset, after=after)


def fields_table(kinds: Mapping[str, Kind]) -> str:
    """The allow-list of a list, as a Markdown table for its operation's description."""
    rows = [
        f"| `{name}` | {', '.join(f'`{lookup}`' for lookup in kind.lookups)} | {kind.label} |"
        for name, kind in kinds.items()
    ]
    return "\n".join(["| field | lookups | value |", "| --- | --- | --- |", *rows])


LIST_USERS = f"""Accounts matching the filters, a page at a time (permission `users:read`).

Each filter is a query parameter `field__lookup=value` (the filter DSL of SPEC section 5);
`field=value` means `field__e=value`. All filters must match. Any other key, lookup or value is
a 422 naming the key and what is allowed; more than `MAX_FILTERS` filter keys (default 20) too.

{fields_table(USER_KINDS)}

- `meta__KEY__LOOKUP` filters on the text of one key of `meta` (KEY: 1 to 64 letters, digits or
  underscores), with {", ".join(f"`{lookup}`" for lookup in JSON_KEY_TEXT)}.
- `in`, `not_in`, `not_like_all` take a list: items separated by commas (`country__in=DE,FR`),
  or the key repeated, one item each, commas kept (`country__in=DE&country__in=FR`); an empty
  value is the empty list. Any other key is given once.
- `like` and `ilike` match a substring (case-sensitive, insensitive): `%` and `_` are literal.
- `is_null=true` or `false`; booleans are `true` or `false`.
- `created_at` and `updated_at` take an ISO 8601 date-time with its offset (`Z`, or `%2B02:00`:
  a raw `+` in a query string is a space), or a date for its midnight UTC (`2026-01-01`).
- `roles` holds a list: `roles=admin` matches accounts holding `admin`, `roles__in=a,b` those
  holding any of them.

Pages: `limit` and `offset` for a page by number (total and jumps are cheap on small tables);
for a deep scan, follow `next` with `after` instead: each page starts where the last ended,
without reading the rows before it, and stays stable while accounts are added.
"""
