"""Patient global ratings: disease status and treatment effectiveness (5-point scales).

Two items, each a code 0–4 with a label, both oriented so that a higher code is worse (like
every other autoserum scale):

- ``status``, the patient's rating of their disease now: 0 very good, 1 good, 2 fair,
  3 poor, 4 very poor.
- ``effectiveness``, the patient's rating of the treatment: 0 very effective, 1 effective,
  2 moderately effective, 3 slightly effective, 4 not effective.

The two ratings answer different questions and are never summed. The *total* is the disease
status code (0–4), banded with its label; the components are ``disease_status`` and
``treatment_effectiveness`` (the latter may be missing, e.g. at baseline, before any
treatment). A missing ``status`` → not scored.

Reference: patient ratings of disease status and treatment effectiveness as collected in the
ASIM pilot (Choi 2024, autologous serum intramuscular injection); the coding is this
project's decision (see docs/instruments.md).

>>> from autoserum.instruments import score
>>> s = score("patient_global", {"status": 1, "effectiveness": 0})
>>> s.total, s.band, s.components["treatment_effectiveness"]
(Fraction(1, 1), 'good', Fraction(0, 1))
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from autoserum.instruments._build import F, bands, integer_item
from autoserum.instruments._model import BandSet, Computed, Instrument
from autoserum.instruments._values import Value

__all__ = ["EFFECTIVENESS", "PATIENT_GLOBAL", "STATUS"]

STATUS = {0: "very good", 1: "good", 2: "fair", 3: "poor", 4: "very poor"}
EFFECTIVENESS = {
    0: "very effective",
    1: "effective",
    2: "moderately effective",
    3: "slightly effective",
    4: "not effective",
}


def _labels(codes: Mapping[int, str]) -> str:
    return ", ".join(f"{code} {label}" for code, label in codes.items())


def _compute(values: Mapping[str, Value | None]) -> Computed:
    status = values["status"]
    effect = values["effectiveness"]
    components = {
        "disease_status": status if isinstance(status, Fraction) else None,
        "treatment_effectiveness": effect if isinstance(effect, Fraction) else None,
    }
    if not isinstance(status, Fraction):
        return Computed(None, components, "missing: status")
    return Computed(status, components, None)


PATIENT_GLOBAL = Instrument(
    code="patient_global",
    reported_by="patient",
    name="Patient global ratings of disease status and treatment effectiveness",
    items=(
        integer_item("status", "disease status now: " + _labels(STATUS), 4),
        integer_item("effectiveness", "treatment effectiveness: " + _labels(EFFECTIVENESS), 4),
    ),
    minimum=F(0),
    maximum=F(4),
    band_sets={
        "labels": BandSet(
            "labels",
            bands(
                ("very_good", "very good", 0, True),
                ("good", "good", 1, True),
                ("fair", "fair", 2, True),
                ("poor", "poor", 3, True),
                ("very_poor", "very poor", None, True),
            ),
            "this project's coding of the ASIM pilot's 5-point disease-status rating",
            "the band is the disease-status label",
        )
    },
    default_band_set="labels",
    missing_rule=(
        "status missing → not scored; effectiveness missing → its component is null (it is "
        "not asked before treatment)"
    ),
    reference=(
        "Patient ratings of disease status and treatment effectiveness, ASIM pilot "
        "(Choi 2024); 5-point coding decided by this project"
    ),
    components=("disease_status", "treatment_effectiveness"),
    compute=_compute,
    note="Total = disease status code (0–4, higher = worse); the two ratings are never summed.",
)
