"""Scenarios of the randomised trials: Pittler 2003 (whole blood), Nahm 2023 (serum), Nahm 2020
(IgG). Provenance of every value in ``sources``; see ``scenarios``.
"""

from __future__ import annotations

from math import log

from autoserum.simulate._defaults import CAL, NAHM20, NAHM23, PITTLER, with_defaults
from autoserum.simulate._model import (
    AdverseEvents,
    ArmSpec,
    Course,
    Dropout,
    Eligibility,
    Population,
    Scenario,
    Target,
    Threshold,
)

__all__ = ["ABT", "AIGT", "AST"]

UNCALIBRATED = "; not calibrated: reproduced by the model, hence the wider tolerance"


ABT = Scenario(
    code="abt-pittler2003",
    arms=(
        ArmSpec("abt", effect=1.489, effect_sd=0.25, exacerbation_risk=0.05),
        ArmSpec("placebo", effect=0.0, effect_sd=0.0, exacerbation_risk=0.05),
    ),
    sites=("exeter",),
    eligibility=Eligibility((Threshold("sassad", minimum=20),)),
    population=Population(
        age_mean=35,
        age_sd=12,
        age_min=18,
        age_max=75,
        female_fraction=0.55,
        severity_mean=log(0.8),
        severity_sd=0.35,
    ),
    course=Course(placebo_effect=0.05, onset_days=118.143, effect_lag_days=35.0),
    dropout=Dropout(hazard_per_week=0.0036),
    adverse=AdverseEvents(injection_site_pain=0.07, injection_site_bruising=0.04),
    targets=(
        Target(
            "sassad_difference_week_5",
            "mean_change_difference",
            "sassad",
            "abt",
            5,
            9.6,
            2.0,
            PITTLER + ": SASSAD reduction over placebo 9.6 (95% CI 4.2-14.9)",
            control="placebo",
        ),
        Target(
            "sassad_difference_week_9",
            "mean_change_difference",
            "sassad",
            "abt",
            9,
            13.5,
            2.5,
            PITTLER + ": 13.5 (95% CI 6.6-20.4) after 5 weeks of follow-up",
            control="placebo",
        ),
        Target(
            "dropout_week_9",
            "dropout",
            "sassad",
            "",
            9,
            1 / 31,
            0.03,
            "Nahm 2024 editorial table: 31 enrolled, 30 completed",
        ),
    ),
    sources=with_defaults(
        {
            "arms.abt.effect": CAL + "the SASSAD difference at week 5 is 9.6",
            "arms.abt.effect_sd": "assumption: responders vary, SD 0.25 on the log scale",
            "arms.abt.exacerbation_risk": "assumption: 5% flare as an adverse event",
            "arms.placebo.effect": "control arm: no specific effect",
            "arms.placebo.exacerbation_risk": "assumption: 5% flare as an adverse event",
            "eligibility.thresholds.sassad.minimum": PITTLER + ": 31 of 50 volunteers randomised "
            "(threshold assumed so that ~62% of candidates pass)",
            "population.age_mean": "assumption: adult volunteers",
            "population.age_sd": "assumption",
            "population.age_min": "assumption",
            "population.age_max": "assumption",
            "population.female_fraction": "assumption",
            "population.severity_mean": "Nahm 2024 editorial: mild-to-moderate AD (value assumed)",
            "population.severity_sd": "assumption",
            "course.placebo_effect": "assumption: small non-specific response to injections",
            "course.onset_days": CAL + "the difference grows from 9.6 (wk 5) to 13.5 (wk 9)",
            "course.effect_lag_days": PITTLER
            + ": the difference still grows 5 weeks after the last "
            "injection (13.5 at week 9 vs 9.6 at week 5)",
            "dropout.hazard_per_week": "Nahm 2024 editorial: 1 of 31 lost over 9 weeks",
            "adverse.injection_site_pain": PITTLER + ": minor transient AEs in 6/15 vs 7/15 (split "
            "pain:bruising 7:4 assumed)",
            "adverse.injection_site_bruising": PITTLER + ": minor transient AEs in 6/15 vs 7/15",
        }
    ),
)

AST = Scenario(
    code="ast-nahm2023",
    arms=(
        ArmSpec("serum", effect=0.3, effect_sd=0.3, exacerbation_risk=0.05, symptom_effect=1.189),
        ArmSpec("placebo", effect=0.0, effect_sd=0.0, exacerbation_risk=0.1),
    ),
    sites=("ajou",),
    eligibility=Eligibility(),
    population=Population(
        age_mean=24,
        age_sd=8,
        age_min=13,
        age_max=65,
        female_fraction=0.45,
        severity_mean=log(0.85),
        severity_sd=0.35,
    ),
    course=Course(drift_per_week=0.003, placebo_effect=0.0),
    dropout=Dropout(hazard_per_week=0.017),
    adverse=AdverseEvents(),
    targets=(
        Target(
            "scorad_serum_week_8",
            "mean_pct_change",
            "scorad",
            "serum",
            8,
            -14.8,
            4.0,
            NAHM23 + ": SCORAD -14.8% from baseline at week 8",
        ),
        Target(
            "scorad_placebo_week_8",
            "mean_pct_change",
            "scorad",
            "placebo",
            8,
            10.7,
            4.0,
            NAHM23 + ": placebo 10.7% as printed (read as a worsening; sign unverified)",
        ),
        Target(
            "dlqi_serum_week_8",
            "mean_pct_change",
            "dlqi",
            "serum",
            8,
            -32.6,
            15.0,
            NAHM23 + ": DLQI -32.6% at week 8" + UNCALIBRATED,
        ),
        Target(
            "dlqi_placebo_week_8",
            "mean_pct_change",
            "dlqi",
            "placebo",
            8,
            19.5,
            15.0,
            NAHM23 + ": DLQI 19.5% with saline as printed (read as a worsening)" + UNCALIBRATED,
        ),
        Target(
            "dropout_week_8",
            "dropout",
            "scorad",
            "",
            8,
            3 / 23,
            0.05,
            NAHM23 + ": 1 (serum) + 2 (saline) of 23 lost before week 8",
        ),
    ),
    sources=with_defaults(
        {
            "arms.serum.effect": "Nahm 2024 editorial: EASI not significantly changed at week 8 "
            "(objective effect 0.3 assumed, smaller than the symptom effect)",
            "arms.serum.symptom_effect": CAL + "SCORAD changes -14.8% (serum) at week 8, with "
            "DLQI also improved (-32.6%) while EASI is not: the effect is on symptoms",
            "arms.serum.effect_sd": "assumption: SD 0.3 on the log scale",
            "arms.serum.exacerbation_risk": "assumption: 5% flare reported as an AE",
            "arms.placebo.exacerbation_risk": "assumption: 10% flare reported as an AE",
            "arms.serum.ige_effect": "assumption: no direct effect on IgE",
            "population.age_mean": "assumption: adolescents and young adults",
            "population.age_sd": "assumption",
            "population.age_min": NAHM23,
            "population.age_max": "assumption",
            "population.female_fraction": "assumption",
            "population.severity_mean": "assumption: clinic population of which ~70% pass "
            "SCORAD >= 25",
            "population.severity_sd": "assumption",
            "course.drift_per_week": CAL + "the saline arm's SCORAD rises 10.7% by week 8 "
            "(worsening off treatment; the abstract's sign is read as printed)",
            "dropout.hazard_per_week": NAHM23 + ": 3 of 23 lost over 8 weeks",
        }
    ),
)

AIGT = Scenario(
    code="aigt-nahm2020",
    arms=(
        ArmSpec(
            "igg",
            effect=0.735,
            effect_sd=0.4,
            exacerbation_risk=0.115,
            il10_effect=0.3,
            ifng_effect=0.3,
            ige_effect=0.2,
            treg_effect=0.2,
        ),
        ArmSpec("placebo", effect=0.0, effect_sd=0.0, exacerbation_risk=0.48),
    ),
    sites=("ajou",),
    eligibility=Eligibility(),
    population=Population(
        age_mean=26,
        age_sd=9,
        age_min=13,
        age_max=65,
        female_fraction=0.45,
        severity_mean=log(0.9),
        severity_sd=0.35,
    ),
    course=Course(
        placebo_effect=0.387, onset_days=21.0, offset_half_life_days=112.0, persistence=0.5
    ),
    dropout=Dropout(hazard_per_week=0.008),
    adverse=AdverseEvents(),
    targets=(
        Target(
            "easi_igg_week_16",
            "mean_pct_change",
            "easi",
            "igg",
            16,
            -64.8,
            5.0,
            NAHM20 + ": EASI -64.8% at week 16",
        ),
        Target(
            "easi_placebo_week_16",
            "mean_pct_change",
            "easi",
            "placebo",
            16,
            -20.3,
            5.0,
            NAHM20 + ": EASI -20.3% with saline at week 16",
        ),
        Target(
            "dlqi_igg_week_16",
            "mean_pct_change",
            "dlqi",
            "igg",
            16,
            -35.4,
            10.0,
            NAHM20 + ": DLQI -35.4% at week 16" + UNCALIBRATED,
        ),
        Target(
            "dlqi_placebo_week_16",
            "mean_pct_change",
            "dlqi",
            "placebo",
            16,
            -14.4,
            10.0,
            NAHM20 + ": DLQI -14.4% with saline at week 16" + UNCALIBRATED,
        ),
    ),
    sources=with_defaults(
        {
            "arms.igg.effect": CAL + "EASI changes -64.8% at week 16",
            "arms.igg.effect_sd": "assumption: SD 0.4 on the log scale",
            "arms.igg.exacerbation_risk": NAHM20 + ": AD exacerbation 11.5% (3/26)",
            "arms.igg.il10_effect": NAHM20 + ": IL-10 rises (p = 0.011); size assumed (+35%)",
            "arms.igg.ifng_effect": NAHM20 + ": IFN-gamma rises (p = 0.003); size assumed (+35%)",
            "arms.igg.treg_effect": "Kwon 2022 (Medicine 101:e29486, healthy subjects): IL-10+ "
            "CD4+ T cells rise after IM autologous IgG (size assumed, +22%)",
            "arms.igg.ige_effect": "Nahm 2015 (Dermatology 231:145): total IgE falls; size assumed",
            "arms.placebo.exacerbation_risk": NAHM20 + ": AD exacerbation 48.0% (12/25)",
            "population.age_mean": "assumption",
            "population.age_sd": "assumption",
            "population.age_min": NAHM20,
            "population.age_max": "assumption",
            "population.female_fraction": "assumption",
            "population.severity_mean": "assumption: clinic population of which ~70% pass the "
            "SCORAD/BSA rules",
            "population.severity_sd": "assumption",
            "course.placebo_effect": CAL + "EASI changes -20.3% with saline at week 16",
            "course.onset_days": "assumption: 3 weeks (weekly doses over 7 weeks)",
            "course.offset_half_life_days": "Nahm 2016 / editorial: improvements last for months "
            "(16 weeks assumed)",
            "course.persistence": "Nahm 2024 editorial: long-term improvement in 2 of 3 patients "
            "(half of the peak assumed to persist)",
            "dropout.hazard_per_week": "assumption: NR in the abstract; ~12% over 16 weeks",
        }
    ),
)
