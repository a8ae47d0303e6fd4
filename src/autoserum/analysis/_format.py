"""The columns of the tidy long format (``docs/data-format.md``) as data.

Reference: ``docs/data-format.md`` (visit file and adverse-event file) and the item vocabulary of
``docs/instruments.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autoserum.study.tidy import INSTRUMENT_PARAMETERS, total_range

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

Kind = Literal["text", "number", "integer", "boolean", "date", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of the long format: its kind, whether it is required, allowed values/range."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""

    def expected(self) -> str:
        """What a valid cell of this column looks like, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "date":
            return "an ISO date (YYYY-MM-DD)"
        if self.kind in ("number", "integer"):
            what = "an integer" if self.kind == "integer" else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{what} from {self.minimum:g} to {self.maximum:g}"
            if self.minimum is not None:
                return f"{what} ≥ {self.minimum:g}"
            return what
        return "a non-empty text" if self.required else "a text"


#: Range of each instrument total (docs/instruments.md).
INSTRUMENT_RANGES: dict[str, tuple[float, float]] = {
    code: (float(low), float(high))
    for code in INSTRUMENT_PARAMETERS
    for low, high in [total_range(code)]
}

#: Laboratory columns with their units.
LAB_COLUMNS: dict[str, str] = {
    "ige": "kU/L",
    "eosinophils": "×10⁹/L",
    "eosinophils_pct": "%",
    "il10": "pg/mL",
    "ifng": "pg/mL",
    "treg_il10": "% of CD4⁺",
}


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

_BOUNDED = {
    k: Column(k, "number", minimum=lo, maximum=hi) for k, (lo, hi) in INSTRUMENT_RANGES.items()
}
_BOUNDED["viga_ad"] = Column("viga_ad", "integer", minimum=0, maximum=4)

#: Every named column of the visit file (item-level columns are matched by instrument prefix).
VISIT_COLUMNS: dict[str, Column] = {
    "subject_id": Column("subject_id", "text", required=True),
    "arm": Column("arm", "text"),
    "site": Column("site", "text"),
    "week": Column("week", "number", required=True),
    "visit": Column("visit", "text"),
    "visit_date": Column("visit_date", "date"),
    "age": Column("age", "number", minimum=0, maximum=130, unit="years"),
    "easi_age": Column("easi_age", "number", minimum=0, maximum=130, unit="years"),
    "sex": Column("sex", "choice", choices=("F", "M")),
    "per_protocol": Column("per_protocol", "boolean"),
    "treated": Column("treated", "boolean"),
    **_BOUNDED,
    **{k: Column(k, "number", minimum=0, unit=u) for k, u in LAB_COLUMNS.items()},
}

#: Columns that describe the subject and must be the same on every row of a subject.
SUBJECT_LEVEL: tuple[str, ...] = ("arm", "site", "age", "sex", "per_protocol", "treated")

#: The adverse-event file.
AE_COLUMNS: dict[str, Column] = {
    "subject_id": Column("subject_id", "text", required=True),
    "arm": Column("arm", "text"),
    "term": Column("term", "text", required=True),
    "onset_week": Column("onset_week", "number"),
    "severity": Column("severity", "choice", choices=("mild", "moderate", "severe")),
    "serious": Column("serious", "boolean"),
    "related": Column(
        "related",
        "choice",
        choices=("not_related", "unlikely", "possible", "probable", "definite"),
    ),
    "outcome": Column(
        "outcome",
        "choice",
        choices=("recovered", "recovering", "not_recovered", "fatal", "unknown"),
    ),
}

#: Instrument prefixes of item-level columns (``easi_head_neck_erythema``, ``dlqi_q1``, …).
ITEM_PREFIXES: tuple[str, ...] = tuple(INSTRUMENT_RANGES)
