"""What the analysis needs of the tidy long format beyond its column specs: lab reference
ranges for the shift tables. The column specs themselves live in :mod:`autoserum.study.tidy`
(re-exported here for the analysis modules).

Reference: ``docs/data-format.md`` (visit file and adverse-event file) and the item vocabulary of
``docs/instruments.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from autoserum.study.tidy import (
    AE_COLUMNS,
    INSTRUMENT_RANGES,
    ITEM_PREFIXES,
    LAB_UNITS,
    SUBJECT_LEVEL,
    VISIT_COLUMNS,
    Column,
)

__all__ = [
    "AE_COLUMNS",
    "INSTRUMENT_RANGES",
    "ITEM_PREFIXES",
    "LAB_COLUMNS",
    "LAB_REFERENCE_RANGES",
    "SUBJECT_LEVEL",
    "VISIT_COLUMNS",
    "Column",
    "LabRange",
]

#: Laboratory columns with their units (``autoserum.study.tidy.LAB_UNITS``).
LAB_COLUMNS: dict[str, str] = LAB_UNITS


@dataclass(frozen=True)
class LabRange:
    """An adult reference range used for lab shift tables (low/normal/high)."""

    low: float | None
    high: float | None
    reference: str


#: Adult reference ranges for the shift tables. Labs without a conventional clinical range
#: (cytokines, T-cell subsets) have none and are summarised, not shifted.
LAB_REFERENCE_RANGES: dict[str, LabRange] = {
    "ige": LabRange(None, 100.0, "total IgE < 100 kU/L in adults (Martins et al., 2014)"),
    "eosinophils": LabRange(
        0.0, 0.5, "0.0–0.5 ×10⁹/L (Valent et al., J Allergy Clin Immunol 2012)"
    ),
    "eosinophils_pct": LabRange(0.0, 5.0, "0–5 % of leucocytes (Valent et al., 2012)"),
}
