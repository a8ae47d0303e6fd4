"""Laboratory results: analytes, UCUM units, exact unit conversions and reference-range flags.

Each analyte has one canonical UCUM unit (the unit of its column in the tidy long format) and
the units that convert to it *exactly* (a rational factor). Anything else is refused: e.g. an
eosinophil percentage is a different analyte (``eosinophils_pct``), not a unit of the count; IgE
in ng/mL is refused because its factor (1 IU ≈ 2.4 ng) is not exact. kU/L, kIU/L and IU/mL are
the same quantity for IgE (WHO 75/502 international units).
Reference: UCUM (https://ucum.org/ucum), Regenstrief 2017.

>>> str(to_canonical("eosinophils", Decimal("450"), "/uL")[0])
'0.45'
>>> judge(Decimal("1.2"), low=Decimal("0"), high=Decimal("0.5"))
'high'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from autoserum.errors import Expected, ValidationError
from autoserum.i18n import N_

__all__ = ["ANALYTES", "Analyte", "Flag", "check_plausible", "judge", "to_canonical"]

Flag = Literal["low", "normal", "high"]


@dataclass(frozen=True)
class Analyte:
    """A lab analyte: its code (tidy column), label, canonical UCUM unit and exact aliases.

    ``plausible`` bounds a value in the canonical unit that can come from a living patient
    (wider than any reference range: a value outside is a typing or unit error, not a finding).
    """

    code: str
    label: str
    unit: str
    factors: MappingProxyType[str, Fraction]
    plausible: tuple[Decimal, Decimal]


def _analyte(
    code: str, label: str, unit: str, factors: dict[str, Fraction], plausible: tuple[int, int]
) -> Analyte:
    low, high = plausible
    return Analyte(
        code,
        label,
        unit,
        MappingProxyType({unit: Fraction(1), **factors}),
        (Decimal(low), Decimal(high)),
    )


_ONE = Fraction(1)
ANALYTES: MappingProxyType[str, Analyte] = MappingProxyType(
    {
        a.code: a
        for a in (
            _analyte(
                "ige",
                N_("total serum IgE"),
                "k[IU]/L",
                {"kU/L": _ONE, "kIU/L": _ONE, "[IU]/mL": _ONE, "IU/mL": _ONE, "U/mL": _ONE},
                # hyper-IgE syndromes and severe AD reach tens of thousands of kU/L
                (0, 100_000),
            ),
            _analyte(
                "eosinophils",
                N_("blood eosinophils (count)"),
                "10*9/L",
                {
                    "10^9/L": _ONE,
                    "10*3/uL": _ONE,
                    "/uL": Fraction(1, 1000),
                    "/mm3": Fraction(1, 1000),
                },
                # hypereosinophilic syndromes stay well below 100 × 10⁹/L
                (0, 100),
            ),
            _analyte(
                "eosinophils_pct", N_("blood eosinophils (% of leucocytes)"), "%", {}, (0, 100)
            ),
            # cytokines: septic shock reaches a few thousand pg/mL
            _analyte(
                "il10",
                N_("serum IL-10"),
                "pg/mL",
                {"ng/L": _ONE, "ng/mL": Fraction(1000)},
                (0, 10_000),
            ),
            _analyte(
                "ifng",
                N_("serum IFN-γ"),
                "pg/mL",
                {"ng/L": _ONE, "ng/mL": Fraction(1000)},
                (0, 10_000),
            ),
            _analyte("treg_il10", N_("CD4+IL-10+ T cells (% of CD4+)"), "%", {}, (0, 100)),
        )
    }
)


def _exact(value: Fraction, field: str) -> Decimal:
    """``value`` as an exact Decimal; a non-terminating result is an error."""
    with localcontext() as ctx:
        ctx.prec = 80
        ctx.traps[Inexact] = True
        try:
            return Decimal(value.numerator) / Decimal(value.denominator)
        except Inexact:
            raise ValidationError(
                field, str(value), Expected("a value with an exact decimal representation")
            ) from None


def to_canonical(analyte: str, value: Decimal, unit: str) -> tuple[Decimal, str, Fraction]:
    """``value`` in ``unit`` converted exactly to the analyte's canonical unit.

    Returns ``(value, canonical unit, factor)``; :class:`ValidationError` for an unknown analyte
    or a unit that does not convert exactly.

    >>> to_canonical("ige", Decimal("120"), "IU/mL")[:2]
    (Decimal('120'), 'k[IU]/L')
    """
    spec = ANALYTES.get(analyte)
    if spec is None:
        raise ValidationError(
            "analyte", analyte, Expected("one of %(values)s", values=", ".join(sorted(ANALYTES)))
        )
    factor = spec.factors.get(unit)
    if factor is None:
        allowed = ", ".join(spec.factors)
        raise ValidationError(
            f"{analyte}.unit",
            unit,
            Expected("a unit convertible exactly: %(allowed)s", allowed=allowed),
        )
    if factor == 1:
        return value, spec.unit, factor
    return _exact(Fraction(value) * factor, f"{analyte}.value").normalize(), spec.unit, factor


def check_plausible(analyte: str, value: Decimal) -> Decimal:
    """``value`` (in the canonical unit) unless it is outside the analyte's plausibility limits.

    >>> check_plausible("il10", Decimal("-5"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: il10.value: got '-5'; expected a value from 0 to ...
    """
    spec = ANALYTES.get(analyte)
    if spec is None:
        raise ValidationError(
            "analyte", analyte, Expected("one of %(values)s", values=", ".join(sorted(ANALYTES)))
        )
    low, high = spec.plausible
    if not low <= value <= high:
        raise ValidationError(
            f"{analyte}.value",
            str(value),
            Expected(
                "a value from %(low)s to %(high)s %(unit)s (plausible for %(label)s)",
                low=low,
                high=high,
                unit=spec.unit,
                label=spec.label,
            ),
        )
    return value


def judge(value: Decimal, *, low: Decimal | None, high: Decimal | None) -> Flag | None:
    """``low``/``normal``/``high`` against the reference range ``[low, high]`` (inclusive).

    ``None`` when no bound is given (no reference range, no judgement).

    >>> judge(Decimal("0.3"), low=Decimal("0.0"), high=Decimal("0.5"))
    'normal'
    """
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        raise ValidationError("reference_range", f"{low}-{high}", Expected("low <= high"))
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"
