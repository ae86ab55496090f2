"""Reading a Visma.net list to its end: the ERP's stated total decides, not the length of a page.

Visma.net pages lists with `pageNumber` (1-based) and `pageSize`, and cuts a
page to its `maxPageSize` when we ask for more ("request will be limited to
max page size", spec). Lists come in two shapes: a JSON array whose records
each carry `metadata {totalCount, maxPageSize}`, and `{pageNumber, pageSize,
totalCount, records}` (/v1/creditTerm).

Rules (`read_pages`):
- With a total, pages are read until that many records came back, whatever
  the length of each page: a page shorter than asked (the ERP's cap, said or
  not) does not end the list. The page size is then fixed at what the ERP
  served, so page n starts at record (n - 1) × size however the ERP counts.
- Without a total, a page shorter than the size in force (ours, or the ERP's
  maxPageSize when smaller) or an empty page ends the list.
- An empty page before the total, or the same page twice, is a RemoteError:
  the list changed while it was read, or the ERP does not page this request.
  Never an endless loop.
- Where the ERP counts something else than records (/v2/journaltransaction:
  "pagesize and totalcount denote number of journaltransaction lines", and one
  batch can be split over two pages), `weight(record)` says how much of the
  total a record holds (its lines); the page size is counted the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from integrations.http import RemoteError
from integrations.listing import listing_page_read

SYSTEM = "visma_net"


def page_parts(data: Any, path: str) -> tuple[list, int | None, int | None] | None:
    """(records, totalCount, maxPageSize) of one answer; None for an empty answer."""
    if data is None:
        return None
    if isinstance(data, dict) and "records" in data:
        total = data.get("totalCount")
        return data.get("records") or [], int(total) if total is not None else None, None
    if isinstance(data, list):
        meta = (data[0].get("metadata") if data and isinstance(data[0], dict) else None) or {}
        total, max_size = meta.get("totalCount"), meta.get("maxPageSize")
        return data, int(total) if total is not None else None, int(max_size) if max_size else None
    raise RemoteError(f"Visma.net answered {path} with an unexpected shape.", system=SYSTEM)


def read_pages(
    get: Callable[[dict], Any], path: str, *, size: int, weight: Callable[[dict], int] | None = None
) -> Iterator[dict]:
    """Every record of a list, page by page; `get(paging_params)` reads one page; `weight`: see the docstring."""
    number, seen, total, previous_first = 1, 0, None, None
    while True:
        parts = page_parts(get({"pageNumber": number, "pageSize": size}), path)
        records, page_total, max_size = parts if parts is not None else ([], None, None)
        total = page_total if page_total is not None else total
        if not records:
            if total is not None and seen < total:
                raise RemoteError(
                    f"Visma.net said {path} holds {total} records but page {number} came back empty after "
                    f"{seen}: the list changed while it was read. The next run reads it again.",
                    system=SYSTEM,
                )
            return
        if previous_first is not None and records[0] == previous_first:
            raise RemoteError(
                f"Visma.net returned page {number} of {path} twice: it does not page this request.", system=SYSTEM
            )
        previous_first = records[0]
        listing_page_read(records=len(records), total=total)
        yield from records
        served = sum(weight(r) for r in records) if weight is not None else len(records)
        seen += served
        in_force = min(size, max_size) if max_size else size
        if total is not None:
            if seen >= total:
                return
            if number == 1 and served < size:
                size = served  # the ERP's real page size: later pages start where this one ended
        elif served < in_force:
            return
        number += 1
