"""Customer number-series capacity and overlap: pure logic, no I/O.

A Visma.net numbering has one or more segments (start, end, last used, step).
Numbers may carry a fixed prefix ("C10000"); we compare the numeric part of
numbers with the same prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)$")


@dataclass(frozen=True)
class Segment:
    start: str
    end: str
    last: str = ""
    step: int = 1


@dataclass(frozen=True)
class SeriesUse:
    """One integration's customer numbering in one ERP company."""

    owner: str  # e.g. the integration's name
    company: str  # identity of the ERP company (connection + tenant)
    numbering_id: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Assessment:
    owner: str
    numbering_id: str
    start: str
    end: str
    last: str
    remaining: int | None
    overlaps_with: tuple[str, ...]
    status: str  # ok / warning / error
    message: str


def split_number(value: str) -> tuple[str, int] | None:
    match = _NUMBER.match((value or "").strip())
    if not match:
        return None
    return match["prefix"], int(match["digits"])


def _range(segment: Segment) -> tuple[str, int, int] | None:
    start, end = split_number(segment.start), split_number(segment.end)
    if not start or not end or start[0] != end[0]:
        return None
    return start[0], start[1], end[1]


def segment_remaining(segment: Segment) -> int | None:
    """Numbers still free in a segment (None when the numbers are not numeric)."""
    bounds = _range(segment)
    if bounds is None:
        return None
    prefix, start, end = bounds
    last = split_number(segment.last) if segment.last else None
    used_up_to = last[1] if last and last[0] == prefix else start - segment.step
    return max(0, (end - used_up_to) // max(segment.step, 1))


def ranges_overlap(a: Segment, b: Segment) -> bool:
    ra, rb = _range(a), _range(b)
    if ra is None or rb is None or ra[0] != rb[0]:
        return False
    return ra[1] <= rb[2] and rb[1] <= ra[2]


def assess(uses: list[SeriesUse], *, warn_below: dict[str, int]) -> list[Assessment]:
    """Capacity of every use, and which other uses in the same company share numbers with it."""
    results = []
    for use in uses:
        remaining_parts = [segment_remaining(s) for s in use.segments]
        remaining = None if any(r is None for r in remaining_parts) or not remaining_parts else sum(remaining_parts)
        overlaps = sorted(
            {
                other.owner
                for other in uses
                if other is not use
                and other.company == use.company
                and (other.numbering_id != use.numbering_id)
                and any(ranges_overlap(a, b) for a in use.segments for b in other.segments)
            }
        )
        shared = sorted(
            {
                other.owner
                for other in uses
                if other is not use and other.company == use.company and other.numbering_id == use.numbering_id
            }
        )
        threshold = warn_below.get(use.owner, 0)
        problems = []
        status = "ok"
        if overlaps:
            status = "error"
            problems.append(
                f"its range overlaps the numbering of {', '.join(overlaps)} in the same company: customers will collide"
            )
        if remaining is None:
            status = "warning" if status == "ok" else status
            problems.append("the numbers are not numeric, capacity cannot be computed")
        elif remaining == 0:
            status = "error"
            problems.append("no numbers are left: new customers cannot be created")
        elif remaining < threshold:
            status = "warning" if status == "ok" else status
            problems.append(f"only {remaining} numbers left (warning below {threshold})")
        if shared:
            problems.append(f"shared with {', '.join(shared)} (one sequence, no collision)")
        last_segment = use.segments[-1] if use.segments else Segment("", "")
        first_segment = use.segments[0] if use.segments else Segment("", "")
        message = "; ".join(problems) if problems else f"{remaining} numbers left"
        results.append(
            Assessment(
                owner=use.owner,
                numbering_id=use.numbering_id,
                start=first_segment.start,
                end=last_segment.end,
                last=last_segment.last,
                remaining=remaining,
                overlaps_with=tuple(overlaps),
                status=status,
                message=message[:1].upper() + message[1:],
            )
        )
    return results
