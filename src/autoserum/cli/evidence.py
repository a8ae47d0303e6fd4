"""CLI: ``autoserum evidence [VIEW]`` — the evidence registry held as a systematic review.

Views: ``studies`` (default: every record with status and identifiers, the pooled analyses and
what was left out), ``prisma`` (the PRISMA 2020 flow; ``--out flow.svg`` draws it), ``protocol``
(the review protocol as Markdown; ``--out`` writes it), ``rob`` (RoB 2 and ROBINS-I; ``--out
rob.svg`` draws the traffic-light plot and ``rob-summary.svg`` beside it), ``grade`` (the GRADE
summary of findings).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.cli.meta import (
    _Z95,
    HkOption,
    JsonOption,
    MethodOption,
    _choice,
    _echo_json,
    _p,
    _result_lines,
)
from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.evidence import PooledAnalysis

__all__ = ["VIEWS", "evidence_command"]

VIEWS = ("studies", "prisma", "protocol", "rob", "grade")


def _pick(field: str, value: str, allowed: tuple[str, ...]) -> str:
    for a in allowed:
        if a.lower() == value.lower():
            return a
    raise ValidationError(field, value, Expected("one of %(values)s", values=", ".join(allowed)))


def _write(out: str, text: str) -> None:
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as err:
        raise ValidationError(
            "out", out, Expected("a writable file (%(strerror)s)", strerror=err.strerror)
        ) from None


def _analysis_lines(pa: PooledAnalysis, lang: str = "en") -> list[str]:
    """A pooled analysis of the registry: its own texts (titles, labels, methods, assumptions,
    limits) as written; the words around them in ``lang``."""
    from autoserum.cli._say import translate

    a = pa.analysis
    lines = [f"== {a.title}", f"   [{a.id}] {a.direction}"]
    for e in pa.effects:
        half = _Z95 * e.effect.se
        lo, hi = e.effect.yi - half, e.effect.yi + half
        mark = translate(lang, "derived") if e.derived else translate(lang, "reported")
        ratio = a.measure in ("RR", "OR")
        exp = (
            f" = {a.measure} {math.exp(e.effect.yi):.3f} ({math.exp(lo):.3f} to {math.exp(hi):.3f})"
            if ratio
            else ""
        )
        lines.append(
            f"   {e.label}: {'log ' if ratio else ''}{a.measure} {e.effect.yi:.3f} (SE "
            f"{e.effect.se:.3f}; 95% CI {lo:.3f} to {hi:.3f}){exp} [{mark}: {e.effect.method}]"
        )
        lines.append("      " + translate(lang, "how: %(how)s", how=e.effect.description))
        for assumption in e.spec.assumptions:
            lines.append("      " + translate(lang, "assumes: %(what)s", what=assumption))
        if e.derived_inputs:
            lines.append(
                "      " + translate(lang, "derived inputs: %(inputs)s",
                                     inputs=", ".join(e.derived_inputs))
            )  # fmt: skip
    for row in pa.r_sensitivity:
        lines.append(
            "   " + translate(lang, "r-sensitivity (%(effect)s): raw-SD SMD %(yi)s (SE %(se)s) if "
                              "the baseline-endpoint r = %(r)s", effect=row["effect"],
                              yi=f"{row['yi']:.3f}", se=f"{row['se']:.3f}", r=f"{row['r']:g}")
        )  # fmt: skip
    if pa.result is not None:
        tag = (
            translate(lang, "exploratory pooled (not justified)")
            if pa.exploratory
            else translate(lang, "pooled")
        )
        lines += [f"   {tag}: " + line for line in _result_lines(pa.result, lang)]
    if pa.bayes is not None:
        b = pa.bayes
        lines.append(
            "   " + translate(lang, "bayes (tau ~ half-normal(%(scale)s)): mu %(mu)s (95%% CrI "
                              "%(low)s to %(high)s), tau median %(tau)s, new-study prediction "
                              "%(pred_low)s to %(pred_high)s", scale=f"{b.tau_scale:g}",
                              mu=f"{b.mu_mean:.3f}", low=f"{b.mu_ci_low:.3f}",
                              high=f"{b.mu_ci_high:.3f}", tau=f"{b.tau_median:.3f}",
                              pred_low=f"{b.pred_ci_low:.3f}", pred_high=f"{b.pred_ci_high:.3f}")
        )  # fmt: skip
    if pa.subgroup is not None:
        s = pa.subgroup
        lines.append(
            "   " + translate(lang, "test for subgroup differences (%(subgroup)s; metafor rma mods "
                              "= ~ factor): %(stat)s = %(q)s, df %(df)s, p %(p)s",
                              subgroup=a.subgroup, stat="F" if s.hk else "QM", q=f"{s.qm:.3f}",
                              df=s.qm_df1, p=_p(s.qm_p_value))
        )  # fmt: skip
    if pa.leave_one_out:
        ests = [x.result.estimate for x in pa.leave_one_out]
        lines.append(
            "   " + translate(lang, "leave-one-out estimates: %(low)s to %(high)s",
                              low=f"{min(ests):.3f}", high=f"{max(ests):.3f}")
        )  # fmt: skip
    lines += ["   " + translate(lang, "limit: %(limit)s", limit=lim) for lim in pa.limits]
    return lines


def _prisma_view(out: str | None, as_json: bool) -> None:
    from autoserum.evidence import prisma_flow, prisma_svg

    flow = prisma_flow()
    flow.check()
    if out is not None:
        if not out.endswith(".svg"):
            raise ValidationError("out", out, Expected("a .svg file for the PRISMA flow diagram"))
        _write(out, prisma_svg(flow))
    if as_json:
        _echo_json(flow.to_dict())
        return
    from autoserum.cli._say import language, translate

    lang = language()
    d = flow.to_dict()
    kinds = ", ".join(f"{k} {v}" for k, v in d["identified"].items())
    lines = [
        translate(lang, "identified %(n)s (%(kinds)s)", n=d["identified_total"], kinds=kinds),
        translate(lang, "duplicates removed %(duplicates)s; screened %(screened)s; excluded "
                  "%(excluded)s", duplicates=d["duplicates_removed"],
                  screened=d["records_screened"], excluded=d["records_excluded"]),
        translate(lang, "reports sought %(sought)s; not retrieved %(missing)s; assessed "
                  "%(assessed)s", sought=d["reports_sought"], missing=d["reports_not_retrieved"],
                  assessed=d["reports_assessed"]),
        *("  " + translate(lang, "excluded: %(reason)s (%(n)s)", reason=reason, n=n)
          for reason, n in d["reports_excluded"].items()),
        "  " + translate(lang, "ongoing/unpublished %(ongoing)s; awaiting classification "
                         "%(awaiting)s", ongoing=d["reports_ongoing"],
                         awaiting=d["reports_awaiting_classification"]),
        translate(lang, "included: %(studies)s studies (%(rcts)s RCTs), %(reports)s reports",
                  studies=d["studies_included"], rcts=d["included_rcts"],
                  reports=d["reports_of_included_studies"]),
    ]  # fmt: skip
    for line in lines:
        typer.echo(line)
    if out is not None:
        typer.echo(translate(lang, "flow diagram written to %(path)s", path=out))


def _rob_view(out: str | None, as_json: bool) -> None:
    from autoserum.evidence import load_rob2, load_robins_i, rob_summary, rob_traffic_light
    from autoserum.meta import save_figure

    rob2, robins = load_rob2(), load_robins_i()
    if out is not None:
        path = Path(out)
        save_figure(rob_traffic_light(rob2), path)
        save_figure(rob_summary(rob2), path.with_name(f"{path.stem}-summary{path.suffix}"))
    if as_json:
        _echo_json({"rob2": [a.to_dict() for a in rob2], "robins_i": [a.to_dict() for a in robins]})
        return
    from autoserum.cli._say import date, language, translate

    lang = language()
    try:
        assessed = date(rob2[0].date, lang)
    except ValueError:  # not an ISO date: shown as recorded
        assessed = rob2[0].date
    typer.echo(
        translate(lang, "RoB 2 (%(assessor)s, %(date)s): D1 D2 D3 D4 D5 -> overall",
                  assessor=rob2[0].assessor, date=assessed)
    )  # fmt: skip
    short = {"Low": "low", "Some concerns": "some", "High": "HIGH"}
    for a in rob2:
        doms = " ".join(f"{short[v]:>4}" for v in a.domains.values())
        typer.echo(f"  {a.study:<18} {a.outcome:<18} {doms} -> {a.overall}")
        if a.override_reason:
            typer.echo("      " + translate(lang, "overall raised: %(why)s", why=a.override_reason))
    for r in robins:
        typer.echo(
            translate(lang, "ROBINS-I %(study)s (%(outcome)s): overall %(overall)s",
                      study=r.study, outcome=r.outcome, overall=r.overall)
        )  # fmt: skip
    if out is not None:
        from autoserum.cli._say import language, translate

        typer.echo(
            translate(language(), "traffic-light plot written to %(path)s (summary beside it)",
                      path=out)
        )  # fmt: skip


def _grade_view(as_json: bool) -> None:
    from autoserum.evidence import summary_of_findings

    rows = summary_of_findings()
    if as_json:
        _echo_json([r.to_dict() for r in rows])
        return
    from autoserum.cli._say import language, translate

    lang = language()
    for r in rows:
        typer.echo(f"== {r.comparison}: {r.outcome}")
        typer.echo(
            "   " + translate(lang, "studies %(n)s (%(studies)s); participants %(participants)s",
                              n=len(r.studies), studies=", ".join(r.studies),
                              participants=r.participants)
        )  # fmt: skip
        typer.echo("   " + translate(lang, "effect: %(effect)s", effect=r.effect))
        typer.echo(
            "   " + translate(lang, "certainty: %(certainty)s", certainty=r.certainty.upper())
        )
        for reason in r.reasons:
            typer.echo(f"     - {reason}")


def evidence_command(
    view: Annotated[
        str, typer.Argument(help="studies (default), prisma, protocol, rob or grade.")
    ] = "studies",
    condition: Annotated[
        str | None, typer.Option("--condition", help="AD, CSU, eczema, healthy or AD+CSU.")
    ] = None,
    therapy: Annotated[
        str | None, typer.Option("--therapy", help="ABT, AST, AIGT, AAHT or APT.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="included, excluded, awaiting_classification or ongoing."),
    ] = None,
    method: MethodOption = "REML",
    hk: HkOption = False,
    as_json: JsonOption = False,
    forest_dir: Annotated[
        str | None, typer.Option("--forest-dir", help="Write one forest plot per analysis here.")
    ] = None,
    exploratory: Annotated[
        bool,
        typer.Option(
            "--exploratory", help="Pool also where the pooling rules say no (labelled exploratory)."
        ),
    ] = False,
    out: Annotated[
        str | None,
        typer.Option(
            "--out", help="prisma: write the flow diagram (.svg); protocol: write Markdown."
        ),
    ] = None,
) -> None:
    """The evidence registry as a systematic review: every record with its status and
    identifiers, the pooled analyses (what was derived, left out and why), the PRISMA 2020 flow
    and the review protocol.

    Example: autoserum evidence --condition AD --json

    Example: autoserum evidence prisma --out flow.svg

    Example: autoserum evidence rob --out rob.svg
    """
    from autoserum.evidence import (
        CONDITIONS,
        STUDY_STATUSES,
        THERAPIES,
        load_registry,
        pool_analysis,
        render_review_protocol,
    )
    from autoserum.meta import METHODS, forest_plot, forest_plot_trials, save_figure

    v = _pick("view", view, VIEWS)
    if v == "prisma":
        _prisma_view(out, as_json)
        return
    if v == "rob":
        _rob_view(out, as_json)
        return
    if v == "grade":
        _grade_view(as_json)
        return
    if v == "protocol":
        text = render_review_protocol()
        if out is not None:
            _write(out, text)
            from autoserum.cli._say import language, translate

            typer.echo(translate(language(), "review protocol written to %(path)s", path=out))
        else:
            typer.echo(text, nl=False)
        return
    if out is not None:
        raise ValidationError(
            "out", out, Expected("no --out for the studies view (use --forest-dir)")
        )
    cond = _pick("condition", condition, CONDITIONS) if condition is not None else None
    ther = _pick("therapy", therapy, THERAPIES) if therapy is not None else None
    stat = _pick("status", status, STUDY_STATUSES) if status is not None else None
    meth = _choice("method", method, METHODS)
    reg = load_registry()
    studies = [
        s
        for s in reg.studies.values()
        if (cond is None or s.condition == cond)
        and (ther is None or ther in s.therapy)
        and (stat is None or s.status == stat)
    ]
    pooled = [
        pool_analysis(
            reg,
            a.id,
            method=meth,
            hk=hk and len(a.effects) >= 2,
            therapy=ther,
            exploratory=exploratory,
        )
        for a in reg.analyses.values()
        if cond is None or a.condition == cond  # the AD+CSU analysis only without a filter
    ]
    pooled = [p for p in pooled if p.effects]
    study_ids = {s.id for s in studies}
    left = [x for x in reg.left_out if x.study in study_ids]
    if forest_dir is not None:
        folder = Path(forest_dir)
        if not folder.is_dir():
            raise ValidationError("forest_dir", forest_dir, Expected("an existing directory"))
        for p in pooled:
            if p.result is not None:
                fig = forest_plot(p.result, title=p.analysis.title)
            else:
                fig = forest_plot_trials(
                    [e.label for e in p.effects],
                    [e.effect.yi for e in p.effects],
                    [e.effect.vi for e in p.effects],
                    measure=p.analysis.measure,
                    title=f"{p.analysis.title} (not pooled)",
                )
            save_figure(fig, folder / f"{p.analysis.id}.svg")
    if as_json:
        payload: dict[str, Any] = {
            "studies": [s.to_dict() for s in studies],
            "analyses": [p.to_dict() for p in pooled],
            "left_out": [vars(x) for x in left],
        }
        _echo_json(payload)
        return
    from autoserum.cli._say import language, translate

    lang = language()
    typer.echo(translate(lang, "Evidence registry: %(n)s records", n=len(studies)))
    for s in studies:
        proto = f"; protocol {s.protocol_code}" if s.protocol_code else ""
        ids = s.identifiers
        id_text = (
            ", ".join(
                x
                for x in (
                    f"PMID {ids.pmid}" if ids.pmid != "NR" else "",
                    ids.pmcid if ids.pmcid != "NR" else "",
                    f"doi {ids.doi}" if ids.doi != "NR" else "",
                    *ids.registry,
                )
                if x
            )
            or "identifiers NR"
        )
        typer.echo(
            f"  {s.id} [{s.condition}, {'+'.join(s.therapy)}, {s.design}{proto}]"
            f" {s.status}: {id_text}"
        )
        if s.status != "included":
            typer.echo("      " + translate(lang, "why: %(reason)s", reason=s.status_reason))
        for f in s.flags:
            typer.echo(f"      flag {f.code}: {f.text}")
    typer.echo("")
    for p in pooled:
        for line in _analysis_lines(p, lang):
            typer.echo(line)
        typer.echo("")
    typer.echo(translate(lang, "Left out of pooling:"))
    for x in left:
        typer.echo(f"  {x.study} ({x.outcome}): {x.reason}")
