"""Blinded central rating of lesion photographs and the raters' agreement (pure core).

A rater scores one photograph of one body region: the four EASI signs (0-3 in half steps),
the region's area score (0-6) and the vIGA-AD grade (0-4). :func:`rating_values` scores them
with the instruments themselves (:func:`autoserum.instruments.score`: EASI with the other
regions at area 0, so the total is the region's EASI contribution, and vIGA-AD), so a value
the instrument refuses is refused here with the instrument's own message.

:func:`agreement` gathers the ratings into a photograph × rater table and reports the
intraclass correlations of the region scores (:func:`autoserum.stats.icc`, as
``psych::ICC``: two-way random (agreement) and mixed (consistency), single and average
rater) and the quadratically weighted kappa of the vIGA-AD grades for each pair of raters
(:func:`autoserum.stats.cohen_kappa`). Only photographs rated by every rater enter the ICC;
a pair's kappa uses the photographs both rated.

>>> v = rating_values("trunk", {"erythema": 2, "induration": "1.5", "excoriation": 1,
...                             "lichenification": 0, "area": 3, "viga_grade": 3})
>>> v["region_score"], v["viga_grade"]
(Fraction(81, 20), 3)
>>> r = agreement([PhotoScore("P1", "a", Fraction(4), 2), PhotoScore("P1", "b", Fraction(5), 2),
...                PhotoScore("P2", "a", Fraction(9), 3), PhotoScore("P2", "b", Fraction(8), 3),
...                PhotoScore("P3", "a", Fraction(1), 1), PhotoScore("P3", "b", Fraction(2), 0)])
>>> r.photos, r.raters, round(r.icc.get("ICC2").icc, 4)  # R: psych::ICC(x, lmer = FALSE)
(3, ('a', 'b'), 0.96)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

from autoserum.errors import Expected, StatisticsError, ValidationError
from autoserum.study.coerce import as_decimal, as_int
from autoserum.study.entities import PHOTO_REGIONS

if TYPE_CHECKING:  # the statistics (scipy) load when agreement is computed, not with the store
    from autoserum.stats import ICCResult, KappaResult

__all__ = [
    "ADULT_AGE",
    "ICC_SHOWN",
    "SIGNS",
    "VIGA_LEVELS",
    "Agreement",
    "PairKappa",
    "PhotoScore",
    "agreement",
    "rating_values",
]

#: The EASI signs a rater scores on a photograph (the EASI instrument's item names).
SIGNS: Final[tuple[str, ...]] = ("erythema", "induration", "excoriation", "lichenification")
#: The vIGA-AD grades (the instrument's range), the kappa's ordered categories.
VIGA_LEVELS: Final[tuple[int, ...]] = (0, 1, 2, 3, 4)
#: The age the region multiplier is taken at when the subject's age is not recorded (adult).
ADULT_AGE: Final[int] = 18
#: The ICC rows the report shows (two-way: agreement and consistency, single and average).
ICC_SHOWN: Final[tuple[str, ...]] = ("ICC2", "ICC3", "ICC2k", "ICC3k")


def rating_values(
    region: str, values: Mapping[str, Any], *, age: Decimal | int | None = None
) -> dict[str, Any]:
    """The stored values of one rating of a photograph of ``region``: the signs and area as
    given, the region's EASI score (multiplier by ``age``; adult when unknown) and the vIGA-AD
    grade, each checked by its instrument (:class:`ValidationError` naming the item)."""
    from autoserum.instruments import score

    if region not in PHOTO_REGIONS:
        raise ValidationError(
            "region", region, Expected("one of %(values)s", values=", ".join(PHOTO_REGIONS))
        )
    allowed = {*SIGNS, "area", "viga_grade"}
    for key in values:
        if key not in allowed:
            raise ValidationError(
                f"rating.{key}",
                values[key],
                Expected("one of %(values)s", values=", ".join(allowed)),
            )
    missing = [k for k in (*SIGNS, "area", "viga_grade") if values.get(k) in (None, "")]
    if missing:
        raise ValidationError(
            missing[0], None, Expected("a score (every sign, the area and the grade)")
        )
    signs = {s: as_decimal(s, values[s]) for s in SIGNS}
    area = as_int("area", values["area"])
    grade = as_int("viga_grade", values["viga_grade"])
    payload: dict[str, Any] = {"age": ADULT_AGE if age is None else age}
    for other in PHOTO_REGIONS:
        payload[other] = {"area": 0}
    payload[region] = {**{s: str(v) for s, v in signs.items()}, "area": area}
    try:
        easi = score("easi", payload)
        score("viga_ad", {"grade": grade})
    except ValidationError as err:
        field = err.field.removeprefix(f"{region}.").replace("grade", "viga_grade")
        raise ValidationError(field, err.value, err.expectation) from None
    assert easi.total is not None  # every item of the region given
    return {**signs, "area": area, "region_score": easi.total, "viga_grade": grade}


@dataclass(frozen=True)
class PhotoScore:
    """One rater's scores of one photograph (by its code): the region's EASI score and the
    vIGA-AD grade."""

    photo: str
    rater: str
    region_score: Fraction
    viga_grade: int


@dataclass(frozen=True)
class PairKappa:
    """The weighted kappa of the vIGA-AD grades of two raters (``None`` when it cannot be
    computed: fewer than two common photographs or one category only)."""

    rater_a: str
    rater_b: str
    n: int
    result: KappaResult | None


@dataclass(frozen=True)
class Agreement:
    """Inter-rater agreement of the blinded ratings: ``photos`` rated by every one of the
    ``raters`` (the ICC's rows; ``None`` with fewer than two raters or photographs) and the
    kappa of every pair of raters."""

    photos: int
    raters: tuple[str, ...]
    ratings: int
    icc: ICCResult | None
    kappas: tuple[PairKappa, ...]

    def rows(self) -> list[dict[str, Any]]:
        """The agreement as tidy rows (``statistic``, ``measure``, ``n``, ``estimate``,
        ``ci_low``, ``ci_high``): the shown ICCs, then each pair's weighted kappa."""
        out: list[dict[str, Any]] = []
        if self.icc is not None:
            for kind in ICC_SHOWN:
                row = self.icc.get(kind)
                out.append({
                    "statistic": f"{kind}: two-way, {row.definition}, {row.unit} rater",
                    "measure": "EASI region score",
                    "n": self.icc.n,
                    "estimate": row.icc,
                    "ci_low": row.ci_low,
                    "ci_high": row.ci_high,
                })  # fmt: skip
        for k in self.kappas:
            r = k.result
            out.append({
                "statistic": f"weighted kappa (quadratic), {k.rater_a} vs {k.rater_b}",
                "measure": "vIGA-AD grade",
                "n": k.n,
                "estimate": None if r is None else r.weighted_kappa,
                "ci_low": None if r is None else r.weighted_ci_low,
                "ci_high": None if r is None else r.weighted_ci_high,
            })  # fmt: skip
        return out


def agreement(scores: Iterable[PhotoScore]) -> Agreement:
    """The raters' agreement over ``scores`` (see the module docstring)."""
    from autoserum.stats import cohen_kappa, icc

    table: dict[str, dict[str, PhotoScore]] = {}
    raters: list[str] = []
    n = 0
    for sc in scores:
        n += 1
        table.setdefault(sc.photo, {})[sc.rater] = sc
        if sc.rater not in raters:
            raters.append(sc.rater)
    raters.sort()
    complete = [p for p in sorted(table) if all(r in table[p] for r in raters)]
    result = None
    if len(raters) >= 2 and len(complete) >= 2:
        matrix = [[float(table[p][r].region_score) for r in raters] for p in complete]
        try:
            result = icc(matrix)
        except StatisticsError:
            result = None  # no variation at all: the ICC is not defined
    kappas = []
    for a, b in itertools.combinations(raters, 2):
        both = [p for p in sorted(table) if a in table[p] and b in table[p]]
        kappa = None
        if len(both) >= 2:
            try:
                kappa = cohen_kappa(
                    [table[p][a].viga_grade for p in both],
                    [table[p][b].viga_grade for p in both],
                    weights="quadratic",
                    levels=VIGA_LEVELS,
                )
            except (StatisticsError, ValidationError):
                kappa = None  # one category only: the chance agreement is 1
        kappas.append(PairKappa(a, b, len(both), kappa))
    return Agreement(len(complete), tuple(raters), n, result, tuple(kappas))
