"""Federated analysis of an endpoint: what a site sends and what the coordinating centre fits.

A site selects its analysis rows exactly as :func:`analyze_endpoint` does (the BDS analysis
records of the population, change from baseline, baseline, arm) and reduces them, for every
treatment arm against the control, to the sums of :func:`autoserum.stats.summarize_site`. The
coordinating centre checks that every site answered the same question (endpoint, week,
population, arms, suppression threshold) and fits the ANCOVA at the week and the MMRM over all
visits from the summed statistics: the same estimates, SEs and df as ``analyze`` on the pooled
rows. The protocol is in ``docs/federated.md``.

Two simulated sites; ``min_cell=1`` because a site of 30 subjects has patterns of missed
visits shared by fewer than 5 subjects, which the default would withhold:

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> def visits(seed):
...     sim = simulate_study("ast-nahm2023", 30, seed=seed)
...     return study_from_frames(sim.visits, sim.adverse_events, f"site {seed}").visits
>>> doc = site_summary(visits(1), "easi", 8, site="seoul", study="AST", min_cell=1)
>>> other = site_summary(visits(2), "easi", 8, site="suwon", study="AST", min_cell=1)
>>> combined = combine_summaries([doc, other])
>>> combined.sites
('seoul', 'suwon')
>>> combined.between.select("method", "week", "n_treatment", "n_control").rows()
[('ancova', 8.0, 25, 25), ('mmrm', 4.0, 27, 28), ('mmrm', 8.0, 25, 25)]
>>> round(combined.between["estimate"][0], 2)
-4.34
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from autoserum import stats
from autoserum.analysis._endpoint import _analysis_rows
from autoserum.analysis._plan import Population, choose_arms
from autoserum.analysis._tables import BETWEEN_SCHEMA
from autoserum.errors import Expected, Message, Note, StatisticsError, ValidationError

__all__ = ["FORMAT", "FederatedResult", "combine_summaries", "site_summary"]

FORMAT = "autoserum-federated-site"
_QUESTION = ("endpoint", "week", "population", "control", "min_cell")


def site_summary(
    frame: pl.DataFrame,
    endpoint: str,
    week: float,
    *,
    site: str,
    study: str,
    control: str | None = None,
    population: Population = "fas",
    min_cell: int = 5,
) -> dict[str, Any]:
    """The JSON document a site sends: per treatment arm, the sums of the ANCOVA at ``week``
    and of the MMRM over all post-baseline visits. No subject identifier, date or row is in it.
    """
    if population not in ("fas", "per_protocol"):
        raise ValidationError("population", population, Expected("fas or per_protocol"))
    if not site.strip():
        raise ValidationError("site", site, Expected("a non-empty site name"))
    adsl, rows = _analysis_rows(frame, endpoint, population)
    arms = tuple(sorted(adsl.filter(pl.col(population))["arm"].unique().to_list()))
    ctrl = choose_arms(arms, control)
    if ctrl is None:
        raise ValidationError(
            "control", None, Expected("a control arm (federated analysis compares arms)")
        )
    comparisons = []
    for arm in (a for a in arms if a != ctrl):
        pair = rows.filter(pl.col("arm").is_in([arm, ctrl]))
        subject = pair["subject_id"].cast(pl.Categorical).to_physical().to_numpy()
        sums = stats.summarize_site(
            subject.astype(np.int64),
            pair["week"].to_numpy(),
            (pair["arm"] == arm).cast(pl.Int64).to_numpy(),
            pair["baseline"].to_numpy(),
            pair["change"].to_numpy(),
            week=float(week),
            min_cell=min_cell,
        )
        comparisons.append({"treatment": arm, "sums": sums.to_dict()})
    return {
        "format": FORMAT,
        "version": 1,
        "site": site,
        "study": study,
        "endpoint": endpoint,
        "week": float(week),
        "population": population,
        "control": ctrl,
        "min_cell": min_cell,
        "comparisons": comparisons,
    }


@dataclass(frozen=True)
class FederatedResult:
    """The combined analysis: ``between`` has the columns of
    :attr:`EndpointResult.between` (methods ``ancova`` and ``mmrm``)."""

    endpoint: str
    week: float
    population: str
    control: str
    sites: tuple[str, ...]
    between: pl.DataFrame
    notes: tuple[str, ...] = field(default=())
    """Caveats (:class:`~autoserum.errors.Note`: English as ``str``, in a language with
    ``autoserum.i18n.message_text(note.text, language)``)."""

    def to_json(self) -> dict[str, Any]:
        rows = [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in self.between.iter_rows(named=True)
        ]
        return {
            "endpoint": self.endpoint,
            "week": self.week,
            "population": self.population,
            "control": self.control,
            "sites": list(self.sites),
            "between": rows,
            "notes": [str(n) for n in self.notes],
        }


def _check(doc: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, Mapping) else type(doc).__name__
        raise ValidationError(f"{where}.format", got, repr(FORMAT))
    if doc.get("version") != 1:
        raise ValidationError(f"{where}.version", doc.get("version"), Expected("1"))
    if not isinstance(doc.get("comparisons"), list):
        raise ValidationError(f"{where}.comparisons", doc.get("comparisons"), Expected("a list"))
    return doc


def combine_summaries(
    docs: Sequence[Any],
    *,
    allow_suppressed: bool = False,
    conf_level: float = 0.95,
) -> FederatedResult:
    """Fit the ANCOVA and the MMRM of every treatment arm vs the control from the sites'
    documents (:func:`site_summary`). Refuses documents that answer different questions, a
    site named twice, and — unless ``allow_suppressed`` — any small-cell suppression (naming
    the site and the pattern), since the fit would then not equal the pooled fit."""
    if not docs:
        raise ValidationError("sites", 0, Expected("at least one site summary"))
    checked = [_check(d, f"site file {i + 1}") for i, d in enumerate(docs)]
    first = checked[0]
    names = [str(d.get("site")) for d in checked]
    for i, d in enumerate(checked[1:], start=2):
        for key in (*_QUESTION, "study"):
            if d.get(key) != first.get(key):
                raise ValidationError(
                    f"site file {i} ({names[i - 1]}).{key}",
                    d.get(key),
                    Expected(
                        "%(first)s as in site file 1 (%(names)s): every site must "
                        "answer the same question",
                        first=repr(first.get(key)),
                        names=names[0],
                    ),
                )
    if len(set(names)) != len(names):
        raise ValidationError("site", names, Expected("each site once"))
    arms = sorted({c.get("treatment") for d in checked for c in d["comparisons"]})
    notes: list[str] = []
    out: list[dict[str, Any]] = []
    ctrl = str(first["control"])
    for arm in arms:
        sums, who = [], []
        for d, name in zip(checked, names, strict=True):
            for c in d["comparisons"]:
                if c.get("treatment") == arm:
                    sums.append(stats.SiteSummary.from_dict(c.get("sums"), where=f"{name}.{arm}"))
                    who.append(name)
        missing = sorted(set(names) - set(who))
        if missing:
            notes.append(
                Note(
                    Message(
                        "%(arm)s vs %(control)s: no data from the sites %(sites)s",
                        arm=arm,
                        control=ctrl,
                        sites=", ".join(missing),
                    )
                )
            )
        kw: dict[str, Any] = {
            "names": who,
            "conf_level": conf_level,
            "allow_suppressed": allow_suppressed,
        }
        anc = stats.federated_ancova(sums, **kw)
        fit = stats.federated_mmrm(sums, **kw)
        if allow_suppressed:
            notes.extend(
                Note(
                    Message(
                        "%(arm)s vs %(control)s: site %(site)s withheld %(what)s; the fit uses "
                        "the subjects that remain and does not equal the pooled fit",
                        arm=arm,
                        control=ctrl,
                        site=repr(name),
                        what=s.describe(),
                    )
                )
                for name, site in zip(who, sums, strict=True)
                for s in site.suppressed
            )
        if not fit.converged:
            notes.append(
                Note(
                    Message(
                        "MMRM (%(arm)s vs %(control)s): the optimiser did not report convergence",
                        arm=arm,
                        control=ctrl,
                    )
                )
            )
        n1 = sum(s.ancova.treated for s in sums if s.ancova is not None)
        n = sum(s.ancova.n for s in sums if s.ancova is not None)
        out.append(_row("ancova", arm, ctrl, float(first["week"]), n1, n - n1, r=anc))
        for v in fit.per_visit:
            counts = _visit_counts(sums, v.visit)
            out.append(_row("mmrm", arm, ctrl, float(v.visit), *counts, r=v))
    if not out:
        raise StatisticsError(Message("federated analysis: the site files hold no comparison"))
    return FederatedResult(
        endpoint=str(first["endpoint"]),
        week=float(first["week"]),
        population=str(first["population"]),
        control=ctrl,
        sites=tuple(names),
        between=pl.DataFrame(out, schema=BETWEEN_SCHEMA),
        notes=tuple(notes),
    )


def _visit_counts(sums: Sequence[stats.SiteSummary], visit: Any) -> tuple[int, int]:
    treated = total = 0
    for s in sums:
        for p in s.patterns:
            if visit in p.visits:
                treated += p.moments.treated
                total += p.moments.n
    return treated, total - treated


def _row(
    method: str, arm: str, ctrl: str, week: float, n1: int, n0: int, *, r: Any
) -> dict[str, Any]:
    return {
        "method": method,
        "arm": arm,
        "control": ctrl,
        "week": week,
        "n_treatment": n1,
        "n_control": n0,
        **{
            k: float(getattr(r, k, float("nan")))
            for k in ("estimate", "se", "ci_low", "ci_high", "statistic", "df", "p_value")
        },
    }
