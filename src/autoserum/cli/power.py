"""CLI: ``autoserum power DESIGN`` — sample size for a target power, or power for a sample size,
with optional simulation and power curves (registered by :mod:`autoserum.cli.meta`).

A thin edge over :func:`autoserum.design.power_design`: it parses the options, shows a progress
bar on long simulations, writes the curve files and prints the result.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from autoserum.errors import Expected, ValidationError

__all__ = ["power_command"]

_LONG_RUN = 400  # whole-trial replicates from which a progress bar is shown


def _curve_ns(spec: str | None) -> list[int] | None:
    if spec is None:
        return None
    try:
        ns = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise ValidationError(
            "curve_n", spec, Expected("comma-separated integers, e.g. 10,20,30")
        ) from None
    if not ns or min(ns) < 3:
        raise ValidationError("curve_n", spec, Expected("sample sizes >= 3"))
    return ns


def _weeks(spec: str) -> tuple[float, ...]:
    try:
        return tuple(float(w) for w in spec.split(","))
    except ValueError:
        raise ValidationError(
            "visits", spec, Expected("comma-separated weeks, e.g. 4,8,12")
        ) from None


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for ``total`` replicates (when ``show``)."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        from autoserum.cli._say import language, translate

        task = bar.add_task(translate(language(), "simulating trials"), total=total)
        yield lambda k: bar.advance(task, k)


def power_command(
    design: Annotated[
        str,
        typer.Argument(
            help="paired, two-sample, ancova, proportions, wilcoxon, mann-whitney, mmrm, protocol."
        ),
    ],
    delta: Annotated[float | None, typer.Option(help="Difference to detect (change).")] = None,
    sd: Annotated[
        float | None, typer.Option(help="SD of the change (of the outcome for ancova).")
    ] = None,
    rho: Annotated[
        float | None, typer.Option(help="Baseline-endpoint correlation (ancova).")
    ] = None,
    p1: Annotated[float | None, typer.Option(help="Responder proportion, therapy arm.")] = None,
    p2: Annotated[float | None, typer.Option(help="Responder proportion, control arm.")] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="Sample size per group: gives power.")
    ] = None,
    power: Annotated[
        float | None, typer.Option("--power", help="Target power: gives the sample size.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    strict: Annotated[
        bool, typer.Option(help="Count both rejection tails (R strict=TRUE).")
    ] = False,
    simulate: Annotated[
        int, typer.Option("--simulate", help="Monte-Carlo replicates (0 = none).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    dropout: Annotated[
        float, typer.Option(help="mmrm: fraction missing at the last visit (monotone MCAR).")
    ] = 0.0,
    visits: Annotated[str, typer.Option(help="mmrm: post-baseline visit weeks.")] = "4,8,12",
    protocol: Annotated[
        str | None, typer.Option(help="protocol: a protocol-library code, e.g. ast-nahm2023.")
    ] = None,
    subjects: Annotated[
        int | None, typer.Option(help="protocol: subjects enrolled (all arms).")
    ] = None,
    endpoint: Annotated[str, typer.Option(help="protocol: instrument total, e.g. scorad.")] = "",
    week: Annotated[float | None, typer.Option(help="protocol: week of the endpoint.")] = None,
    test: Annotated[
        str,
        typer.Option(
            help="protocol: paired-t, wilcoxon | student-t, welch-t, mann-whitney, ancova, mmrm."
        ),
    ] = "",
    curve: Annotated[str | None, typer.Option(help="Write a power curve CSV here.")] = None,
    curve_plot: Annotated[
        str | None, typer.Option("--curve-plot", help="Write the power curve figure (.svg/.png).")
    ] = None,
    curve_n: Annotated[
        str | None, typer.Option("--curve-n", help="Sample sizes of the curve, e.g. 10,20,40.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    prior: Annotated[
        str | None,
        typer.Option(
            "--prior",
            help="two-sample: effect prior for assurance, 'registry' or MEAN,SD of delta.",
        ),
    ] = None,
    control_prior: Annotated[
        str | None,
        typer.Option(
            "--control-prior",
            help="Bayesian design: control-arm prior, 'registry' (MAP) or MEAN,SD.",
        ),
    ] = None,
    bayes_threshold: Annotated[
        float | None,
        typer.Option("--bayes-threshold", help="Bayesian design: success if P(delta>0) > this."),
    ] = None,
) -> None:
    """Sample size for a target power (--power) or power for a sample size (--n), per group.

    Analytic designs match R's power.t.test / power.prop.test; wilcoxon and mann-whitney are
    simulated (--simulate REPS, seeded). --curve/--curve-plot write a power curve.

    protocol simulates whole trials of the protocol library (autoserum.simulate) analysed with
    autoserum.stats: --protocol --subjects --endpoint --week --test.

    Example: autoserum power two-sample --delta 9.6 --sd 10 --power 0.9 --curve curve.csv

    --prior gives the assurance (power averaged over the effect prior, analytic and simulated);
    --control-prior with --bayes-threshold (e.g. 0.975) the Bayesian design option; 'registry'
    derives both priors from the evidence registry and prints how.

    Example: autoserum power two-sample --sd 40 --n 40 --prior registry --control-prior registry
    """
    from autoserum.design import power_design

    d = design.lower().replace("-", "_")
    priors = _priors(d, prior, control_prior, bayes_threshold, sd, n)
    if priors is not None and delta is None:
        delta = priors[0].mean
    ns = _curve_ns(curve_n)
    reps = simulate or 200
    show = d in ("mmrm", "protocol") and reps >= _LONG_RUN and sys.stderr.isatty()
    with _progress(reps, show) as progress:
        res = power_design(
            d,
            delta=delta,
            sd=sd,
            rho=rho,
            p1=p1,
            p2=p2,
            n=n,
            power=power,
            sig_level=alpha,
            strict=strict,
            simulate=simulate,
            seed=seed,
            dropout=dropout,
            visits=_weeks(visits) if d == "mmrm" else (4.0, 8.0, 12.0),
            protocol=protocol,
            subjects=subjects,
            endpoint=endpoint,
            week=week,
            test=test,
            curve=bool(curve or curve_plot),
            curve_ns=ns,
            progress=progress,
        )
    if res.curve is not None:
        _write_curve(res.curve, curve, curve_plot)
    out = res.to_dict()
    if priors is not None:
        out |= _assurance(priors, n, sd, alpha, bayes_threshold, seed)
    if as_json:
        typer.echo(json.dumps(out, indent=2, allow_nan=False))  # design: no NaN
        return
    _print(out, d, power=power, curve=curve, curve_plot=curve_plot)
    if "assurance" in out:
        _print_assurance(out)


def _prior_arg(name: str, value: str, registry: Any) -> Any:
    from autoserum.design import NormalPrior

    if value.lower() == "registry":
        return registry
    try:
        mean, sd = (float(x) for x in value.split(","))
    except ValueError:
        raise ValidationError(name, value, Expected("'registry' or MEAN,SD, e.g. 20,10")) from None
    if not sd > 0:
        raise ValidationError(name, value, Expected("an SD > 0"))
    return NormalPrior(mean, sd, name, (f"given on the command line: N({mean:g}, {sd:g}^2)",))


def _priors(
    d: str,
    prior: str | None,
    control_prior: str | None,
    threshold: float | None,
    sd: float | None,
    n: int | None,
) -> tuple[Any, Any, tuple[str, ...]] | None:
    if prior is None:
        if control_prior is not None or threshold is not None:
            raise ValidationError(
                "prior", None, Expected("--prior with --control-prior/--bayes-threshold")
            )
        return None
    if d != "two_sample" or n is None or sd is None:
        raise ValidationError("prior", prior, Expected("the two-sample design with --n and --sd"))
    if (control_prior is None) != (threshold is None):
        raise ValidationError(
            "control_prior",
            control_prior,
            Expected("--control-prior together with --bayes-threshold"),
        )
    from autoserum.design import registry_priors

    reg_control, reg_effect, report = registry_priors(sigma=sd)
    effect = _prior_arg("prior", prior, reg_effect)
    control = _prior_arg("control_prior", control_prior, reg_control) if control_prior else None
    return effect, control, report


def _assurance(
    priors: tuple[Any, Any, tuple[str, ...]],
    n: int | None,
    sd: float | None,
    alpha: float,
    threshold: float | None,
    seed: int,
) -> dict[str, Any]:
    from autoserum.design import assurance

    effect, control, report = priors
    if n is None or sd is None:
        raise ValidationError("prior", None, Expected("the two-sample design with --n and --sd"))
    res = assurance(
        n,
        effect_prior=effect,
        sigma=sd,
        alpha=alpha,
        control_prior=control,
        threshold=threshold,
        simulate=100_000,
        seed=seed,
    )
    return {"assurance": res.to_dict(), "prior_report": list(report)}


def _print_assurance(out: dict[str, Any]) -> None:
    from autoserum.cli._say import language, number, translate

    lang = language()
    a = out["assurance"]
    for line in out["prior_report"]:
        typer.echo(line)
    typer.echo(
        translate(lang, "assurance (%(kind)s) = %(analytic)s analytic, %(simulated)s simulated "
                  "(Monte-Carlo SE %(se)s; %(reps)s replicates, seed %(seed)s); power at the "
                  "prior mean %(power)s", kind=a["kind"], analytic=f"{a['analytic']:.4f}",
                  simulated=f"{a['simulated']:.4f}", se=f"{a['mc_se']:.4f}",
                  reps=number(a["reps"], lang), seed=a["seed"],
                  power=f"{a['power_at_prior_mean']:.4f}")
    )  # fmt: skip
    typer.echo(translate(lang, "assurance method: %(method)s", method=a["method"]))


def _write_curve(rows: list[dict[str, Any]], curve: str | None, curve_plot: str | None) -> None:
    if curve:
        keys = sorted(
            {k for r in rows for k in r},
            key=["design", "n", "power", "power_simulated", "mc_se"].index,
        )
        try:
            with Path(curve).open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=keys, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        except OSError as err:
            raise ValidationError(
                "curve", curve, Expected("a writable file (%(strerror)s)", strerror=err.strerror)
            ) from None
    if curve_plot:
        from autoserum.design import plot_power_curve
        from autoserum.meta import save_figure

        save_figure(plot_power_curve(rows), curve_plot)


def _print(
    out: dict[str, Any],
    d: str,
    *,
    power: float | None,
    curve: str | None,
    curve_plot: str | None,
) -> None:
    from autoserum.cli._say import language, number, translate

    lang = language()
    if "analytic" in out:
        a = out["analytic"]
        params = ", ".join(f"{k} = {v:g}" for k, v in a["parameters"].items())
        typer.echo(
            translate(lang, "design %(design)s: %(params)s; two-sided alpha = %(alpha)s", design=d,
                      params=params, alpha=f"{a['sig_level']:g}")
        )  # fmt: skip
        if power is not None:
            typer.echo(
                translate(lang, "n per group = %(n)s -> %(ceiling)s (total %(total)s) for power "
                          "%(power)s", n=f"{a['n']:.4f}", ceiling=a["n_ceiling"],
                          total=a["n_total"], power=f"{power:g}")
            )  # fmt: skip
        typer.echo(
            translate(lang, "power = %(power)s with n = %(n)s per group",
                      power=f"{a['power']:.4f}", n=f"{a['n']:.4g}")
        )  # fmt: skip
        typer.echo(translate(lang, "method: %(method)s", method=a["method"]))
    if "simulated" in out:
        s = out["simulated"]
        values = {"power": f"{s['power']:.4f}", "se": f"{s['mc_se']:.4f}"}
        typer.echo(
            translate(lang, "simulated power = %(power)s (Monte-Carlo SE %(se)s; n = %(n)s per "
                      "group; %(reps)s replicates, seed %(seed)s; test %(design)s)", n=s["n"],
                      reps=number(s["reps"], lang), seed=s["seed"], design=d, **values)
            if d != "protocol"
            else translate(lang, "simulated power = %(power)s (Monte-Carlo SE %(se)s)", **values)
        )  # fmt: skip
        typer.echo(translate(lang, "simulation: %(method)s", method=s["method"]))
    if curve:
        typer.echo(translate(lang, "power curve written to %(path)s", path=curve))
    if curve_plot:
        typer.echo(translate(lang, "power curve figure written to %(path)s", path=curve_plot))
