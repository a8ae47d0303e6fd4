"""EASI, the Eczema Area and Severity Index (0–72).

Region score = (erythema + induration + excoriation + lichenification) × area × multiplier;
EASI = the sum over head_neck, upper_limbs, trunk and lower_limbs. Multipliers 0.1/0.2/0.3/0.4
from age 8 years, 0.2/0.2/0.3/0.3 below (so the child maximum is 72, like the adult one).

Reference: Hanifin JM et al. Exp Dermatol 2001;10:11-18; EASI practical guide, Dermatitis 2022;
bands Leshem YA et al. Br J Dermatol 2015;172:1353-7 and Chopra R et al. Br J Dermatol 2017.

>>> from autoserum.instruments import score
>>> region = {"erythema": 3, "induration": 3, "excoriation": 3, "lichenification": 3, "area": 6}
>>> payload = {"age": 30, **{r: region for r in REGIONS}}
>>> score("easi", payload).total
Fraction(72, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._build import F, bands, missing_reason
from autoserum.instruments._model import BandSet, Computed, Instrument, Item
from autoserum.instruments._values import Value, format_number

__all__ = [
    "ADULT_MULTIPLIERS",
    "CHILD_AGE_LIMIT",
    "CHILD_MULTIPLIERS",
    "EASI",
    "REGIONS",
    "SIGNS",
    "area_from_percent",
]

REGIONS = ("head_neck", "upper_limbs", "trunk", "lower_limbs")
SIGNS = ("erythema", "induration", "excoriation", "lichenification")
SIGN_VALUES = (F(0), F(1), F(3, 2), F(2), F(5, 2), F(3))
CHILD_AGE_LIMIT = F(8)
ADULT_MULTIPLIERS = {
    "head_neck": F(1, 10),
    "upper_limbs": F(2, 10),
    "trunk": F(3, 10),
    "lower_limbs": F(4, 10),
}
CHILD_MULTIPLIERS = {
    "head_neck": F(2, 10),
    "upper_limbs": F(2, 10),
    "trunk": F(3, 10),
    "lower_limbs": F(3, 10),
}
# Lower bounds (inclusive) of the area scores 1..6 in % of the region; 0 % scores 0.
AREA_PERCENT_BOUNDS = ((F(0), 1), (F(10), 2), (F(30), 3), (F(50), 4), (F(70), 5), (F(90), 6))
AREA_PERCENT_TEXT = {
    0: "0 %",
    1: "> 0 to < 10 %",
    2: "10 to < 30 %",
    3: "30 to < 50 %",
    4: "50 to < 70 %",
    5: "70 to < 90 %",
    6: "90 to 100 %",
}

_REGION_LABEL = {
    "head_neck": "head and neck",
    "upper_limbs": "upper limbs",
    "trunk": "trunk",
    "lower_limbs": "lower limbs",
}
_SIGN_LABEL = {
    "erythema": "erythema",
    "induration": "oedema/induration/papulation",
    "excoriation": "excoriation",
    "lichenification": "lichenification",
}


def area_from_percent(percent: Fraction) -> int:
    """The EASI area score (0–6) of the % of a region with active eczema.

    >>> [area_from_percent(F(p)) for p in (0, 5, 10, 29, 30, 50, 70, 89, 90, 100)]
    [0, 1, 2, 2, 3, 4, 5, 5, 6, 6]
    """
    area = 0
    for low, score in AREA_PERCENT_BOUNDS:
        if percent > low or (low > 0 and percent == low):
            area = score
    return area


def _items() -> tuple[Item, ...]:
    items = [
        Item(
            path="age",
            column="age",
            label="age on the assessment date (child multipliers below 8 years)",
            kind="number",
            minimum=F(0),
            maximum=F(130),
            unit="years",
            role="context",
        )
    ]
    for region in REGIONS:
        for sign in SIGNS:
            items.append(
                Item(
                    path=f"{region}.{sign}",
                    column=f"{region}_{sign}",
                    label=f"{_REGION_LABEL[region]}: {_SIGN_LABEL[sign]}",
                    kind="number",
                    allowed=SIGN_VALUES,
                    minimum=F(0),
                    maximum=F(3),
                )
            )
        items.append(
            Item(
                path=f"{region}.area",
                column=f"{region}_area",
                label=f"{_REGION_LABEL[region]}: area score",
                kind="number",
                allowed=tuple(F(v) for v in range(7)),
                minimum=F(0),
                maximum=F(6),
                step=F(1),
            )
        )
        items.append(
            Item(
                path=f"{region}.area_percent",
                column=f"{region}_area_percent",
                label=f"{_REGION_LABEL[region]}: % of the region with active eczema",
                kind="number",
                minimum=F(0),
                maximum=F(100),
                unit="%",
                alternative_to=f"{region}.area",
            )
        )
    return tuple(items)


def _compute(values: Mapping[str, Value | None]) -> Computed:
    age = values["age"]
    multipliers = None
    if isinstance(age, Fraction):
        multipliers = CHILD_MULTIPLIERS if age < CHILD_AGE_LIMIT else ADULT_MULTIPLIERS
    components: dict[str, Fraction | None] = {}
    reasons: list[str] = []
    if multipliers is None:
        reasons.append("age missing (the multipliers depend on age < 8 years)")
    for region in REGIONS:
        area = values[f"{region}.area"]
        percent = values[f"{region}.area_percent"]
        if isinstance(percent, Fraction):
            mapped = area_from_percent(percent)
            if area is not None and area != mapped:
                raise ValidationError(
                    f"{region}.area_percent",
                    format_number(percent),
                    Expected(
                        "a percentage agreeing with %(region)s.area = "
                        "%(area)s (%(area_percent_text)s)",
                        region=region,
                        area=format_number(F(area)),
                        area_percent_text=AREA_PERCENT_TEXT[int(F(area))],
                    ),
                )
            area = F(mapped)
        if area is None:
            components[region] = None
            reasons.append(f"{region}: area missing")
            continue
        assert isinstance(area, Fraction)
        if area == 0:
            components[region] = F(0)
            continue
        signs = [values[f"{region}.{sign}"] for sign in SIGNS]
        missing = [f"{region}.{s}" for s, v in zip(SIGNS, signs, strict=True) if v is None]
        if missing:
            components[region] = None
            reasons.append(missing_reason(missing) + f" (area {format_number(area)} > 0)")
            continue
        if multipliers is None:
            components[region] = None
            continue
        total_signs = sum((F(v) for v in signs if isinstance(v, Fraction)), F(0))
        components[region] = total_signs * area * multipliers[region]
    if reasons:
        return Computed(None, components, "; ".join(reasons))
    total = sum((v for v in components.values() if v is not None), F(0))
    return Computed(total, components, None)


EASI = Instrument(
    code="easi",
    name="Eczema Area and Severity Index (EASI)",
    items=_items(),
    minimum=F(0),
    maximum=F(72),
    band_sets={
        "leshem2015": BandSet(
            "leshem2015",
            bands(
                ("clear", "clear", 0, True),
                ("almost_clear", "almost clear", 1, True),
                ("mild", "mild", 7, True),
                ("moderate", "moderate", 21, True),
                ("severe", "severe", 50, True),
                ("very_severe", "very severe", None, True),
            ),
            "Leshem YA et al. Br J Dermatol 2015;172:1353-7",
            "upper-inclusive on the exact value",
        ),
        "chopra2017": BandSet(
            "chopra2017",
            bands(
                ("clear", "clear", 0, True),
                ("mild", "mild", 6, False),
                ("moderate", "moderate", 23, False),
                ("severe", "severe", None, True),
            ),
            "Chopra R et al. Br J Dermatol 2017;177:1316-21",
            "derived in patients aged 13 years and over",
        ),
    },
    default_band_set="leshem2015",
    missing_rule=(
        "a region with area 0 contributes 0 whatever its signs; a missing sign in a region with "
        "area > 0, a missing area (and area_percent) or a missing age makes EASI not scorable"
    ),
    reference=(
        "Hanifin JM et al. The eczema area and severity index (EASI): assessment of reliability "
        "in atopic dermatitis. Exp Dermatol 2001;10:11-18; EASI practical guide, Dermatitis 2022"
    ),
    components=REGIONS,
    group_labels={region: label.capitalize() for region, label in _REGION_LABEL.items()},
    compute=_compute,
    note=(
        "Signs 0, 1, 1.5, 2, 2.5, 3 (no 0.5). Each region gives `area` (0–6) or `area_percent` "
        "(0–100); both given must agree. Child (age < 8) multipliers 0.2/0.2/0.3/0.3: child "
        "maximum 72."
    ),
)
