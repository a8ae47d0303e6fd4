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


def _result_lines(res: MetaResult, lang: str = "en") -> list[str]:
    """The pooled result as metafor prints it, its words in ``lang`` (the numbers as they are:
    the three languages write them alike)."""
    from autoserum.cli._say import translate

    model = (
        translate(lang, "fixed effect (inverse variance)")
        if res.method == "FE"
        else translate(lang, "random effects, %(method)s", method=res.method)
    )
    test = (
        translate(lang, "t test, %(df)s df (HKSJ)", df=res.df)
        if res.hk
        else translate(lang, "z test")
    )
    lvl = f"{100 * res.level:g}%"
    scale = " " + translate(lang, "(log scale)") if res.is_ratio else ""
    lines = [
        translate(lang, "k = %(k)s; measure %(measure)s%(scale)s; %(model)s; %(test)s", k=res.k,
                  measure=res.measure or "yi", scale=scale, model=model, test=test),
        translate(lang, "estimate %(estimate)s (SE %(se)s), %(level)s CI %(low)s to %(high)s, "
                  "p %(p)s", estimate=f"{res.estimate:.4f}", se=f"{res.se:.4f}", level=lvl,
                  low=f"{res.ci_low:.4f}", high=f"{res.ci_high:.4f}", p=_p(res.p_value)),
        translate(lang, "prediction interval %(low)s to %(high)s", low=f"{res.pi_low:.4f}",
                  high=f"{res.pi_high:.4f}"),
    ]  # fmt: skip
    if res.is_ratio:
        lines.append(
            translate(lang, "%(measure)s %(ratio)s (%(level)s CI %(low)s to %(high)s; prediction "
                      "%(pi_low)s to %(pi_high)s)", measure=res.measure,
                      ratio=f"{math.exp(res.estimate):.3f}", level=lvl,
                      low=f"{math.exp(res.ci_low):.3f}", high=f"{math.exp(res.ci_high):.3f}",
                      pi_low=f"{math.exp(res.pi_low):.3f}", pi_high=f"{math.exp(res.pi_high):.3f}")
        )  # fmt: skip
    het = translate(lang, "heterogeneity: Q = %(q)s (df %(df)s, p %(p)s); τ² = %(tau2)s",
                    q=f"{res.q:.3f}", df=res.q_df, p=_p(res.q_p_value),
                    tau2=f"{res.tau2:.4g}")  # fmt: skip
    if res.tau2_ci_low is not None and res.tau2_ci_high is not None:
        low, high = f"{res.tau2_ci_low:.4g}", f"{res.tau2_ci_high:.4g}"
        het += " " + translate(lang, "(%(level)s CI %(low)s to %(high)s)", level=lvl, low=low,
                               high=high)  # fmt: skip
    lines.append(het + f"; I² = {res.i2:.1f}%; H² = {res.h2:.2f}")
    return lines


def _study_lines(res: MetaResult, lang: str = "en") -> list[str]:
    from autoserum.cli._say import pad, translate

    width = max(len(lab) for lab in res.labels)
    headings = (
        pad(translate(lang, "study"), width),
        pad(translate(lang, "yi"), 9, right=True),
        pad(translate(lang, "se"), 8, right=True),
        # "weight" alone is the catalog's body weight: the heading is named apart from it
        pad("weight" if lang == "en" else translate(lang, "study weight"), 7, right=True),
    )
    out = ["  " + "  ".join(headings)]
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
    from autoserum.cli._say import language, translate

    lang = language()
    for line in [*_result_lines(res, lang), *_study_lines(res, lang)]:
        typer.echo(line)
    if sub is not None:
        df2 = f", {sub.qm_df2}" if sub.qm_df2 is not None else ""
        stat = "F" if sub.hk else "QM"
        typer.echo(
            translate(lang, "test for subgroup differences (%(subgroup)s; metafor mods = ~ "
                      "factor): %(test)s, p %(p)s", subgroup=subgroup,
                      test=f"{stat}({sub.qm_df1}{df2}) = {sub.qm:.3f}", p=_p(sub.qm_p_value))
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``meta``, ``evidence`` and ``power`` to the root application."""
    from autoserum.cli.evidence import evidence_command
    from autoserum.cli.power import power_command

    app.command("meta")(meta_command)
    app.command("evidence")(evidence_command)
    app.command("power")(power_command)
