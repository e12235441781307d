"""One written form for instants leaving the database: ISO 8601 in UTC, to the second, with Z."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from typing import Any

#: `2025-03-01T14:05:09Z`: what spreadsheets, `date -d` and `datetime.fromisoformat` all read.
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def iso_utc(at: float) -> str:
    """Epoch seconds (how the database stores instants) as ISO 8601 UTC, for exports."""
    return time.strftime(ISO_UTC, time.gmtime(at))


def iso_columns(
    rows: Iterable[Mapping[str, Any]], columns: Collection[str]
) -> list[dict[str, Any]]:
    """Rows with the named epoch-seconds columns as ISO 8601 UTC; empty instants stay None."""
    out: list[dict[str, Any]] = []
    for row in rows:
        plain = dict(row)
        for column in columns:
            value = plain.get(column)
            if isinstance(value, int | float) and not isinstance(value, bool):
                plain[column] = iso_utc(float(value))
        out.append(plain)
    return out
