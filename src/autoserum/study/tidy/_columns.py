"""The column specifications of the tidy long format (``docs/data-format.md``), as data.

One :class:`Column` per named column of the visit and adverse-event files: its kind, whether it
is required, its allowed values or range. The columns of a record's fields (the adverse event's,
the subject's covariates) are derived from the entity registry
(:mod:`autoserum.study.entities`), so the export, the import and the store agree. The file
reader, the store's import and the database read all check cells against these specs
(:mod:`autoserum.study.tidy`).

>>> str(VISIT_COLUMNS["age"].expected())
'a number from 0 to 130'
>>> visit_columns()[:6]
('subject_id', 'arm', 'site', 'week', 'visit', 'visit_date')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Literal

from autoserum.errors import Expected
from autoserum.instruments import get_instrument, instrument_codes
from autoserum.study.coerce import AN_ISO_DATETIME
from autoserum.study.entities import EntitySpec, Field, entity
from autoserum.study.labs import ANALYTES
from autoserum.study.rules import AGE_MAX, SUBJECT_ID_PATTERN, SUBJECT_ID_RULE
from autoserum.study.tidy._vocab import INSTRUMENT_PARAMETERS, TOTAL_COLUMNS, total_range

__all__ = [
    "AE_COLUMNS",
    "CONMED_COLUMNS",
    "INSTRUMENT_RANGES",
    "ITEM_PREFIXES",
    "LAB_UNITS",
    "SUBJECT_COLUMNS",
    "SUBJECT_LEVEL",
    "VISIT_COLUMNS",
    "Column",
    "Kind",
    "export_column",
    "export_columns",
    "integer_items",
    "item_columns",
    "visit_columns",
]

Kind = Literal["text", "number", "integer", "boolean", "date", "datetime", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of the long format: its kind, whether it is required, allowed values/range.

    ``pattern`` (with ``rule``, its plain description) constrains a text column;
    ``max_length`` bounds its length.
    """

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    pattern: str | None = None
    rule: str = ""
    max_length: int | None = None

    def expected(self) -> Expected:
        """What a valid cell of this column looks like, for error messages."""
        if self.kind == "choice":
            return Expected("one of %(values)s", values=", ".join(self.choices))
        if self.kind in _FIXED:
            return _FIXED[self.kind]
        if self.kind in ("number", "integer"):
            return self._number()
        if self.rule:
            return Expected(self.rule)
        if self.max_length:
            if self.required:
                return Expected(
                    "a non-empty text of at most %(limit)s characters", limit=self.max_length
                )
            return Expected("a text of at most %(limit)s characters", limit=self.max_length)
        return Expected("a non-empty text") if self.required else Expected("a text")

    def _number(self) -> Expected:
        low = None if self.minimum is None else format(self.minimum, "g")
        high = None if self.maximum is None else format(self.maximum, "g")
        if self.kind == "integer":
            if low is not None and high is not None:
                return Expected("an integer from %(low)s to %(high)s", low=low, high=high)
            return Expected("an integer ≥ %(low)s", low=low) if low else Expected("an integer")
        if low is not None and high is not None:
            return Expected("a number from %(low)s to %(high)s", low=low, high=high)
        return Expected("a number ≥ %(low)s", low=low) if low else Expected("a number")


#: What a cell of a kind with no parameters looks like.
_FIXED: dict[Kind, Expected] = {
    "boolean": Expected("true or false"),
    "date": Expected("an ISO date (YYYY-MM-DD)"),
    "datetime": AN_ISO_DATETIME,
}


#: Range of each instrument total (docs/instruments.md).
INSTRUMENT_RANGES: dict[str, tuple[float, float]] = {
    code: (float(low), float(high))
    for code in INSTRUMENT_PARAMETERS
    for low, high in [total_range(code)]
}

#: Laboratory columns with their display units (the canonical UCUM unit is ``ANALYTES[code]``).
LAB_UNITS: dict[str, str] = {
    "ige": "kU/L",
    "eosinophils": "×10⁹/L",
    "eosinophils_pct": "%",
    "il10": "pg/mL",
    "ifng": "pg/mL",
    "treg_il10": "% of CD4⁺",
}

_BOUNDED = {
    k: Column(k, "number", minimum=lo, maximum=hi) for k, (lo, hi) in INSTRUMENT_RANGES.items()
}
_BOUNDED["viga_ad"] = Column("viga_ad", "integer", minimum=0, maximum=4)

_KINDS: dict[str, Kind] = {
    "text": "text",
    "int": "integer",
    "decimal": "number",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
    "choice": "choice",
}


def export_column(field: Field) -> Column:
    """The tidy column of a record's exported field (its export name, kind, bounds, limit)."""
    return Column(
        field.export or field.name,
        _KINDS[field.kind],
        required=field.required,
        choices=field.choices,
        minimum=None if field.minimum is None else float(field.minimum),
        maximum=None if field.maximum is None else float(field.maximum),
        unit=field.unit,
        max_length=field.max_length if field.kind == "text" else None,
        pattern=field.pattern,
        rule=field.rule,
    )


def export_columns(spec: EntitySpec) -> dict[str, Column]:
    """The tidy columns of the exported fields of a record type, in declaration order.

    >>> list(export_columns(entity("con_med")))[:5]
    ['drug', 'atc_code', 'drug_class', 'potency_eu', 'potency_us']
    """
    return {c.name: c for c in map(export_column, spec.exported)}


_SUBJECT = export_columns(entity("subject"))

#: The vital signs of a visit (``study/vitals.py``: units and plausibility limits), one column
#: per sign of the registry's ``vital_sign`` record (``systolic_bp``, …, ``height``).
_VITALS = export_columns(entity("vital_sign"))

_SUBJECT_ID = Column(
    "subject_id", "text", required=True, pattern=SUBJECT_ID_PATTERN, rule=SUBJECT_ID_RULE
)

#: Every named column of the visit file (item-level columns are matched by instrument prefix).
VISIT_COLUMNS: dict[str, Column] = {
    "subject_id": _SUBJECT_ID,
    "site": Column("site", "text"),
    "week": Column("week", "number", required=True),
    "visit": Column("visit", "text"),
    "visit_date": Column("visit_date", "date"),
    "easi_age": Column("easi_age", "number", minimum=0, maximum=AGE_MAX, unit="years"),
    **_SUBJECT,
    **_BOUNDED,
    **{
        k: Column(
            k,
            "number",
            minimum=float(ANALYTES[k].plausible[0]),
            maximum=float(ANALYTES[k].plausible[1]),
            unit=u,
        )
        for k, u in LAB_UNITS.items()
    },
    **_VITALS,
}

#: Columns that describe the subject and must be the same on every row of a subject.
SUBJECT_LEVEL: tuple[str, ...] = ("arm", "site", "age", "sex", "per_protocol", "treated")

#: Subject-level covariates the store keeps on the subject (its exported fields but the arm).
SUBJECT_COLUMNS: tuple[str, ...] = tuple(c for c in _SUBJECT if c != "arm")

#: The adverse-event file: the subject, the arm and the adverse event's exported fields.
AE_COLUMNS: dict[str, Column] = {
    "subject_id": _SUBJECT_ID,
    "arm": _SUBJECT["arm"],
    **export_columns(entity("adverse_event")),
}

#: The concomitant-medication file (``<stem>.conmed.csv``): one row per medication of a subject,
#: coded (ATC, class, potency), its weekly amount, its dates or study weeks (day 0 = first
#: injection; an empty end = ongoing) and whether it was given as **rescue**: the subject, the
#: arm and the con-med record's exported fields (the record's ``name`` is the column ``drug``).
CONMED_COLUMNS: dict[str, Column] = {
    "subject_id": _SUBJECT_ID,
    "arm": Column("arm", "text"),
    **export_columns(entity("con_med")),
}

#: Instrument prefixes of item-level columns (``easi_head_neck_erythema``, ``dlqi_q1``, …).
ITEM_PREFIXES: tuple[str, ...] = tuple(INSTRUMENT_RANGES)


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
    for code in dict.fromkeys([*TOTAL_COLUMNS, *instrument_codes()]):
        if code in TOTAL_COLUMNS:
            cols.append(code)
        cols.extend(c for c, (inst, _, _) in items.items() if inst == code)
    cols.extend(ANALYTES)
    cols.extend(_VITALS)
    return tuple(cols)
