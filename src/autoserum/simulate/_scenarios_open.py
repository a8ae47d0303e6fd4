"""Scenarios of the open studies: the ASIM pilot (Choi 2024) and the acupoint case report (Zhao
2022). Provenance of every value in ``sources``; see ``scenarios``.
"""

from __future__ import annotations

from math import log

from autoserum.simulate._defaults import CAL, CHOI, EASI_OSCORAD, EASI_SCORAD_R, ZHAO, with_defaults
from autoserum.simulate._model import (
    AdverseEvents,
    ArmSpec,
    Course,
    Dropout,
    Eligibility,
    Labs,
    Population,
    Scenario,
    Target,
    Threshold,
)

__all__ = ["AAHT", "ASIM"]


ASIM = Scenario(
    code="asim-choi2024",
    arms=(
        ArmSpec("serum", effect=0.3, effect_sd=0.35, exacerbation_risk=0.05, symptom_effect=0.315),
    ),
    sites=("kosin",),
    eligibility=Eligibility(),
    population=Population(
        age_mean=32,
        age_sd=11,
        age_min=19,
        age_max=70,
        female_fraction=0.5,
        severity_mean=log(0.85),
        severity_sd=0.35,
        extent_sd=0.6,
        itch_sd=0.8,
    ),
    course=Course(placebo_effect=0.1, age_modifier_per_decade=0.12, eosinophil_modifier=0.25),
    dropout=Dropout(hazard_per_week=0.005, run_in_loss=3 / 25),
    adverse=AdverseEvents(injection_site_pain=0.05, injection_site_bruising=0.03),
    targets=(
        Target(
            "not_treated",
            "not_treated",
            "easi",
            "serum",
            0,
            3 / 25,
            0.04,
            CHOI + ": 22 of 25 screened received ASIM",
        ),
        Target(
            "scorad_week_4",
            "mean_pct_change",
            "scorad",
            "serum",
            4,
            -20.0,
            5.0,
            CHOI + ": SCORAD improved at week 4 (p < 0.05); size assumed",
        ),
        Target(
            "easi_scorad_r", "correlation", "easi", "", 0, 0.84, 0.06, EASI_SCORAD_R, other="scorad"
        ),
        Target(
            "easi_oscorad_rho", "spearman", "easi", "", 0, 0.92, 0.05, EASI_OSCORAD, other="oscorad"
        ),
    ),
    sources=with_defaults(
        {
            "arms.serum.effect": CHOI + ": EASI only a non-significant trend (objective effect "
            "0.3 assumed, smaller than the symptom effect)",
            "arms.serum.symptom_effect": CAL + "SCORAD improves ~20% at week 4 (significant, "
            "n = 22), with pruritus, sleep and DLQI: the effect is on symptoms",
            "arms.serum.effect_sd": "assumption: SD 0.35 on the log scale",
            "arms.serum.exacerbation_risk": "assumption: 5% flare as an AE",
            "arms.serum.ige_effect": "assumption: no direct effect on IgE",
            "population.age_mean": "assumption",
            "population.age_sd": "assumption",
            "population.age_min": "assumption",
            "population.age_max": "assumption",
            "population.female_fraction": "assumption",
            "population.severity_mean": CHOI + ": mild-to-moderate AD (value assumed)",
            "population.severity_sd": "assumption",
            "population.extent_sd": "assumption: extent varies apart from intensity (SD 0.6)",
            "population.itch_sd": "assumption: itch varies widely between patients (SD 0.8), "
            "chosen so that r(EASI, SCORAD) is near 0.84 (Soonchunhyang 2007)",
            "course.placebo_effect": "assumption: non-specific response to open-label injections",
            "course.age_modifier_per_decade": CHOI
            + ": EASI-50 responders were older (size assumed)",
            "course.eosinophil_modifier": CHOI + ": EASI-50 responders had lower eosinophils (size "
            "assumed)",
            "dropout.hazard_per_week": "Nahm 2024 editorial: 23 enrolled, 22 completed",
            "dropout.run_in_loss": CHOI + ": 22 of 25 screened received ASIM",
            "adverse.injection_site_pain": CHOI + ": no significant adverse reactions (5% assumed)",
            "adverse.injection_site_bruising": CHOI + ": no significant adverse reactions (3% "
            "assumed)",
        }
    ),
)

AAHT = Scenario(
    code="aaht-zhao2022",
    arms=(ArmSpec("aaht", effect=4.0, effect_sd=0.3, exacerbation_risk=0.0),),
    sites=("nanfang",),
    eligibility=Eligibility((Threshold("easi", minimum=7.1),)),
    population=Population(
        age_mean=26,
        age_sd=0,
        age_min=26,
        age_max=26,
        female_fraction=1.0,
        severity_mean=log(1.2),
        severity_sd=0.2,
    ),
    course=Course(onset_days=28.0, persistence=1.0),
    dropout=Dropout(hazard_per_week=0.0),
    adverse=AdverseEvents(
        injection_site_pain=0.05, injection_site_bruising=0.1, other_per_week=0.0
    ),
    labs=Labs(ige_log_mean=log(900), ige_log_sd=0.3, ige_severity_slope=0.796),
    targets=(
        Target(
            "easi_resolved_week_17",
            "proportion_at_most",
            "easi",
            "aaht",
            17,
            0.9,
            0.1,
            ZHAO + ": symptoms entirely resolved at the end of treatment (EASI <= 1)",
            other="1.0",
        ),
        Target(
            "easi_no_relapse_week_43",
            "proportion_at_most",
            "easi",
            "aaht",
            43,
            0.9,
            0.1,
            ZHAO + ": no relapse in 6 months of follow-up (EASI <= 1)",
            other="1.0",
        ),
        Target(
            "ige_normal_week_43",
            "proportion_at_most",
            "ige",
            "aaht",
            43,
            0.9,
            0.1,
            ZHAO + ": IgE back in the normal range by the 6-month follow-up (<= 100 kU/L)",
            other="100",
        ),
    ),
    sources=with_defaults(
        {
            "arms.aaht.effect": CAL + "EASI is <= 1 at the end of treatment (entirely resolved)",
            "arms.aaht.effect_sd": "assumption",
            "arms.aaht.exacerbation_risk": ZHAO + ": no relapse",
            "arms.aaht.ige_effect": "assumption: IgE follows severity (severity slope)",
            "eligibility.thresholds.easi.minimum": ZHAO + ": recalcitrant AD for 5 years (moderate "
            "or worse assumed)",
            "population.age_mean": ZHAO + ": 26-year-old",
            "population.age_sd": ZHAO,
            "population.age_min": ZHAO,
            "population.age_max": ZHAO,
            "population.female_fraction": ZHAO + ": woman",
            "population.severity_mean": "assumption: moderate-to-severe",
            "population.severity_sd": "assumption",
            "course.onset_days": "assumption: 4 weeks (weekly, then every other week)",
            "course.persistence": ZHAO + ": no relapse in 6 months",
            "dropout.hazard_per_week": ZHAO + ": followed to 6 months",
            "adverse.injection_site_pain": "assumption",
            "adverse.injection_site_bruising": "Sparrow 2022 commentary: bruising at acupoints "
            "is expected (10% assumed)",
            "adverse.other_per_week": "assumption: none reported",
            "labs.ige_log_mean": ZHAO
            + ": IgE above the normal range at baseline (900 kU/L assumed)",
            "labs.ige_log_sd": "assumption",
            "labs.ige_severity_slope": CAL + "IgE is back under 100 kU/L by the 6-month follow-up",
        }
    ),
)
