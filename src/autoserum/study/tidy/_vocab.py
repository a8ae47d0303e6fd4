"""The names of the tidy long format (``docs/data-format.md``): instrument totals, their ranges
(from the instrument registry) and the adverse-event schema.

>>> TOTAL_COLUMNS[:3]
('easi', 'scorad', 'oscorad')
>>> total_range("oscorad")
(Fraction(0, 1), Fraction(83, 1))
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from autoserum.instruments import get_instrument
from autoserum.study.entities import Field, entity

__all__ = [
    "AE_SCHEMA",
    "CONMED_SCHEMA",
    "DERIVED_TOTALS",
    "INSTRUMENT_PARAMETERS",
    "PRO_SCHEMA",
    "TOTAL_COLUMNS",
    "total_range",
]

#: Instrument total columns of the visit file, in the order of the data-format table.
TOTAL_COLUMNS: tuple[str, ...] = (
    "easi",
    "scorad",
    "oscorad",
    "po_scorad",
    "dlqi",
    "cdlqi",
    "poem",
    "sassad",
    "pp_nrs",
    "sleep_nrs",
    "viga_ad",
)

#: Totals that are not instruments of their own but are scored through SCORAD.
DERIVED_TOTALS: frozenset[str] = frozenset({"oscorad", "po_scorad"})

#: Instrument parameters a visit may schedule and an analysis may read: the totals, plus the
#: patient global rating (item columns only, no total column).
INSTRUMENT_PARAMETERS: tuple[str, ...] = (*TOTAL_COLUMNS, "patient_global")

#: Objective SCORAD's maximum, A/5 + 7B/2 at A = 100, B = 18 (docs/instruments.md).
_OSCORAD_MAX = Fraction(83)


def _dtype(field: Field) -> pl.DataType:
    """The column type of an exported record field (a datetime in UTC, as the store keeps it)."""
    if field.kind == "bool":
        return pl.Boolean()
    if field.kind in ("decimal", "int"):
        return pl.Float64()
    if field.kind == "date":
        return pl.Date()
    if field.kind == "datetime":
        return pl.Datetime("us", "UTC")
    return pl.String()


#: The adverse-event file (``<stem>.ae.csv``): columns and their types, in file order.
#: Derived from the adverse-event record's exported fields (:mod:`autoserum.study.entities`).
AE_SCHEMA: dict[str, pl.DataType] = {
    "subject_id": pl.String(),
    "arm": pl.String(),
    **{f.export: _dtype(f) for f in entity("adverse_event").exported if f.export is not None},
}

#: The concomitant-medication file (``<stem>.conmed.csv``): columns and types, in file order
#: (``CONMED_COLUMNS`` holds the rules of each cell), from the con-med record's exported fields.
CONMED_SCHEMA: dict[str, pl.DataType] = {
    "subject_id": pl.String(),
    "arm": pl.String(),
    **{f.export: _dtype(f) for f in entity("con_med").exported if f.export is not None},
}


#: The self-report file (``<stem>.pro.csv``): one row per entry a patient made (``kind``
#: ``daily``, ``weekly`` or ``visit``; ``late`` when made after its window) and one row per
#: derived weekly mean of a diary instrument at each visit (``kind`` ``weekly_mean``: the mean
#: of the ``days_present`` daily values of the 7 days ending on the visit, by the instrument's
#: declared rule; ``value`` empty when too few). ``day`` counts from day 0 (dates are left out
#: of de-identified exports; ``entry_date`` is the day, week or visit date the row is for).
PRO_SCHEMA: dict[str, pl.DataType] = {
    "subject_id": pl.String(),
    "instrument": pl.String(),
    "kind": pl.String(),
    "entry_date": pl.Date(),
    "day": pl.Int64(),
    "visit": pl.String(),
    "value": pl.Float64(),
    "days_present": pl.Int64(),
    "late": pl.Boolean(),
}


def total_range(code: str) -> tuple[Fraction, Fraction]:
    """The range of an instrument parameter's total, from the instrument registry."""
    if code == "oscorad":
        return Fraction(0), _OSCORAD_MAX
    instrument = get_instrument("scorad" if code in DERIVED_TOTALS else code)
    return instrument.minimum, instrument.maximum
