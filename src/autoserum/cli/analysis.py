"""CLI commands ``analyze`` and ``report`` (owned by the analysis branch).

>>> # autoserum analyze study.csv --endpoint easi --week 12 --control placebo --json
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.errors import ValidationError

if TYPE_CHECKING:
    from autoserum.analysis import EndpointResult, StudyData
    from autoserum.protocols import Protocol
    from autoserum.store import Verification

__all__ = ["analyze", "register", "report"]

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Tidy long visit file (.csv or .parquet); see docs/data-format.md."),
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (instead of FILE).")]
StudyOpt = Annotated[str | None, typer.Option("--study", help="Study name in the database.")]
ControlOpt = Annotated[
    str | None,
    typer.Option("--control", help="Control arm code (default: the arm named placebo/control)."),
]


def _load(file: Path | None, db: str | None, study: str | None) -> StudyData:
    if file is not None and db is not None:
        raise ValidationError(
            "FILE/--db", f"{file} and {db}", "either FILE or --db URL --study NAME"
        )
    if db is not None:
        if not study:
            raise ValidationError("--study", study, "the name of a study in the database")
        return _load_db(db, study)
    if file is None:
        raise ValidationError(
            "FILE", None, "a tidy long CSV/Parquet file, or --db URL --study NAME"
        )
    from autoserum.analysis import read_study

    return read_study(file)


def _load_db(url: str, study: str) -> StudyData:
    """A study from the database, exported as the database owner (arms visible) and validated
    like a file."""
    import dataclasses

    from autoserum.analysis import study_from_frames
    from autoserum.store import Actor, audit_key, open_store

    actor = Actor("cli", "admin")
    store = open_store(url, create=False)
    try:
        visits = store.exports.long(study, actor=actor)
        adverse = store.exports.adverse_events(study, actor=actor)
        flow = store.subjects.consort(study, actor=actor)
        chain = store.audit.verify(study, key=audit_key())
        overrides = store.records.deviations(study, actor=actor, kind="eligibility_override")
    finally:
        store.close()
    data = study_from_frames(
        visits,
        adverse,
        f"{url} study {study}",
        assessed=flow.assessed,
        excluded=flow.excluded,
        eligibility_overrides=tuple(f"{d.subject_id}: {d.description}" for d in overrides),
    )
    return dataclasses.replace(data, audit_chain=_chain_line(chain))


def _chain_line(chain: Verification) -> str:
    """The audit chain as the report prints it: head hash, length and whether it verified."""
    if not chain.chains:
        return "no audit rows"
    head = chain.chains[0]
    signed = {None: "", True: ", head HMAC valid", False: ", head HMAC INVALID"}[head.signed]
    if chain.ok:
        return f"head {head.head_hash} ({head.length} rows, verified{signed})"
    first = chain.problems[0]
    return (
        f"head {head.head_hash} ({head.length} rows): NOT VERIFIED, {first.kind} at row "
        f"{first.row} (run autoserum audit verify)"
    )


def _protocol_of(url: str, study: str) -> Protocol:
    """The protocol the stored study froze at its creation (not a library look-up by code: a
    study created from the user's own protocol file has no library entry)."""
    from autoserum.store import open_store

    store = open_store(url, create=False)
    try:
        return store.studies.protocol(study)
    finally:
        store.close()


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

    data = result.to_json()
    console = Console()
    console.print(
        f"[bold]{result.endpoint.upper()}[/bold], change from baseline to week {result.week:g} "
        f"({result.population.upper()})"
    )
    within = Table(
        "arm", "n", "mean change", "SD", "95 % CI", "t p", "HL", "Wilcoxon p", title="Within arms"
    )
    for r in data["within"]:
        within.add_row(
            r["arm"],
            str(r["n"]),
            _num(r["mean_change"]),
            _num(r["sd_change"]),
            f"{_num(r['ci_low'])} to {_num(r['ci_high'])}",
            _p(r["t_p_value"]),
            _num(r["hl_estimate"]),
            _p(r["wilcoxon_p_value"]),
        )
    console.print(within)
    if "between" in data:
        between = Table(
            "method",
            "estimate",
            "SE",
            "95 % CI",
            "p",
            title=f"{data['treatment']} − {result.control}",
        )
        for method, r in data["between"].items():
            if r is not None:
                between.add_row(
                    method,
                    _num(r["estimate"]),
                    _num(r["se"]),
                    f"{_num(r['ci_low'])} to {_num(r['ci_high'])}",
                    _p(r["p_value"]),
                )
        console.print(between)
    if data["responders"]:
        resp = Table("responder", "arm", "responders/n", "rate", "Fisher p", title="Responders")
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
            "predictor",
            "responders median",
            "non-responders median",
            "p",
            title=f"Predictors of {data['predictor_responder']}",
        )
        for r in data["predictors"]:
            pred.add_row(
                r["name"],
                _num(r["responders_median"]),
                _num(r["non_responders_median"]),
                _p(r["p_value"]),
            )
        console.print(pred)
    for note in data["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")


def analyze(
    endpoint: Annotated[str, typer.Option("--endpoint", help="Instrument total, e.g. easi.")],
    week: Annotated[float, typer.Option("--week", help="Analysis week (post-baseline).")],
    file: FileArg = None,
    db: DbOpt = None,
    study: StudyOpt = None,
    control: ControlOpt = None,
    predictors: Annotated[
        str,
        typer.Option(
            "--predictors", help="Comma-separated baseline covariates, e.g. age,eosinophils."
        ),
    ] = "",
    population: Annotated[str, typer.Option("--population", help="fas or per_protocol.")] = "fas",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
) -> None:
    """Analyse one endpoint: change within arms, ANCOVA/MMRM between arms, responders.

    Example: autoserum analyze study.csv --endpoint easi --week 12 --predictors age,sex --json
    """
    from autoserum.analysis import analyze_endpoint

    data = _load(file, db, study)
    names = [p.strip() for p in predictors.split(",") if p.strip()]
    if population not in ("fas", "per_protocol"):
        raise ValidationError("--population", population, "fas or per_protocol")
    result = analyze_endpoint(
        data.visits,
        endpoint,
        week,
        control=control,
        predictors=names,
        population="fas" if population == "fas" else "per_protocol",
    )
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, allow_nan=False))
    else:
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
            help="Protocol code or file for the study summary, e.g. ast-nahm2023 "
            "(default with --db: the study's own protocol).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
) -> None:
    """Write the study report as self-contained HTML and PDF into --out.

    Example: autoserum report study.csv --protocol ast-nahm2023 --out report/
    """
    from autoserum.report import write_report

    data = _load(file, db, study)
    plan: Protocol | str | None = protocol
    if protocol is None and db is not None and study:
        plan = _protocol_of(db, study)
    files = write_report(
        data,
        out,
        name=study if db is not None else None,
        endpoint=endpoint,
        week=week,
        control=control,
        protocol=plan,
        title=title,
    )
    typer.echo(f"wrote {files.html}")
    typer.echo(f"wrote {files.pdf}")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` and ``report`` to the autoserum CLI."""
    app.command("analyze")(analyze)
    app.command("report")(report)
