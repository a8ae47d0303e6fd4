"""docs/evidence.md and docs/design.md quote numbers the code produces (docs that cannot rot)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autoserum.design import power_prop_test, power_t_test
from autoserum.evidence import (
    R_SENSITIVITY,
    load_registry,
    pool_analysis,
    prisma_flow,
    summary_of_findings,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _fmt(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


@pytest.mark.parametrize(
    ("analysis", "label"), [("csu_response", "RR"), ("csu_response_by_therapy", "RR")]
)
def test_evidence_doc_quotes_the_pooled_estimates(analysis: str, label: str) -> None:
    text = (DOCS / "evidence.md").read_text()
    res = pool_analysis(load_registry(), analysis, method="REML").result
    assert res is not None
    tr = math.exp if res.is_ratio else float
    quoted = f"{label} {_fmt(tr(res.estimate))} ({_fmt(tr(res.ci_low))} to {_fmt(tr(res.ci_high))})"
    assert quoted in text


def test_evidence_doc_states_the_headline_and_the_review_numbers() -> None:
    text = (DOCS / "evidence.md").read_text()
    assert "two small trials each reporting benefit on its own scale,\ncertainty very low" in text
    flow = prisma_flow()
    for label, n in (
        ("records identified", flow.identified_total),
        ("records screened", flow.screened),
        ("reports assessed for eligibility", flow.assessed),
    ):
        assert f"| {label} | {n}" in text
    assert f"studies included | {flow.studies_included} RCTs" in text
    row = next(r for r in summary_of_findings() if r.id == "ad_severity")
    assert f"| 2 ({row.participants}) |" in text
    assert row.certainty == "very low"
    for r in R_SENSITIVITY:
        assert f"{r:g}" in text
    for e in pool_analysis(load_registry(), "ad_blood_serum_severity").effects:
        assert _fmt(e.effect.yi) in text


def test_design_doc_quotes_the_sample_sizes() -> None:
    text = (DOCS / "design.md").read_text()
    # R: power.t.test(delta = 9.6, sd = 10, power = 0.9)$n = 23.805 -> 24 per group
    assert f"n = {power_t_test('two_sample', delta=9.6, sd=10, power=0.9).n:.1f}" in text
    anc = power_t_test("ancova", delta=9.6, sd=10, rho=0.6, power=0.8).n
    assert f"{anc:.2f} → 12 per group" in text
    assert f"{power_prop_test(p1=0.6, p2=0.25, power=0.8).n:.2f}" in text


def test_design_doc_quotes_the_assurance() -> None:
    from autoserum.design import assurance, registry_priors

    text = (DOCS / "design.md").read_text()
    control, effect, _ = registry_priors()
    assert f"N({control.mean:.1f}, {control.sd:.1f}²)" in text.replace("−", "-")
    assert f"N({effect.mean:.1f}, {effect.sd:.1f}²)" in text
    a = assurance(40, effect_prior=effect, sigma=40.0, simulate=0)
    b = assurance(
        40, effect_prior=effect, sigma=40.0, control_prior=control, threshold=0.975, simulate=0
    )
    assert f"| 40 | {a.power_at_prior_mean:.3f} | {a.analytic:.3f} /" in text
    assert f"| {b.analytic:.3f} /" in text


def test_evidence_doc_counts_the_rob2_assessments() -> None:
    from autoserum.evidence import load_rob2

    text = (DOCS / "evidence.md").read_text()
    assert f"({len(load_rob2())} assessments)" in text
