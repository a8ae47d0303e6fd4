"""The public surfaces of autoserum.meta, autoserum.evidence and autoserum.design are pinned."""

from __future__ import annotations

import autoserum.design
import autoserum.evidence
import autoserum.meta


def test_meta_public_api_is_pinned() -> None:
    assert sorted(autoserum.meta.__all__) == sorted(
        [
            "CONTINUOUS_MEASURES", "COUNT_MEASURES", "MEASURES", "METHODS", "RATIO_MEASURES",
            "DerivedEffect", "EffectSizes", "EffectTable", "LeaveOneOut", "MetaResult",
            "SubgroupResult", "CORRELATION_MEASURES", "escalc_correlations", "binary_effect",
            "BayesMetaResult", "McmcCheck", "bayes_rma", "bayes_rma_mcmc", "smd_residual_to_raw",
            "count_from_percent", "effect_from_ci",
            "effect_from_means", "effect_from_p", "effects_from_rows", "escalc_counts",
            "escalc_means", "forest_plot", "forest_plot_trials", "funnel_plot",
            "hedges_correction", "leave_one_out",
            "log_or_to_smd", "rma", "save_figure", "sd_of_change", "se_from_ci", "se_from_p",
            "smd_from_p", "smd_from_t", "subgroup_analysis", "tau2_confint",
        ]
    )  # fmt: skip


def test_evidence_public_api_is_pinned() -> None:
    assert sorted(autoserum.evidence.__all__) == sorted(
        [
            "CONDITIONS", "PROTOCOL_CODES", "THERAPIES", "Analysis", "Arm", "EffectSpec", "Flag",
            "LeftOut", "PooledAnalysis", "Registry", "Result", "Study", "StudyEffect",
            "load_registry", "parse_registry", "pool_analysis", "study_effect",
            "STUDY_STATUSES", "Identifiers", "PrismaFlow", "Screening", "SearchRecord",
            "load_review_protocol", "load_search", "prisma_flow", "prisma_svg",
            "render_review_protocol", "R_SENSITIVITY", "TAU_PRIOR_SCALE", "GRADE_DOMAINS",
            "ROB2_DOMAINS", "GradeRow",
            "Rob2Assessment", "RobinsAssessment", "load_rob2", "load_robins_i", "rob2_domain",
            "rob_summary", "rob_traffic_light", "summary_of_findings",
        ]
    )  # fmt: skip


def test_design_public_api_is_pinned() -> None:
    assert sorted(autoserum.design.__all__) == sorted(
        [
            "CURVE_DESIGNS", "DESIGNS_ANALYTIC", "DESIGNS_SIMULATED", "PROTOCOL_TESTS",
            "PowerResult", "SimulatedPower", "plot_power_curve", "power_curve",
            "power_prop_test", "power_t_test", "simulate_mmrm_power", "simulate_power",
            "simulate_protocol_power", "POWER_DESIGNS", "PowerDesign", "default_curve_ns",
            "power_design", "SIGMA_PCT_CHANGE", "AssuranceResult", "NormalPrior", "assurance",
            "map_prior", "registry_priors", "DesignGrid", "GridCell", "GridRun", "GridTask",
            "load_grid",
            "parse_grid", "plot_grid", "run_grid",
        ]
    )  # fmt: skip


def test_every_public_name_exists() -> None:
    for mod in (autoserum.meta, autoserum.evidence, autoserum.design):
        for name in mod.__all__:
            assert hasattr(mod, name), f"{mod.__name__}.{name}"
