"""CLI commands ``analyze`` and ``report`` (owned by the analysis branch).

>>> # autoserum analyze study.csv --endpoint easi --week 12 --control placebo --json
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.errors import Expected, Message, Note, ValidationError

if TYPE_CHECKING:
    import polars as pl

    from autoserum.analysis import AnalysisPlan, EndpointResult, Sap, StudyData
    from autoserum.protocols import Protocol
    from autoserum.store import Verification

__all__ = ["analyze", "register", "report"]

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Tidy long visit file (.csv or .parquet); see docs/data-format.md."),
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (instead of FILE).")]
StudyOpt = Annotated[str | None, typer.Option("--study", help="Study name in the database.")]
SapOpt = Annotated[
    Path | None,
    typer.Option(
        "--sap",
        help="Statistical analysis plan (TOML): run exactly its primary estimand (see "
        "docs/sap.md).",
    ),
]
ControlOpt = Annotated[
    str | None,
    typer.Option(
        "--control",
        help="Control arm code (default: the protocol's control arm, else the arm named "
        "placebo/control).",
    ),
]


def _load(
    file: Path | None,
    db: str | None,
    study: str | None,
    *,
    unblind: bool = True,
) -> StudyData:
    if file is not None and db is not None:
        raise ValidationError(
            "FILE/--db", f"{file} and {db}", Expected("either FILE or --db URL --study NAME")
        )
    if db is not None:
        if not study:
            raise ValidationError("--study", study, Expected("the name of a study in the database"))
        return _load_db(db, study, unblind=unblind)
    if file is None:
        raise ValidationError(
            "FILE", None, Expected("a tidy long CSV/Parquet file, or --db URL --study NAME")
        )
    from autoserum.analysis import read_study

    return read_study(file)


def _load_db(url: str, study: str, *, unblind: bool = True) -> StudyData:
    """A study from the database, exported as the database owner (arms visible) and validated
    like a file. Unblinding a blinded study as a whole (``unblind``: the analysis and the
    report, not a DSMB report) is refused before its database lock
    (:func:`autoserum.study.locks.require_database_lock`). The audit chain's line (and whether
    the database is locked) is a :class:`~autoserum.errors.Note`: the report shows it in its
    language."""
    import dataclasses

    import polars as pl

    from autoserum.analysis import study_from_frames
    from autoserum.store import Actor, audit_key, open_store
    from autoserum.study.locks import require_database_lock
    from autoserum.study.status import SubjectStatus

    actor = Actor("cli", "admin")
    store = open_store(url, create=False)
    try:
        if unblind:
            require_database_lock(
                study,
                store.locks.database_lock(study),
                open_label=store.studies.get(study).open_label,
            )
        visits = store.exports.long(study, actor=actor)
        adverse = store.exports.adverse_events(study, actor=actor)
        meds = store.exports.con_meds(study, actor=actor)
        history = store.exports.history(study, actor=actor)
        registry = tuple(store.subjects.consort_subjects(study, actor=actor))
        chain = store.audit.verify(study, key=audit_key())
        deviations = store.records.deviations(study, actor=actor)
        unscheduled = store.records.unscheduled_visits(study, actor=actor)
        lock = store.locks.database_lock(study)
        product = store.product.accountability(study, actor=actor)
        photo_scores = store.photos.scores(study, actor=actor)
    finally:
        store.close()
    # the analysis takes randomised subjects; candidates still in or failed at screening are
    # counted by the CONSORT flow (registry), their screening visits are not analysed
    enrolled = [s.subject_id for s in registry if s.enrolled]
    visits = visits.filter(pl.col("subject_id").is_in(enrolled))
    if adverse.height:
        adverse = adverse.filter(pl.col("subject_id").is_in(enrolled))
    meds = meds.filter(pl.col("subject_id").is_in(enrolled))
    data = study_from_frames(
        visits,
        adverse,
        Note(Message("%(url)s study %(study)s", url=url, study=study)),
        con_meds=meds,
        assessed=len(registry),
        excluded=sum(s.status is SubjectStatus.SCREEN_FAILED for s in registry),
        eligibility_overrides=tuple(
            f"{d.subject_id}: {d.description}"
            for d in deviations
            if d.kind == "eligibility_override"
        ),
        deviations=tuple(
            _deviation_line(d)
            for d in sorted(deviations, key=lambda d: (d.importance != "major", d.subject_id))
        ),
        unscheduled_visits=tuple(_unscheduled_line(v) for v in unscheduled),
        registry=registry,
        product=product,
        photo_scores=photo_scores,
    )
    locked = (
        Message("database NOT locked (an interim look: lock it with autoserum study lock)")
        if lock is None
        else Message(
            "database locked (lock %(id)s, %(at)s UTC by %(by)s: %(reason)s), head at lock "
            "%(head)s, analysis plan sha256 %(sap)s",
            id=lock.id,
            at=f"{lock.locked_at:%Y-%m-%d %H:%M}",
            by=lock.locked_by,
            reason=lock.reason,
            head=lock.manifest.get("audit_chain", {}).get("head_hash"),
            sap=lock.manifest.get("sap_sha256") or Message("none"),
        )
    )
    return dataclasses.replace(
        data,
        audit_chain=Note(Message("%(chain)s; %(lock)s", chain=_chain_line(chain), lock=locked)),
        history=history.filter(pl.col("subject_id").is_in(enrolled)),
    )


def _deviation_line(d: Any) -> Note:
    """A protocol deviation as the report lists it (its importance and kind are words of the
    vocabulary, its description and action as recorded; a description the system wrote in
    its language, :func:`autoserum.study.deviations.described`)."""
    from autoserum.study.deviations import described

    what = Message(
        "%(subject)s: %(importance)s %(kind)s",
        subject=d.subject_id,
        importance=Message(d.importance) if d.importance else Message("unclassified"),
        kind=Message(d.kind),
    )
    if d.occurred_on:
        what = Message("%(what)s on %(date)s", what=what, date=d.occurred_on)
    text = Message("%(what)s: %(description)s", what=what, description=described(d.description))
    if d.corrective_action:
        text = Message(
            "%(text)s; corrective action: %(action)s", text=text, action=d.corrective_action
        )
    return Note(text)


def _lock_manifest(url: str, study: str, sap: Sap | None) -> list[str]:
    """The lines of the study's database lock manifest (or that it is not locked); a SAP file
    given for the analysis must be the one whose hash the lock recorded."""
    from autoserum.cli.study import manifest_lines
    from autoserum.store import open_store

    store = open_store(url, create=False)
    try:
        lock = store.locks.database_lock(study)
    finally:
        store.close()
    if lock is None:
        from autoserum.cli._say import language, translate

        return [
            translate(language(), "database of study %(study)s NOT locked: an interim look; "
                      "lock it (autoserum study lock) before the final unblinded analysis",
                      study=study)
        ]  # fmt: skip
    locked_sap = lock.manifest.get("sap_sha256")
    if sap is not None and locked_sap is not None and sap.sha256() != locked_sap:
        raise ValidationError(
            "--sap",
            sap.sha256(),
            Expected(
                "the analysis plan locked with the database (sha256 %(locked_sap)s)",
                locked_sap=locked_sap,
            ),
        )
    return manifest_lines(lock)


def _sensitivity_json(visits: pl.DataFrame, plan: AnalysisPlan, sap: Sap) -> dict[str, Any]:
    """The SAP's sensitivity analyses of the primary estimand (MI, tipping point) as JSON:
    one row per analysis and treatment arm (non-finite numbers as ``null``) and the notes."""
    from autoserum.analysis import sensitivity_table

    notes: list[str] = []
    table = sensitivity_table(visits, plan, sap.missing_data.sensitivity, notes)
    rows = [
        {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in r.items()}
        for r in table.iter_rows(named=True)
    ]
    return {"rows": rows, "notes": notes}


def _chain_line(chain: Verification) -> Message:
    """The audit chain as the report prints it: head hash, length and whether it verified (a
    message: the report shows it in its language)."""
    if not chain.chains:
        return Message("no audit rows")
    head = chain.chains[0]
    if chain.ok and head.signed is None:
        return Message(
            "head %(head)s (%(rows)s rows, verified)", head=head.head_hash, rows=head.length
        )
    if chain.ok and head.signed:
        return Message(
            "head %(head)s (%(rows)s rows, verified, head HMAC valid)",
            head=head.head_hash,
            rows=head.length,
        )
    if chain.ok:
        return Message(
            "head %(head)s (%(rows)s rows, verified, head HMAC INVALID)",
            head=head.head_hash,
            rows=head.length,
        )
    first = chain.problems[0]
    return Message(
        "head %(head)s (%(rows)s rows): NOT VERIFIED, %(kind)s at row %(row)s (run autoserum "
        "audit verify)",
        head=head.head_hash,
        rows=head.length,
        kind=first.kind,
        row=first.row,
    )


def _unscheduled_line(v: Any) -> Note:
    """An unscheduled visit as the report lists it."""
    if v.day is None:
        text = Message(
            "%(subject)s: %(visit)s on %(date)s: %(reason)s",
            subject=v.subject_id,
            visit=v.visit_code,
            date=v.visit_date,
            reason=v.unscheduled_reason,
        )
    else:
        text = Message(
            "%(subject)s: %(visit)s on %(date)s (day %(day)s): %(reason)s",
            subject=v.subject_id,
            visit=v.visit_code,
            date=v.visit_date,
            day=v.day,
            reason=v.unscheduled_reason,
        )
    return Note(text)


def _study_record(url: str, study: str) -> tuple[Protocol, tuple[str, ...]]:
    """The protocol the stored study froze at its creation (not a library look-up by code: a
    study created from the user's own protocol file has no library entry) and its
    stratification factors (the site, then the declared ones), which the analysis plan adjusts
    for by default."""
    from autoserum.store import open_store

    store = open_store(url, create=False)
    try:
        record = store.studies.get(study)
        return store.studies.protocol(study), ("site", *(k for k, _ in record.stratify_by))
    finally:
        store.close()


def _names(spec: str | None) -> list[str] | None:
    """A comma-separated list of names; ``None`` when not given, empty for ``none``."""
    if spec is None:
        return None
    return [p.strip() for p in spec.split(",") if p.strip() and p.strip() != "none"]


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _p(value: Any) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _print_tables(result: EndpointResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from autoserum.cli._say import language, note, translate

    lang = language()

    def ci(low: Any, high: Any) -> str:
        return translate(lang, "%(low)s to %(high)s", low=_num(low), high=_num(high))

    data = result.to_json()
    console = Console()
    console.print(
        translate(lang, "%(endpoint)s, change from baseline to week %(week)s (%(population)s)",
                  endpoint=f"[bold]{result.endpoint.upper()}[/bold]", week=f"{result.week:g}",
                  population=result.population.upper())
    )  # fmt: skip
    arm, n, p_value = translate(lang, "arm"), translate(lang, "n"), translate(lang, "p")
    interval = translate(lang, "95 % CI")
    within = Table(
        arm, n, translate(lang, "mean change"), translate(lang, "SD"), interval,
        translate(lang, "t p"), translate(lang, "HL"), translate(lang, "Wilcoxon p"),
        title=translate(lang, "Within arms"),
    )  # fmt: skip
    for r in data["within"]:
        within.add_row(
            r["arm"],
            str(r["n"]),
            _num(r["mean_change"]),
            _num(r["sd_change"]),
            ci(r["ci_low"], r["ci_high"]),
            _p(r["t_p_value"]),
            _num(r["hl_estimate"]),
            _p(r["wilcoxon_p_value"]),
        )
    console.print(within)
    for entry in data["between"]:
        between = Table(
            translate(lang, "method"), translate(lang, "n (treatment / control)"),
            translate(lang, "estimate"), translate(lang, "SE"), interval,
            translate(lang, "statistic"), translate(lang, "df"), p_value,
            title=translate(lang, "%(arm)s − %(control)s, week %(week)s", arm=entry["arm"],
                            control=entry["control"], week=f"{entry['week']:g}"),
        )  # fmt: skip
        for method in ("ancova", "mmrm", "mann_whitney", "hedges_g"):
            r = entry[method]
            if r is not None:
                stat = (
                    f"{r['statistic_name']} = {_num(r['statistic'])}"
                    if r["statistic_name"] and r["statistic"] is not None
                    else "–"
                )
                between.add_row(
                    method,
                    f"{r['n_treatment']} / {r['n_control']}",
                    _num(r["estimate"]),
                    _num(r["se"]),
                    ci(r["ci_low"], r["ci_high"]),
                    stat,
                    _num(r["df"], 0),
                    _p(r["p_value"]),
                )
        console.print(between)
    if data["responders"]:
        resp = Table(
            translate(lang, "responder"), arm, translate(lang, "responders/n"),
            translate(lang, "rate"), translate(lang, "Fisher p"),
            title=translate(lang, "Responders"),
        )  # fmt: skip
        for r in data["responders"]:
            resp.add_row(
                r["responder"],
                r["arm"],
                f"{r['responders']}/{r['n']}",
                _num(r["rate"]),
                _p(r["fisher_p_value"]),
            )
        console.print(resp)
    if data.get("predictors"):
        pred = Table(
            translate(lang, "predictor"), translate(lang, "responders median"),
            translate(lang, "non-responders median"), p_value,
            title=translate(lang, "Predictors of %(responder)s",
                            responder=data["predictor_responder"]),
        )  # fmt: skip
        for r in data["predictors"]:
            pred.add_row(
                r["name"],
                _num(r["responders_median"]),
                _num(r["non_responders_median"]),
                _p(r["p_value"]),
            )
        console.print(pred)
    noted = translate(lang, "note:")
    for text in data["notes"]:
        console.print(f"[yellow]{noted}[/yellow] {note(text, lang)}")


def analyze(
    file: FileArg = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Instrument total, e.g. easi (default: the protocol's primary endpoint, else "
            "the first instrument with values).",
        ),
    ] = None,
    week: Annotated[
        float | None,
        typer.Option("--week", help="Analysis week, post-baseline (default: the last)."),
    ] = None,
    db: DbOpt = None,
    study: StudyOpt = None,
    control: ControlOpt = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Protocol (library code or .toml file) whose primary endpoint and control arm "
            "the analysis plan takes (with --db: the study's).",
        ),
    ] = None,
    predictors: Annotated[
        str | None,
        typer.Option(
            "--predictors",
            help="Comma-separated baseline covariates, e.g. age,eosinophils (default: age, sex, "
            "eosinophils, IgE where present; 'none' for none).",
        ),
    ] = None,
    population: Annotated[str, typer.Option("--population", help="fas or per_protocol.")] = "fas",
    sap: SapOpt = None,
    covariates: Annotated[
        str | None,
        typer.Option(
            "--covariates",
            help="Covariates besides baseline, e.g. site,age (default: the SAP's, else with --db "
            "the randomisation's stratification factors; 'none' for none).",
        ),
    ] = None,
    conf_level: Annotated[
        float | None, typer.Option("--conf-level", help="Confidence level (default 0.95).")
    ] = None,
    alternative: Annotated[
        str | None,
        typer.Option(
            "--alternative",
            help="two-sided (default), less (treatment lowers the score; within an arm, the "
            "score falls from baseline) or greater.",
        ),
    ] = None,
    mmrm_covariance: Annotated[
        str | None,
        typer.Option(
            "--mmrm-covariance",
            help="MMRM covariance: unstructured (default), toeplitz, ar1, compound_symmetry.",
        ),
    ] = None,
    mmrm_df: Annotated[
        str | None,
        typer.Option(
            "--mmrm-df", help="MMRM df: residual (default), satterthwaite, kenward_roger."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
) -> None:
    """Analyse one endpoint: change within arms, ANCOVA/MMRM between arms, responders.

    The endpoint, week, control arm and predictors are decided by the same analysis plan as the
    report's (autoserum.analysis.plan_analysis): what is given, else the protocol, else the data.

    Example: autoserum analyze study.csv --endpoint easi --week 12 --predictors age,sex --json
    """
    from autoserum.analysis import (
        analyze_plan,
        estimand_visits,
        parse_sap_file,
        plan_analysis,
        study_consort,
    )
    from autoserum.protocols import resolve_protocol

    plan_file = parse_sap_file(sap) if sap is not None else None
    data = _load(file, db, study)
    manifest = _lock_manifest(db, study, plan_file) if db is not None and study else []
    strata: tuple[str, ...] = ()
    chosen = resolve_protocol(protocol) if protocol else None
    if db is not None and study:
        stored, strata = _study_record(db, study)
        chosen = chosen or stored
    if population not in ("fas", "per_protocol"):
        raise ValidationError("--population", population, Expected("fas or per_protocol"))
    names = _names(predictors)
    plan = plan_analysis(
        data.visits,
        chosen,
        endpoint=endpoint,
        week=week,
        control=control,
        predictors=names,
        population="fas" if population == "fas" else "per_protocol",
        sap=plan_file,
        covariates=_names(covariates),
        conf_level=conf_level,
        alternative=alternative,
        stratification=strata,
        mmrm_covariance=mmrm_covariance,
        mmrm_df=mmrm_df,
    )
    visits = estimand_visits(data, plan_file.primary) if plan_file is not None else data.visits
    result = analyze_plan(visits, plan)
    if as_json:
        payload = result.to_json()
        if plan_file is not None:
            payload["sap"] = {
                "code": plan_file.code,
                "version": plan_file.version,
                "sha256": plan_file.sha256(),
            }
        if plan_file is not None and plan_file.missing_data.sensitivity:
            payload["sensitivity"] = _sensitivity_json(visits, plan, plan_file)
        payload["consort"] = study_consort(data).to_dict()
        typer.echo(json.dumps(payload, indent=2, allow_nan=False))
        for line in manifest:  # stdout is the JSON document
            typer.echo(line, err=True)
    else:
        for line in manifest:
            typer.echo(line)
        _print_tables(result)


def report(
    file: FileArg = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder for the HTML and PDF.")] = Path(
        "report"
    ),
    db: DbOpt = None,
    study: StudyOpt = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Primary endpoint (default: the protocol's, else the first instrument).",
        ),
    ] = None,
    week: Annotated[
        float | None, typer.Option("--week", help="Analysis week (default: the last).")
    ] = None,
    control: ControlOpt = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Protocol (library code or .toml file): the study summary, primary endpoint "
            "and control arm, e.g. ast-nahm2023 (default with --db: the study's own protocol).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    sap: SapOpt = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the report's texts, dates and fonts: en, ko or zh-Hans.",
        ),
    ] = "en",
    dsmb: Annotated[
        str | None,
        typer.Option(
            "--dsmb",
            help="Write one part of the DSMB report instead: open (pooled over arms, no arm "
            "data at all) or closed (by arm; needs unblinded data).",
        ),
    ] = None,
) -> None:
    """Write the study report as self-contained HTML and PDF into --out.

    With --sap the report runs exactly the plan and prints its SHA-256. With --dsmb open or
    --dsmb closed it writes that part of the data monitoring committee's report
    (<name>-dsmb-<part>.html/.pdf), each produced on its own.

    Example: autoserum report study.csv --protocol ast-nahm2023 --out report/ --lang ko
    """
    from autoserum.analysis import parse_sap_file
    from autoserum.i18n import check_language
    from autoserum.report import write_dsmb, write_report

    language = check_language("--lang", lang)
    if dsmb is not None and dsmb not in ("open", "closed"):
        raise ValidationError("--dsmb", dsmb, Expected("open or closed"))
    plan_file = parse_sap_file(sap) if sap is not None else None
    data = _load(file, db, study, unblind=dsmb is None)
    manifest = _lock_manifest(db, study, plan_file) if db is not None and study else []
    strata: tuple[str, ...] = ()
    plan: Protocol | str | None = protocol
    if db is not None and study:
        stored, strata = _study_record(db, study)
        plan = protocol or stored
    if dsmb is not None:
        part = write_dsmb(
            data,
            out,
            "open" if dsmb == "open" else "closed",
            name=study if db is not None else None,
            protocol=plan,
            title=title,
            sap=plan_file,
            language=language,
        )
        _wrote(part.html, part.pdf)
        return
    files = write_report(
        data,
        out,
        name=study if db is not None else None,
        endpoint=endpoint,
        week=week,
        control=control,
        protocol=plan,
        title=title,
        sap=plan_file,
        stratification=strata,
        language=language,
    )
    for line in manifest:
        typer.echo(line)
    _wrote(files.html, files.pdf)
    if plan_file is not None:
        from autoserum.cli._say import language as cli_language
        from autoserum.cli._say import translate

        typer.echo(
            translate(cli_language(), "statistical analysis plan %(code)s sha256 %(hash)s",
                      code=plan_file.code, hash=plan_file.sha256())
        )  # fmt: skip


def _wrote(*paths: Path) -> None:
    """``wrote PATH``, one line per file written, in the command line's language."""
    from autoserum.cli._say import language, translate

    lang = language()
    for path in paths:
        typer.echo(translate(lang, "wrote %(path)s", path=path))


sap_app = typer.Typer(
    help="The statistical analysis plan (SAP) as data: check it, print its hash, render it.\n\n"
    "Example: autoserum sap render sap.toml --out sap/",
    no_args_is_help=True,
)


@sap_app.command("show")
def sap_show(
    file: Annotated[Path, typer.Argument(help="SAP file (TOML); see docs/sap.md.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Validate a SAP and print its code, version, primary estimand and SHA-256.

    Example: autoserum sap show examples/sap-ast-nahm2023.toml
    """
    from autoserum.analysis import parse_sap_file

    plan = parse_sap_file(file)
    if as_json:
        payload = {"sha256": plan.sha256(), "sap": plan.model_dump(mode="json")}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
        return
    from autoserum.cli._say import language, translate

    lang = language()
    e = plan.primary
    typer.echo(
        translate(lang, "%(code)s version %(version)s: %(title)s", code=plan.code,
                  version=plan.version, title=plan.title)
    )  # fmt: skip
    typer.echo(
        translate(lang, "primary estimand %(code)s: %(variable)s at week %(week)s, "
                  "%(population)s, %(summary)s by %(method)s", code=e.code, variable=e.variable,
                  week=f"{e.week:g}", population=e.population, summary=e.summary,
                  method=e.method)
    )  # fmt: skip
    typer.echo(f"sha256 {plan.sha256()}")


@sap_app.command("render")
def sap_render(
    file: Annotated[Path, typer.Argument(help="SAP file (TOML); see docs/sap.md.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for the HTML and PDF.")] = Path(
        "sap"
    ),
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the document's fixed texts, dates and fonts: en, ko or zh-Hans "
            "(the plan's own texts stay as written).",
        ),
    ] = "en",
) -> None:
    """Write the SAP as self-contained HTML and PDF (with its SHA-256) into --out.

    Example: autoserum sap render examples/sap-ast-nahm2023.toml --out sap/ --lang ko
    """
    from autoserum.analysis import parse_sap_file
    from autoserum.i18n import check_language
    from autoserum.report import write_sap

    language = check_language("--lang", lang)
    plan = parse_sap_file(file)
    files = write_sap(plan, out, source=str(file), language=language)
    _wrote(files.html, files.pdf)
    typer.echo(f"sha256 {files.sha256}")


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``report`` and ``sap`` to the autoserum CLI."""
    app.command("analyze")(analyze)
    app.command("report")(report)
    app.add_typer(sap_app, name="sap")
