"""CLI: ``autoserum meta`` (meta-analysis of a metafor-style CSV), ``autoserum evidence`` (the
registry and its pooled analyses) and ``autoserum power`` (sample size and power).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.display import p_value
from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.meta import MetaResult

__all__ = ["meta_command", "register"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
MethodOption = Annotated[
    str,
    typer.Option(
        "--method", help="τ² estimator: FE, DL, REML, PM, ML, EB, SJ or HE.", show_default=True
    ),
]
LevelOption = Annotated[
    float, typer.Option("--level", help="Confidence level in percent (metafor's level), e.g. 90.")
]
HkOption = Annotated[
    bool, typer.Option("--hk", help="Hartung-Knapp-Sidik-Jonkman CI and test (t, k − 1 df).")
]


_Z95 = 1.959963984540054  # qnorm(0.975): per-study Wald intervals, as metafor's forest()


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _p(p: float) -> str:
    """``= 0.0432`` or ``< 0.0001``: the meta-analysis output's p-values (4 decimals)."""
    return p_value(p, digits=4, relation=True)


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    up = value.upper()
    if up not in allowed:
        raise ValidationError(
            field, value, Expected("one of %(values)s", values=", ".join(allowed))
        )
    return up


def _result_lines(res: MetaResult) -> list[str]:
    model = (
        "fixed effect (inverse variance)" if res.method == "FE" else f"random effects, {res.method}"
    )
    test = f"t test, {res.df} df (HKSJ)" if res.hk else "z test"
    lvl = f"{100 * res.level:g}%"
    scale = " (log scale)" if res.is_ratio else ""
    lines = [
        f"k = {res.k}; measure {res.measure or 'yi'}{scale}; {model}; {test}",
        f"estimate {res.estimate:.4f} (SE {res.se:.4f}), {lvl} CI {res.ci_low:.4f} to "
        f"{res.ci_high:.4f}, p {_p(res.p_value)}",
        f"prediction interval {res.pi_low:.4f} to {res.pi_high:.4f}",
    ]
    if res.is_ratio:
        lines.append(
            f"{res.measure} {math.exp(res.estimate):.3f} ({lvl} CI {math.exp(res.ci_low):.3f} to "
            f"{math.exp(res.ci_high):.3f}; prediction {math.exp(res.pi_low):.3f} to "
            f"{math.exp(res.pi_high):.3f})"
        )
    het = (
        f"heterogeneity: Q = {res.q:.3f} (df {res.q_df}, p {_p(res.q_p_value)}); "
        f"τ² = {res.tau2:.4g}"
    )
    if res.tau2_ci_low is not None and res.tau2_ci_high is not None:
        het += f" ({lvl} CI {res.tau2_ci_low:.4g} to {res.tau2_ci_high:.4g})"
    lines.append(het + f"; I² = {res.i2:.1f}%; H² = {res.h2:.2f}")
    return lines


def _study_lines(res: MetaResult) -> list[str]:
    width = max(len(lab) for lab in res.labels)
    out = [f"  {'study':<{width}}  {'yi':>9}  {'se':>8}  {'weight':>7}"]
    for lab, y, v, w in zip(res.labels, res.yi, res.vi, res.weights, strict=True):
        out.append(f"  {lab:<{width}}  {y:>9.4f}  {math.sqrt(v):>8.4f}  {w:>6.1f}%")
    return out


def meta_command(
    file: Annotated[str, typer.Argument(help="CSV with metafor's column names.")],
    measure: Annotated[
        str | None,
        typer.Option("--measure", help="MD, SMD, ROM, RR, OR, RD, PETO or ZCOR (ri, ni)."),
    ] = None,
    method: MethodOption = "REML",
    hk: HkOption = False,
    level: LevelOption = 95.0,
    subgroup: Annotated[
        str | None, typer.Option("--subgroup", help="Column holding a subgroup label.")
    ] = None,
    as_json: JsonOption = False,
    forest: Annotated[
        str | None, typer.Option("--forest", help="Write a forest plot (.svg/.png/.pdf).")
    ] = None,
    funnel: Annotated[
        str | None, typer.Option("--funnel", help="Write a funnel plot (.svg/.png/.pdf).")
    ] = None,
) -> None:
    """Meta-analyse a CSV: `study` plus yi,vi | yi,sei | ai,bi,ci,di | m1i,sd1i,n1i,m2i,sd2i,n2i.

    Counts default to RR and arm summaries to MD; ratio measures are pooled on the log scale and
    also shown exponentiated. Matches R's metafor rma().

    Example: autoserum meta dat_bcg.csv --measure RR --method REML --hk --json

    Example: autoserum meta dat_molloy2014.csv --measure ZCOR --method SJ --level 90
    """
    from autoserum.meta import (
        MEASURES,
        METHODS,
        effects_from_rows,
        forest_plot,
        funnel_plot,
        rma,
        save_figure,
        subgroup_analysis,
    )

    path = Path(file)
    if not path.is_file():
        raise ValidationError("FILE", file, Expected("an existing CSV file"))
    meas = _choice("measure", measure, MEASURES) if measure is not None else None
    meth = _choice("method", method, METHODS)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValidationError(
            "FILE", file, Expected("a UTF-8 CSV file (%(err)s)", err=err)
        ) from None
    table = effects_from_rows(rows, meas)
    if not 50 <= level < 100:
        raise ValidationError(
            "level", level, Expected("a confidence level in percent, 50 to < 100")
        )
    res = rma(
        table.yi,
        table.vi,
        method=meth,
        hk=hk,
        level=level / 100,
        measure=table.measure,
        labels=table.labels,
    )
    sub = None
    if subgroup is not None:
        if subgroup not in rows[0]:
            raise ValidationError("subgroup", subgroup, Expected("a column of %(file)s", file=file))
        groups = [(r.get(subgroup) or "").strip() for r in rows]
        sub = subgroup_analysis(
            table.yi,
            table.vi,
            groups,
            method=meth,
            hk=hk,
            measure=table.measure,
            labels=table.labels,
        )
    if forest:
        save_figure(forest_plot(res), forest)
    if funnel:
        save_figure(funnel_plot(res), funnel)
    if as_json:
        payload = res.to_dict()
        if sub is not None:
            payload["subgroup_test"] = sub.to_dict()
        _echo_json(payload)
        return
    for line in [*_result_lines(res), *_study_lines(res)]:
        typer.echo(line)
    if sub is not None:
        df2 = f", {sub.qm_df2}" if sub.qm_df2 is not None else ""
        stat = "F" if sub.hk else "QM"
        typer.echo(
            f"test for subgroup differences ({subgroup}; metafor mods = ~ factor): "
            f"{stat}({sub.qm_df1}{df2}) = {sub.qm:.3f}, p {_p(sub.qm_p_value)}"
        )


def register(app: typer.Typer) -> None:
    """Add ``meta``, ``evidence`` and ``power`` to the root application."""
    from autoserum.cli.evidence import evidence_command
    from autoserum.cli.power import power_command

    app.command("meta")(meta_command)
    app.command("evidence")(evidence_command)
    app.command("power")(power_command)
