"""SCORAD (0–103), objective SCORAD (0–83) and PO-SCORAD.

SCORAD = A/5 + 7B/2 + C, with A the extent (% body surface, rule of nines), B the sum of six
intensity grades (0–3 each) and C the sum of pruritus and sleeplessness (0–10 each, steps of
0.1). Objective SCORAD = A/5 + 7B/2. A published "A/5 + B/2 + C" is a typo and is not used.
PO-SCORAD is the same formula on patient-assessed items (``patient_reported: true``).

Reference: European Task Force on Atopic Dermatitis. Dermatology 1993;186:23-31; Kunz B et al.
Dermatology 1997;195:10-19 (objective SCORAD, bands); Oranje AP et al. Br J Dermatol
2007;157:645-8; Stalder JF et al. Allergy 2011;66:1114-21 (PO-SCORAD).

>>> from autoserum.instruments import score
>>> s = score("scorad", {"extent": 20, "erythema": 1, "edema": 1, "oozing": 0,
...     "excoriation": 1, "lichenification": 1, "dryness": 1, "pruritus": 4, "sleeplessness": 2})
>>> s.total, s.extra["objective"]
(Fraction(55, 2), Fraction(43, 2))
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.errors import Expected, ValidationError
from autoserum.instruments._build import F, bands, missing_reason
from autoserum.instruments._model import BandSet, Computed, Instrument, Item
from autoserum.instruments._values import Value, format_number

__all__ = ["EXTENT_REGIONS", "INTENSITY", "SCORAD", "SUBJECTIVE"]

EXTENT_REGIONS = {
    "head_neck": 9,
    "upper_limb_left": 9,
    "upper_limb_right": 9,
    "anterior_trunk": 18,
    "back": 18,
    "lower_limb_left": 18,
    "lower_limb_right": 18,
    "genitals": 1,
}
INTENSITY = ("erythema", "edema", "oozing", "excoriation", "lichenification", "dryness")
SUBJECTIVE = ("pruritus", "sleeplessness")
_INTENSITY_LABEL = {
    "erythema": "erythema",
    "edema": "oedema/papulation",
    "oozing": "oozing/crusts",
    "excoriation": "excoriation",
    "lichenification": "lichenification",
    "dryness": "dryness (on uninvolved skin)",
}
TENTH = F(1, 10)


def _items() -> tuple[Item, ...]:
    items = [
        Item(
            "extent",
            "extent",
            "A: extent, % of body surface with inflammatory lesions (rule of nines)",
            "number",
            minimum=F(0),
            maximum=F(100),
            step=TENTH,
            unit="%",
        )
    ]
    for region, high in EXTENT_REGIONS.items():
        items.append(
            Item(
                f"extent_regions.{region}",
                f"extent_regions_{region}",
                f"A by region: {region.replace('_', ' ')} (% of body surface, max {high})",
                "number",
                minimum=F(0),
                maximum=F(high),
                step=TENTH,
                unit="%",
                alternative_to="extent",
            )
        )
    for sign in INTENSITY:
        items.append(
            Item(
                sign,
                sign,
                f"B: {_INTENSITY_LABEL[sign]}",
                "number",
                allowed=(F(0), F(1), F(2), F(3)),
                minimum=F(0),
                maximum=F(3),
                step=F(1),
            )
        )
    for name, label in (("pruritus", "pruritus"), ("sleeplessness", "sleeplessness")):
        items.append(
            Item(
                name,
                name,
                f"C: {label}, average of the last 3 days/nights (10 = worst)",
                "number",
                minimum=F(0),
                maximum=F(10),
                step=TENTH,
            )
        )
    items.append(
        Item(
            "patient_reported",
            "patient_reported",
            "PO-SCORAD: items assessed by the patient",
            "choice",
            allowed=(False, True),
            role="context",
        )
    )
    return tuple(items)


def _extent(values: Mapping[str, Value | None]) -> Fraction | None:
    extent = values["extent"]
    regions = [values[f"extent_regions.{r}"] for r in EXTENT_REGIONS]
    region_sum = None
    if all(isinstance(v, Fraction) for v in regions):
        region_sum = sum((F(v) for v in regions if isinstance(v, Fraction)), F(0))
    if isinstance(extent, Fraction):
        if region_sum is not None and region_sum != extent:
            raise ValidationError(
                "extent",
                format_number(extent),
                Expected(
                    "the sum of extent_regions (%(total)s)",
                    total=format_number(region_sum),
                ),
            )
        return extent
    return region_sum


def _compute(values: Mapping[str, Value | None]) -> Computed:
    a = _extent(values)
    missing = [] if a is not None else ["extent"]
    grades = [values[s] for s in INTENSITY]
    missing += [s for s, v in zip(INTENSITY, grades, strict=True) if v is None]
    subjective = [values[s] for s in SUBJECTIVE]
    missing += [s for s, v in zip(SUBJECTIVE, subjective, strict=True) if v is None]
    b = None
    if all(isinstance(v, Fraction) for v in grades):
        b = sum((F(v) for v in grades if isinstance(v, Fraction)), F(0))
    c = None
    if all(isinstance(v, Fraction) for v in subjective):
        c = sum((F(v) for v in subjective if isinstance(v, Fraction)), F(0))
    objective = None if a is None or b is None else a / 5 + 7 * b / 2
    total = None if objective is None or c is None else objective + c
    extra = {"objective": objective, "patient_reported": values["patient_reported"] is True}
    components = {"extent_a": a, "intensity_b": b, "subjective_c": c}
    reason = None if total is not None else missing_reason(missing)
    return Computed(total, components, reason, extra)


SCORAD = Instrument(
    code="scorad",
    name="SCORing Atopic Dermatitis (SCORAD), objective SCORAD and PO-SCORAD",
    items=_items(),
    minimum=F(0),
    maximum=F(103),
    band_sets={
        "etfad": BandSet(
            "etfad",
            bands(
                ("mild", "mild", 25, False),
                ("moderate", "moderate", 50, True),
                ("severe", "severe", None, True),
            ),
            "European Task Force on Atopic Dermatitis; Kunz B et al. Dermatology 1997;195:10-19",
            "SCORAD < 25 mild, 25–50 moderate, > 50 severe; oSCORAD < 15, 15–40, > 40",
            extra_bands={
                "objective": bands(
                    ("mild", "mild", 15, False),
                    ("moderate", "moderate", 40, True),
                    ("severe", "severe", None, True),
                )
            },
        ),
        "chopra2017": BandSet(
            "chopra2017",
            bands(
                ("clear", "clear", 10, False),
                ("mild", "mild", 29, False),
                ("moderate", "moderate", 49, False),
                ("severe", "severe", None, True),
            ),
            "Chopra R et al. Br J Dermatol 2017;177:1316-21",
            "SCORAD < 10, < 29, < 49, ≥ 49; oSCORAD < 8, < 24, < 38, ≥ 38",
            extra_bands={
                "objective": bands(
                    ("clear", "clear", 8, False),
                    ("mild", "mild", 24, False),
                    ("moderate", "moderate", 38, False),
                    ("severe", "severe", None, True),
                )
            },
        ),
    },
    default_band_set="etfad",
    missing_rule=(
        "any missing item makes SCORAD not scorable; objective SCORAD is still scored when only "
        "pruritus and/or sleeplessness (C) are missing"
    ),
    reference=(
        "European Task Force on Atopic Dermatitis. Severity scoring of atopic dermatitis: the "
        "SCORAD index. Dermatology 1993;186:23-31; Kunz B et al. Dermatology 1997;195:10-19; "
        "Oranje AP et al. Br J Dermatol 2007;157:645-8; Stalder JF et al. Allergy 2011 (PO-SCORAD)"
    ),
    components=("extent_a", "intensity_b", "subjective_c"),
    group_labels={"extent_regions": "A: extent by region"},
    compute=_compute,
    banded_extras=("objective",),
    note=(
        "SCORAD = A/5 + 7B/2 + C; objective SCORAD = A/5 + 7B/2. Extent may be given per region "
        "(extent_regions, adult rule-of-nines maxima; the infant chart is not confirmed and is "
        "not used). patient_reported: true marks PO-SCORAD."
    ),
)
