"""Sleep disturbance NRS (0–10; 10 = worst sleep disturbance).

One item, ``score``, an integer 0–10. A sleep-*quality* scale whose 10 = best is a different
scale and is never pooled with this one: the instrument declares its polarity (``higher_worse``).
No published bands.

Reference: sleep-loss NRS as used in dupilumab trials (Simpson EL et al. N Engl J Med
2016;375:2335-48) and in the ASIM pilot (Choi 2024).

>>> from autoserum.instruments import score
>>> score("sleep_nrs", {"score": 3}).total
Fraction(3, 1)
"""

from __future__ import annotations

from autoserum.instruments._build import F, integer_item
from autoserum.instruments._diary import DIARY_24H
from autoserum.instruments._model import Instrument
from autoserum.instruments._single import single_item

__all__ = ["SLEEP_NRS"]

SLEEP_NRS = Instrument(
    code="sleep_nrs",
    reported_by="patient",
    name="Sleep disturbance Numerical Rating Scale (sleep NRS)",
    items=(integer_item("score", "sleep disturbance (0 none – 10 worst)", 10),),
    minimum=F(0),
    maximum=F(10),
    band_sets={},
    default_band_set=None,
    missing_rule="the item missing → not scored",
    reference=(
        "Sleep-loss numerical rating scale, 0–10 (10 = worst), as in Simpson EL et al. "
        "N Engl J Med 2016;375:2335-48"
    ),
    components=(),
    compute=single_item("score"),
    diary=DIARY_24H,
    polarity="higher_worse",
    note="Polarity: 10 = worst. Never pooled with a sleep-quality scale (10 = best).",
)
