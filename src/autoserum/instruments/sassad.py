"""SASSAD, the Six Area, Six Sign Atopic Dermatitis severity score (0–108).

Six sites (``arms``, ``hands``, ``legs``, ``feet``, ``head_neck``, ``trunk``) × six signs
(``erythema``, ``exudation``, ``excoriation``, ``dryness``, ``cracking``,
``lichenification``), each graded 0–3; SASSAD is the sum of the 36 grades. Any missing grade →
not scored. No published bands.

Reference: Berth-Jones J. Six Area, Six Sign Atopic Dermatitis (SASSAD) severity score: a
simple system for monitoring disease activity in atopic dermatitis. Br J Dermatol 1996;135
(Suppl 48):25-30.

>>> from autoserum.instruments import score
>>> score("sassad", {s: {g: 3 for g in SIGNS} for s in SITES}).total
Fraction(108, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.instruments._build import F, integer_item, missing_reason
from autoserum.instruments._model import Computed, Instrument
from autoserum.instruments._values import Value

__all__ = ["SASSAD", "SIGNS", "SITES"]

SITES = ("arms", "hands", "legs", "feet", "head_neck", "trunk")
SIGNS = ("erythema", "exudation", "excoriation", "dryness", "cracking", "lichenification")
_SITE_LABEL = {
    "arms": "arms",
    "hands": "hands",
    "legs": "legs",
    "feet": "feet",
    "head_neck": "head and neck",
    "trunk": "trunk",
}


def _compute(values: Mapping[str, Value | None]) -> Computed:
    components: dict[str, Fraction | None] = {}
    missing: list[str] = []
    for site in SITES:
        grades = [values[f"{site}.{sign}"] for sign in SIGNS]
        gaps = [f"{site}.{s}" for s, g in zip(SIGNS, grades, strict=True) if g is None]
        missing += gaps
        components[site] = (
            None if gaps else sum((g for g in grades if isinstance(g, Fraction)), F(0))
        )
    if missing:
        return Computed(None, components, missing_reason(missing))
    return Computed(sum((v for v in components.values() if v is not None), F(0)), components, None)


SASSAD = Instrument(
    code="sassad",
    name="Six Area, Six Sign Atopic Dermatitis severity score (SASSAD)",
    items=tuple(
        integer_item(f"{site}.{sign}", f"{_SITE_LABEL[site]}: {sign}", 3)
        for site in SITES
        for sign in SIGNS
    ),
    minimum=F(0),
    maximum=F(108),
    band_sets={},
    default_band_set=None,
    missing_rule="any missing grade → not scored",
    reference=(
        "Berth-Jones J. Six Area, Six Sign Atopic Dermatitis (SASSAD) severity score. "
        "Br J Dermatol 1996;135(Suppl 48):25-30"
    ),
    components=SITES,
    group_labels={site: label.capitalize() for site, label in _SITE_LABEL.items()},
    compute=_compute,
    note="No published bands.",
)
