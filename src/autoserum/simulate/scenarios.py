"""The scenarios: one per protocol of the library, modelled on its published results.

Each scenario cites where each number comes from (``Scenario.sources``); values that no source
gives are marked ``assumption``, and values tuned by simulation to reproduce a published target
are marked ``calibrated``. The published results are in ``/work/shared/data/evidence/``
(``sources.md``, ``extraction.csv``).

>>> scenario_codes()
('aaht-zhao2022', 'abt-pittler2003', 'aigt-nahm2020', 'asim-choi2024', 'ast-nahm2023')
>>> get_scenario("ast-nahm2023").arms[0].code
'serum'
"""

from __future__ import annotations

from dataclasses import replace
from math import log

from autoserum.errors import NotFoundError
from autoserum.simulate._defaults import CAL, DEFAULT_SOURCES
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

__all__ = ["SCENARIOS", "get_scenario", "scenario_codes"]

PITTLER = "Pittler 2003 (Br J Dermatol 148:307), abstract"
NAHM23 = "Nahm 2023 (Yonsei Med J 64:423), abstract"
NAHM20 = "Nahm 2020 (AAIR 12:949), abstract / NCT02835170"
CHOI = "Choi 2024 (Kosin Med J 39:51), abstract"
ZHAO = "Zhao 2022 (J Integr Med 20:182), case report abstract"
EASI_SCORAD_R = "Soonchunhyang 2007 comparison (50 children): SCORAD vs EASI r = 0.84"
EASI_OSCORAD = "Sacotte 2017 (388 adolescents and adults): EASI vs oSCORAD Spearman rho = 0.92"


def _sources(overrides: dict[str, str]) -> dict[str, str]:
    merged = dict(DEFAULT_SOURCES)
    merged.update(overrides)
    return merged


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
    sources=_sources(
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
        ArmSpec("serum", effect=0.465, effect_sd=0.3, exacerbation_risk=0.05),
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
    sources=_sources(
        {
            "arms.serum.effect": CAL + "SCORAD changes -14.8% (serum) at week 8",
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
            effect=0.901,
            effect_sd=0.4,
            exacerbation_risk=0.115,
            il10_effect=0.3,
            ifng_effect=0.3,
            ige_effect=0.2,
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
        placebo_effect=0.495, onset_days=21.0, offset_half_life_days=112.0, persistence=0.5
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
    ),
    sources=_sources(
        {
            "arms.igg.effect": CAL + "EASI changes -64.8% at week 16",
            "arms.igg.effect_sd": "assumption: SD 0.4 on the log scale",
            "arms.igg.exacerbation_risk": NAHM20 + ": AD exacerbation 11.5% (3/26)",
            "arms.igg.il10_effect": NAHM20 + ": IL-10 rises (p = 0.011); size assumed (+35%)",
            "arms.igg.ifng_effect": NAHM20 + ": IFN-gamma rises (p = 0.003); size assumed (+35%)",
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

ASIM = Scenario(
    code="asim-choi2024",
    arms=(ArmSpec("serum", effect=0.346, effect_sd=0.35, exacerbation_risk=0.05),),
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
    sources=_sources(
        {
            "arms.serum.effect": CAL + "SCORAD improves ~20% at week 4 (significant, n = 22)",
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
    sources=_sources(
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

_ZERO = {
    "effect": "control arm: no specific effect",
    "effect_sd": "control arm: no specific effect",
    "il10_effect": "no effect on IL-10 (not measured, or none reported)",
    "ifng_effect": "no effect on IFN-gamma (not measured, or none reported)",
    "ige_effect": "no direct effect on IgE (IgE follows severity)",
    "treg_effect": "no effect on CD4+IL-10+ T cells (not measured, or none reported)",
}


def _finalise(scenario: Scenario) -> Scenario:
    """Give the arms' zero effects their standard provenance."""
    sources = dict(scenario.sources)
    for arm in scenario.arms:
        for name, note in _ZERO.items():
            key = f"arms.{arm.code}.{name}"
            if key not in sources and getattr(arm, name) == 0:
                sources[key] = note
    return replace(scenario, sources=sources)


SCENARIOS: dict[str, Scenario] = {
    s.code: _finalise(s) for s in sorted((ABT, AAHT, AIGT, ASIM, AST), key=lambda s: s.code)
}


def scenario_codes() -> tuple[str, ...]:
    """Codes of the shipped scenarios (= protocol codes of the library), sorted."""
    return tuple(SCENARIOS)


def get_scenario(code: str) -> Scenario:
    """The scenario of a protocol code; :class:`NotFoundError` if there is none.

    >>> get_scenario("aigt-nahm2020").arm("igg").exacerbation_risk
    0.115
    """
    try:
        return SCENARIOS[code]
    except KeyError:
        raise NotFoundError(
            f"no simulation scenario for protocol {code!r}; known: {', '.join(SCENARIOS)}"
        ) from None
