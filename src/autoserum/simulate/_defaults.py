"""Provenance of the parameters every scenario shares unless it overrides them.

Keys are parameter paths as listed by :func:`autoserum.simulate._model.numeric_leaves`.
"""

from __future__ import annotations

__all__ = [
    "CAL",
    "CHOI",
    "DEFAULT_SOURCES",
    "EASI_OSCORAD",
    "EASI_SCORAD_R",
    "MODEL_NOTE",
    "NAHM20",
    "NAHM23",
    "PITTLER",
    "ZHAO",
    "with_defaults",
]

PITTLER = "Pittler 2003 (Br J Dermatol 148:307), abstract"
NAHM23 = "Nahm 2023 (Yonsei Med J 64:423), abstract"
NAHM20 = "Nahm 2020 (AAIR 12:949), abstract / NCT02835170"
CHOI = "Choi 2024 (Kosin Med J 39:51), abstract"
ZHAO = "Zhao 2022 (J Integr Med 20:182), case report abstract"
EASI_SCORAD_R = "Soonchunhyang 2007 comparison (50 children): SCORAD vs EASI r = 0.84"
EASI_OSCORAD = "Sacotte 2017 (388 adolescents and adults): EASI vs oSCORAD Spearman rho = 0.92"

MODEL_NOTE = "assumption (model structure; no published value)"
CAL = "calibrated: tuned by simulation (scripts/calibrate_simulate.py) so that "

DEFAULT_SOURCES: dict[str, str] = {
    # Population facets
    "population.region_sd": "assumption: regional propensity varies ~35% between subjects",
    "population.extent_sd": "assumption: extent-vs-intensity facet, SD 0.3 on the log scale",
    "population.itch_sd": "assumption: itch facet, SD 0.3 on the log scale",
    "population.qol_sd": "assumption: QoL-sensitivity facet, SD 0.35 on the log scale",
    # Course
    "course.fluctuation_sd": "assumption: day-to-day (OU) SD 0.3 on the log scale (flares)",
    "course.fluctuation_days": "assumption: OU correlation time 10 days (flares last 1-3 weeks)",
    "course.drift_per_week": "assumption: no natural drift",
    "course.placebo_effect": "assumption: no non-specific response",
    "course.onset_days": "assumption: effect builds with time constant 14 days",
    "course.effect_lag_days": "assumption: effect keeps building 7 days after the last injection",
    "course.offset_half_life_days": "assumption: effect fades with half-life 8 weeks",
    "course.persistence": "assumption: no lasting effect after fading",
    "course.age_modifier_per_decade": "assumption: no effect modification by age",
    "course.eosinophil_modifier": "assumption: no effect modification by eosinophils",
    # Dropout
    "dropout.hazard_per_week": "assumption: 1% per week",
    "dropout.informative_log_hr": "assumption: hazard x e per unit of worsening of log activity",
    "dropout.run_in_loss": "assumption: no losses between screening and the first injection",
    # Adverse events
    "adverse.injection_site_pain": "assumption: 8% of injections",
    "adverse.injection_site_bruising": "assumption: 4% of injections",
    "adverse.other_per_week": "assumption: 1% of subjects per week (headache, nasopharyngitis)",
    "adverse.severe_fraction": "assumption: no severe non-serious events (none reported)",
    "adverse.serious_per_year": "assumption: 0.15 serious events per subject-year (placebo arms "
    "of 16-week AD trials: ~5% of subjects, e.g. SOLO 1/2, Simpson 2016 NEJM 375:2335; none "
    "reported in the small autologous trials)",
    "adverse.serious_reported_late": "assumption: 15% of SAEs reported after the 24 hours",
    "adverse.serious_unreported": "assumption: 10% of SAEs not yet reported (overdue)",
    "adverse.serious_ongoing": "assumption: 15% of SAEs ongoing (recovering) at the data cut",
    # Rescue and concomitant medication
    "rescue.rate_per_week": "assumption: 3% of subjects per week start rescue at no worsening",
    "rescue.worsening_log_hr": "assumption: hazard x e^2 per unit of worsening of log activity",
    "rescue.course_days": "assumption: a rescue course lasts 10 days on average",
    "rescue.grams_log_mean": "assumption: geometric mean 15 g of steroid per week of rescue",
    "rescue.grams_log_sd": "assumption: weekly amount varies by a factor ~1.6 between courses",
    "rescue.ftu_fraction": "assumption: 30% of courses recorded in fingertip units (0.5 g each)",
    "rescue.antihistamine_fraction": "assumption: 20% take an oral antihistamine throughout",
    # Labs
    "labs.ige_log_mean": "assumption: geometric mean total IgE ~400 kU/L in adult AD",
    "labs.ige_log_sd": "assumption: total IgE spans ~2 decades between subjects",
    "labs.ige_severity_slope": "assumption: log IgE rises 1:1 with log severity",
    "labs.ige_visit_sd": "assumption: 12% visit-to-visit variation of IgE",
    "labs.ige_upper_normal": "assumption: a common adult reference limit (100 kU/L)",
    "labs.eos_log_mean": "assumption: geometric mean eosinophils ~0.35 x10^9/L in AD",
    "labs.eos_log_sd": "assumption: between-subject SD 0.55 on the log scale",
    "labs.eos_severity_slope": "assumption: log eosinophils rise 0.5 per unit log severity",
    "labs.eos_visit_sd": "assumption: 20% visit-to-visit variation of eosinophils",
    "labs.leukocytes_log_mean": "assumption: leucocytes ~6.7 x10^9/L (for eosinophils %)",
    "labs.leukocytes_log_sd": "assumption: between-subject SD 0.25 on the log scale",
    "labs.treg_log_mean": "assumption: CD4+IL-10+ T cells ~1.6% of CD4+",
    "labs.treg_log_sd": "assumption: between-subject SD 0.4 on the log scale",
    "labs.il10_log_mean": "assumption: serum IL-10 ~5 pg/mL",
    "labs.il10_log_sd": "assumption: between-subject SD 0.5 on the log scale",
    "labs.ifng_log_mean": "assumption: serum IFN-gamma ~10 pg/mL",
    "labs.ifng_log_sd": "assumption: between-subject SD 0.6 on the log scale",
    "labs.cytokine_visit_sd": "assumption: 20% visit-to-visit variation of cytokines",
    # Items
    "items.sign_noise_sd": CAL + "EASI and SCORAD correlate as in clinic (r 0.84)",
    "items.area_scale": MODEL_NOTE + ": region % = 100(1 - exp(-scale (a rho)^power extent))",
    "items.area_power": MODEL_NOTE + ": area grows faster than intensity",
    "items.area_noise_sd": "assumption: 25% assessor error on the % of a region",
    "items.itch_scale": MODEL_NOTE + ": itch VAS = 10(1 - exp(-scale a itch))",
    "items.itch_noise_sd": "assumption: VAS recall error SD 0.9 points",
    "items.sleep_scale": MODEL_NOTE + ": sleeplessness VAS = 10(1 - exp(-scale a itch))",
    "items.sleep_noise_sd": "assumption: VAS recall error SD 1.1 points",
    "items.nrs_noise_sd": "assumption: NRS error SD 0.8 points",
    "items.poem_scale": MODEL_NOTE + ": days with a symptom = 7(1 - exp(-scale a itch w))",
    "items.poem_noise_sd": "assumption: recall error SD 1 day",
    "items.dlqi_scale": MODEL_NOTE + ": DLQI item level = scale a qol w",
    "items.dlqi_noise_sd": "assumption: answer error SD 0.55 categories",
    "items.dlqi_not_relevant": "assumption: 15% of 'not at all' answers are 'not relevant'",
    "items.iga_noise_sd": "assumption: vIGA-AD assessor error SD 0.2 on the log scale (twice that "
    "for the patient global rating)",
    # Logistics
    "recruitment_days": "assumption: one year of recruitment (visit dates only)",
}


def with_defaults(overrides: dict[str, str]) -> dict[str, str]:
    """The shared provenance, updated with a scenario's own."""
    merged = dict(DEFAULT_SOURCES)
    merged.update(overrides)
    return merged
