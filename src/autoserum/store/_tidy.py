"""The columns of the tidy long format (docs/data-format.md) and their canonical order.

>>> visit_columns()[:6]
('subject_id', 'arm', 'site', 'week', 'visit', 'visit_date')
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

from autoserum.instruments import get_instrument, instrument_codes
from autoserum.study.labs import ANALYTES
from autoserum.study.tidy import DERIVED_TOTALS, TOTAL_COLUMNS

__all__ = [
    "AE_COLUMNS",
    "LAB_COLUMNS",
    "SUBJECT_COLUMNS",
    "TOTAL_INSTRUMENTS",
    "TOTAL_ONLY",
    "integer_items",
    "item_columns",
    "visit_columns",
]

SUBJECT_COLUMNS = ("age", "sex", "per_protocol", "treated")
TOTAL_INSTRUMENTS = TOTAL_COLUMNS
"""Instruments with a total column, in the order of the data-format table."""
TOTAL_ONLY = DERIVED_TOTALS
"""Totals stored as given (reached through SCORAD, no item columns of their own)."""
LAB_COLUMNS = tuple(ANALYTES)
AE_COLUMNS = (
    "subject_id",
    "arm",
    "term",
    "onset_week",
    "severity",
    "serious",
    "related",
    "outcome",
)


@cache
def item_columns() -> dict[str, tuple[str, str, str]]:
    """Item column (``easi_head_neck_erythema``) → (instrument, flat column, item kind)."""
    out: dict[str, tuple[str, str, str]] = {}
    for code in instrument_codes():
        inst = get_instrument(code)
        for item in inst.items:
            out[f"{code}_{item.column}"] = (code, item.column, item.kind)
    return out


@cache
def integer_items() -> frozenset[str]:
    """Item columns whose allowed values are all whole numbers (exported as integers)."""
    out = set()
    for code in instrument_codes():
        for item in get_instrument(code).items:
            allowed = item.allowed
            if (
                item.kind == "number"
                and allowed
                and all(
                    isinstance(a, int | Fraction) and Fraction(a).denominator == 1 for a in allowed
                )
            ):
                out.add(f"{code}_{item.column}")
    return frozenset(out)


@cache
def visit_columns() -> tuple[str, ...]:
    """Every column of the visit file, in canonical order."""
    cols = ["subject_id", "arm", "site", "week", "visit", "visit_date", *SUBJECT_COLUMNS]
    items = item_columns()
    for code in dict.fromkeys([*TOTAL_INSTRUMENTS, *instrument_codes()]):
        if code in TOTAL_INSTRUMENTS:
            cols.append(code)
        cols.extend(c for c, (inst, _, _) in items.items() if inst == code)
    cols.extend(LAB_COLUMNS)
    return tuple(cols)
