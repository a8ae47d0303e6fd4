"""Assurance of the serum RCT design under the registry's priors (issue 17): analytic and
simulated agree within Monte-Carlo error; limiting cases reduce to known power formulas."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats
from typer.testing import CliRunner

from autoserum.cli import app, main
from autoserum.design import (
    SIGMA_PCT_CHANGE,
    NormalPrior,
    assurance,
    power_t_test,
    registry_priors,
)

runner = CliRunner()
N_SERUM_RCT = 40  # per arm: the serum RCT design (ast-nahm2023 regimen, SCORAD % change)


def test_registry_priors_say_where_their_numbers_come_from() -> None:
    control, effect, report = registry_priors()
    # Nahm 2023 (Yonsei Med J, abstract): serum -14.8% vs saline +10.7%, p = 0.006, 10 + 10
    assert any("delta = +10.7 - (-14.8) = 25.5" in line for line in effect.derivation)
    # SE = 25.5 / qt(0.997, 18); R: 25.5 / qt(1 - 0.006/2, 18) = 8.19
    assert any("25.5 / 3.113 = 8.19" in line for line in effect.derivation)
    assert any("Nahm 2020 saline EASI -20.3%" in line for line in control.derivation)
    assert any("autoserum default" in line for line in control.derivation)
    assert control.ess(SIGMA_PCT_CHANGE) < 5  # the two control arms disagree: little to borrow
    assert any("very low" in line for line in report)


@pytest.mark.parametrize("bayesian", [False, True])
def test_assurance_analytic_and_simulated_agree(bayesian: bool) -> None:
    control, effect, _ = registry_priors()
    res = assurance(
        N_SERUM_RCT,
        effect_prior=effect,
        sigma=SIGMA_PCT_CHANGE,
        control_prior=control if bayesian else None,
        threshold=0.975 if bayesian else None,
        simulate=200_000,
        seed=20261201,
    )
    assert res.simulated is not None
    assert res.mc_se is not None
    assert abs(res.analytic - res.simulated) < 4 * res.mc_se
    # averaging over an uncertain effect pulls the probability of success below the power at
    # the prior mean (the prior puts mass near and below 0)
    assert res.analytic < res.power_at_prior_mean


def test_point_prior_gives_the_power_of_the_t_test() -> None:
    # R: power.t.test(n = 40, delta = 20, sd = 40)$power (one rejection tail, strict = FALSE)
    point = NormalPrior(20.0, 1e-9, "point", ())
    res = assurance(40, effect_prior=point, sigma=40.0, simulate=0)
    expected = power_t_test("two_sample", delta=20, sd=40, n=40).power
    assert res.analytic == pytest.approx(expected, rel=1e-9)


def test_bayesian_rule_with_a_vague_control_prior_is_the_z_test() -> None:
    # s_C -> infinity and a point effect: success iff (ybar_C - ybar_T)/sqrt(2 sigma^2/n) > z,
    # whose power is Phi(delta / sqrt(2 sigma^2 / n) - z_0.975) (normal theory, closed form)
    vague = NormalPrior(0.0, 1e7, "vague", ())
    point = NormalPrior(15.0, 1e-9, "point", ())
    res = assurance(
        30, effect_prior=point, sigma=40.0, control_prior=vague, threshold=0.975, simulate=0
    )
    z = stats.norm.ppf(0.975)
    assert res.analytic == pytest.approx(
        stats.norm.cdf(15 / math.sqrt(2 * 1600 / 30) - z), rel=1e-9
    )


def test_power_command_gives_assurance_two_ways() -> None:
    result = runner.invoke(
        app,
        [
            "power", "two-sample", "--sd", "40", "--n", "40", "--prior", "registry",
            "--control-prior", "registry", "--bayes-threshold", "0.975", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    a = data["assurance"]
    assert a["kind"] == "bayesian"
    assert abs(a["analytic"] - a["simulated"]) < 4 * a["mc_se"]
    assert any("Nahm 2023" in line for line in data["prior_report"])
    text = runner.invoke(
        app, ["power", "two-sample", "--sd", "40", "--n", "40", "--prior", "20,10"]
    )
    assert "assurance (frequentist)" in text.output


def test_prior_needs_the_two_sample_design(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["power", "paired", "--delta", "5", "--sd", "10", "--n", "20", "--prior", "registry"])
    assert info.value.code == 2
    assert "prior" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["power", "two-sample", "--sd", "10", "--n", "20", "--prior", "ten"])
    assert info.value.code == 2
