"""CLI: ``autoserum power DESIGN`` — sample size for a target power, or power for a sample size,
with optional simulation and power curves (registered by :mod:`autoserum.cli.meta`).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from autoserum.design import (
    json_ready,
    plot_power_curve,
    power_curve,
    power_prop_test,
    power_t_test,
    simulate_mmrm_power,
    simulate_power,
    simulate_protocol_power,
)
from autoserum.errors import ValidationError
from autoserum.meta import save_figure

__all__ = ["power_command"]

_DESIGNS = (
    "paired",
    "two_sample",
    "ancova",
    "proportions",
    "wilcoxon",
    "mann_whitney",
    "mmrm",
    "protocol",
)


def _opt(name: str, value: float | None, design: str) -> float:
    if value is None:
        raise ValidationError(name, None, f"--{name.replace('_', '-')} for the {design} design")
    return value


def _curve_ns(spec: str | None, around: float) -> list[int]:
    if spec is None:
        top = max(20, int(2 * around) + 1)
        step = max(1, top // 20)
        return list(range(max(3, step), top + 1, step))
    try:
        ns = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise ValidationError("curve_n", spec, "comma-separated integers, e.g. 10,20,30") from None
    if not ns or min(ns) < 3:
        raise ValidationError("curve_n", spec, "sample sizes >= 3")
    return ns


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
) -> None:
    """Sample size for a target power (--power) or power for a sample size (--n), per group.

    Analytic designs match R's power.t.test / power.prop.test; wilcoxon and mann-whitney are
    simulated (--simulate REPS, seeded). --curve/--curve-plot write a power curve.

    protocol simulates whole trials of the protocol library (autoserum.simulate) analysed with
    autoserum.stats: --protocol --subjects --endpoint --week --test.

    Example: autoserum power two-sample --delta 9.6 --sd 10 --power 0.9 --curve curve.csv
    """
    d = design.lower().replace("-", "_")
    if d not in _DESIGNS:
        raise ValidationError("design", design, "one of " + ", ".join(_DESIGNS).replace("_", "-"))
    least = {"mmrm": 20, "protocol": 10}.get(d, 100)
    if simulate and simulate < least:
        raise ValidationError("simulate", simulate, f"0 or at least {least} replicates")
    out: dict[str, Any] = {"design": d}
    if d == "proportions":
        res = power_prop_test(
            p1=_opt("p1", p1, d),
            p2=_opt("p2", p2, d),
            n=n,
            power=power,
            sig_level=alpha,
            strict=strict,
        )
        out["analytic"] = res.to_dict()
        size = res.n
    elif d in ("paired", "two_sample", "ancova"):
        res_t = power_t_test(
            d,
            delta=_opt("delta", delta, d),
            sd=_opt("sd", sd, d),
            n=n,
            power=power,
            sig_level=alpha,
            rho=rho,
            strict=strict,
        )
        out["analytic"] = res_t.to_dict()
        size = res_t.n
    elif d == "protocol":
        if protocol is None or subjects is None or week is None or not endpoint or not test:
            raise ValidationError(
                "protocol", protocol, "--protocol, --subjects, --endpoint, --week and --test"
            )
        sim_p = simulate_protocol_power(
            protocol,
            n_subjects=subjects,
            endpoint=endpoint,
            week=week,
            test=test.lower().replace("-", "_"),
            reps=simulate or 200,
            seed=seed,
            sig_level=alpha,
        )
        out["simulated"] = sim_p.to_dict()
        size = float(subjects)
    elif d == "mmrm":
        if n is None:
            raise ValidationError("n", None, "--n for the simulated mmrm design")
        try:
            weeks = tuple(float(w) for w in visits.split(","))
        except ValueError:
            raise ValidationError("visits", visits, "comma-separated weeks, e.g. 4,8,12") from None
        sim_m = simulate_mmrm_power(
            n=n,
            delta=_opt("delta", delta, d),
            sd=_opt("sd", sd, d),
            rho=_opt("rho", rho, d),
            visits=weeks,
            dropout=dropout,
            reps=simulate or 200,
            seed=seed,
            sig_level=alpha,
        )
        out["simulated"] = sim_m.to_dict()
        size = float(n)
    else:
        if n is None:
            raise ValidationError("n", None, f"--n for the simulated {d} design")
        if power is not None:
            raise ValidationError("power", power, f"no target power for {d}: give --n")
        simulate = simulate or 2000
        size = float(n)
    if simulate and d not in ("proportions", "ancova", "mmrm", "protocol"):
        sim = simulate_power(
            d,
            n=math.ceil(size - 1e-9),
            delta=_opt("delta", delta, d),
            sd=_opt("sd", sd, d),
            reps=simulate,
            seed=seed,
            sig_level=alpha,
        )
        out["simulated"] = sim.to_dict()
    if (curve or curve_plot) and d in ("mmrm", "protocol"):
        raise ValidationError("curve", curve or curve_plot, f"no curve for {d} (run per size)")
    if curve or curve_plot:
        rows = power_curve(
            d,
            _curve_ns(curve_n, size),
            delta=delta,
            sd=sd,
            rho=rho,
            p1=p1,
            p2=p2,
            sig_level=alpha,
            reps=simulate if d in ("wilcoxon", "mann_whitney") else 0,
            seed=seed,
        )
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
                raise ValidationError("curve", curve, f"a writable file ({err.strerror})") from None
        if curve_plot:
            save_figure(plot_power_curve(rows), curve_plot)
        out["curve"] = rows
    if as_json:
        typer.echo(json.dumps(json_ready(out), indent=2, allow_nan=False))
        return
    if "analytic" in out:
        a = out["analytic"]
        params = ", ".join(f"{k} = {v:g}" for k, v in a["parameters"].items())
        typer.echo(f"design {d}: {params}; two-sided alpha = {a['sig_level']:g}")
        if power is not None:
            typer.echo(
                f"n per group = {a['n']:.4f} -> {a['n_ceiling']} (total {a['n_total']}) for power "
                f"{power:g}"
            )
        typer.echo(f"power = {a['power']:.4f} with n = {a['n']:.4g} per group")
        typer.echo(f"method: {a['method']}")
    if "simulated" in out:
        s = out["simulated"]
        typer.echo(
            f"simulated power = {s['power']:.4f} (Monte-Carlo SE {s['mc_se']:.4f}; n = {s['n']} "
            f"per group; {s['reps']} replicates, seed {s['seed']}; test {d})"
            if d != "protocol"
            else f"simulated power = {s['power']:.4f} (Monte-Carlo SE {s['mc_se']:.4f})"
        )
        typer.echo(f"simulation: {s['method']}")
    if curve:
        typer.echo(f"power curve written to {curve}")
    if curve_plot:
        typer.echo(f"power curve figure written to {curve_plot}")
