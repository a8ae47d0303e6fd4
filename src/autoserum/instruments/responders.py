"""Change from baseline, responder definitions and minimal clinically important differences.

- Percent improvement = (baseline − value) / baseline × 100; undefined (``None``) when the
  baseline is 0. Absolute change = value − baseline (negative = improvement on every
  autoserum scale, whose higher values are worse).
- EASI-50/75/90/100, SCORAD-50/75, oSCORAD-35: percent improvement ≥ the threshold.
- DLQI ≥ 4, POEM ≥ 4 (≥ 3 as an option), PP-NRS ≥ 4 (≥ 3 as an option): improvement
  (baseline − value) of at least that many points.
- IGA success: vIGA-AD 0 or 1 at the visit **and** at least 2 grades below baseline; the
  second condition can be switched off (:func:`iga_success` says which definition was used).

Exact arithmetic on ``Fraction`` (inputs may be int, float, Decimal, Fraction or a
:class:`~autoserum.instruments.Score`); thresholds compare exact values, never rounded ones.

Reference: docs/instruments.md § Responders and meaningful change; MCIDs as commonly quoted
(Schram ME et al. Allergy 2012;67:99-106 for EASI/SCORAD/oSCORAD; Schram 2012 / Howells 2019
for POEM; Basra MK et al. Dermatology 2015;230:27-33 for DLQI).

>>> percent_improvement(20, 5)
Fraction(75, 1)
>>> is_responder("easi_75", 20, 5), is_responder("easi_90", 20, 5)
(True, False)
>>> iga_success(3, 1).definition
'viga_0_1_and_2_grade_improvement'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._model import Score
from autoserum.instruments._values import to_fraction

__all__ = [
    "MCID",
    "RESPONDER_DEFINITIONS",
    "IgaSuccess",
    "Mcid",
    "ResponderDefinition",
    "absolute_change",
    "iga_success",
    "is_responder",
    "percent_improvement",
]

Number = Any  # int | float | Decimal | Fraction | Score


def _value(value: Number, field: str) -> Fraction:
    if isinstance(value, Score):
        if value.total is None:
            raise ValidationError(
                field,
                None,
                Expected(
                    "a scored %(instrument)s (reason: %(reason)s)",
                    instrument=value.instrument,
                    reason=value.reason,
                ),
            )
        return value.total
    return to_fraction(value, field, "a number (an instrument total)")


def percent_improvement(baseline: Number, value: Number) -> Fraction | None:
    """(baseline − value) / baseline × 100, exact; ``None`` when the baseline is 0.

    >>> percent_improvement(0, 3) is None
    True
    >>> float(percent_improvement(14, 7))
    50.0
    """
    base = _value(baseline, "baseline")
    current = _value(value, "value")
    if base == 0:
        return None
    return (base - current) / base * 100


def absolute_change(baseline: Number, value: Number) -> Fraction:
    """value − baseline, exact (negative = improvement).

    >>> absolute_change(12, 7)
    Fraction(-5, 1)
    """
    return _value(value, "value") - _value(baseline, "baseline")


@dataclass(frozen=True)
class ResponderDefinition:
    """A responder definition: ``kind`` percent (improvement ≥ threshold %), absolute
    (improvement ≥ threshold points) or iga (vIGA-AD success)."""

    code: str
    instrument: str
    kind: Literal["percent", "absolute", "iga"]
    threshold: Fraction
    label: str


def _def(code: str, instrument: str, kind: Any, threshold: int, label: str) -> ResponderDefinition:
    return ResponderDefinition(code, instrument, kind, Fraction(threshold), label)


RESPONDER_DEFINITIONS: Mapping[str, ResponderDefinition] = {
    d.code: d
    for d in (
        _def("easi_50", "easi", "percent", 50, "EASI-50: ≥ 50 % improvement in EASI"),
        _def("easi_75", "easi", "percent", 75, "EASI-75: ≥ 75 % improvement in EASI"),
        _def("easi_90", "easi", "percent", 90, "EASI-90: ≥ 90 % improvement in EASI"),
        _def("easi_100", "easi", "percent", 100, "EASI-100: 100 % improvement (clear)"),
        _def("scorad_50", "scorad", "percent", 50, "SCORAD-50: ≥ 50 % improvement in SCORAD"),
        _def("scorad_75", "scorad", "percent", 75, "SCORAD-75: ≥ 75 % improvement in SCORAD"),
        _def(
            "oscorad_35",
            "oscorad",
            "percent",
            35,
            "oSCORAD-35: ≥ 35 % improvement in objective SCORAD",
        ),
        _def("dlqi_4", "dlqi", "absolute", 4, "DLQI improvement ≥ 4 points"),
        _def("poem_4", "poem", "absolute", 4, "POEM improvement ≥ 4 points"),
        _def("poem_3", "poem", "absolute", 3, "POEM improvement ≥ 3 points (option)"),
        _def("pp_nrs_4", "pp_nrs", "absolute", 4, "PP-NRS improvement ≥ 4 points"),
        _def("pp_nrs_3", "pp_nrs", "absolute", 3, "PP-NRS improvement ≥ 3 points (option)"),
        _def(
            "iga_success",
            "viga_ad",
            "iga",
            2,
            "IGA success: vIGA-AD 0 or 1 and ≥ 2 grades below baseline (switchable)",
        ),
    )
}


@dataclass(frozen=True)
class IgaSuccess:
    """IGA success and the definition that was applied."""

    success: bool
    definition: Literal["viga_0_1_and_2_grade_improvement", "viga_0_1"]


def iga_success(baseline: Number, value: Number, *, require_two_grades: bool = True) -> IgaSuccess:
    """vIGA-AD 0/1 at the visit and (by default) ≥ 2 grades below baseline.

    >>> iga_success(2, 1).success, iga_success(2, 1, require_two_grades=False).success
    (False, True)
    """
    base = _grade(baseline, "baseline")
    grade = _grade(value, "value")
    success = grade <= 1 and (not require_two_grades or base - grade >= 2)
    definition: Literal["viga_0_1_and_2_grade_improvement", "viga_0_1"] = (
        "viga_0_1_and_2_grade_improvement" if require_two_grades else "viga_0_1"
    )
    return IgaSuccess(success, definition)


def _grade(value: Number, field: str) -> Fraction:
    grade = _value(value, field)
    if grade.denominator != 1 or not 0 <= grade <= 4:
        raise ValidationError(field, value, Expected("a vIGA-AD grade 0, 1, 2, 3 or 4"))
    return grade


def is_responder(
    code: str, baseline: Number | None, value: Number | None, *, iga_require_two_grades: bool = True
) -> bool | None:
    """Whether the change from ``baseline`` to ``value`` meets responder definition ``code``.

    ``None`` when it cannot be decided: a missing (``None``) or unscorable value, or a percent
    definition with a baseline of 0.

    >>> is_responder("dlqi_4", 10, 6), is_responder("pp_nrs_4", 7, 4)
    (True, False)
    """
    try:
        definition = RESPONDER_DEFINITIONS[code]
    except KeyError:
        raise ValidationError(
            "responder",
            code,
            Expected("one of %(values)s", values=", ".join(RESPONDER_DEFINITIONS)),
        ) from None
    if baseline is None or value is None:
        return None
    if any(isinstance(v, Score) and v.total is None for v in (baseline, value)):
        return None
    if definition.kind == "iga":
        return iga_success(baseline, value, require_two_grades=iga_require_two_grades).success
    if definition.kind == "percent":
        improvement = percent_improvement(baseline, value)
        return None if improvement is None else improvement >= definition.threshold
    return -absolute_change(baseline, value) >= definition.threshold


@dataclass(frozen=True)
class Mcid:
    """A minimal clinically important difference and whether it is confirmed."""

    instrument: str
    value: Fraction
    status: Literal["confirmed", "commonly_quoted"]
    source: str


MCID: Mapping[str, Mcid] = {
    "easi": Mcid("easi", Fraction(66, 10), "commonly_quoted", "Schram ME et al. Allergy 2012"),
    "scorad": Mcid("scorad", Fraction(87, 10), "commonly_quoted", "Schram ME et al. Allergy 2012"),
    "oscorad": Mcid(
        "oscorad", Fraction(82, 10), "commonly_quoted", "Schram ME et al. Allergy 2012"
    ),
    "poem": Mcid("poem", Fraction(34, 10), "commonly_quoted", "Schram ME et al. Allergy 2012"),
    "dlqi": Mcid("dlqi", Fraction(4), "commonly_quoted", "Basra MK et al. Dermatology 2015"),
}
"""Commonly quoted MCIDs; the specification says they are not all confirmed from the primary
papers, so every one is marked ``commonly_quoted`` until checked against its source."""
