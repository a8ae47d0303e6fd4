"""CLI commands of the store: ``import``, ``export`` and ``audit`` (with ``audit verify`` and
``audit head``).

The CLI acts as the owner of the database file or server (a study admin): it sees arms unless
``--blinded`` asks for a blinded export.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from autoserum.cli._identity import TokenOption, UserOption, UserPasswordOption, acting
from autoserum.errors import Expected, Message, NotFoundError, ValidationError

__all__ = ["register"]

DbOption = Annotated[
    str, typer.Option("--db", help="Database URL (sqlite:///file.db or postgresql+psycopg://...).")
]
StudyOption = Annotated[str, typer.Option("--study", help="Study name.")]


def _ae_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.ae{path.suffix}")


def _conmed_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.conmed{path.suffix}")


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Visit file (.csv or .parquet) in the tidy long format, a package folder "
            "or .zip with --format package, an ODM XML file with --format odm."
        ),
    ],
    study: StudyOption,
    records: Annotated[
        Path | None,
        typer.Argument(
            help="With --format redcap: the REDCap records CSV (FILE is the dictionary)."
        ),
    ] = None,
    db: DbOption = "sqlite:///autoserum.db",
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="tidy (a visit file), package (a data package), odm (CDISC ODM) or redcap "
            "(a REDCap dictionary and records).",
        ),
    ] = "tidy",
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="With --format redcap: the mapping (TOML) of the fields."),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option("--protocol", help="Protocol code or file; creates the study when it is new."),
    ] = None,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
) -> None:
    """Import a tidy long file (and its FILE.ae.csv and FILE.conmed.csv beside it) into a
    study, all or nothing.

    One bad row rejects the whole file with its line number and column; nothing is written.
    The import is audited as --user (an admin, proven by --token or --user-password-stdin) or,
    without --user, as system:cli. With --format package, a package written by
    `autoserum export --format package` becomes the new study --study; with --format odm, an
    ODM 1.3.2 file written by `autoserum export --format odm`; with --format redcap, a REDCap
    project's data dictionary (FILE) and records (RECORDS) with --mapping naming which fields are
    which (docs/exports.md).

    Example: autoserum import visits.csv --db sqlite:///t.db --study AST-1 --protocol ast-nahm2023

    Example: autoserum import ast1.zip --format package --db sqlite:///t.db --study AST-1
    """
    from autoserum.store import open_store

    if fmt not in {"tidy", "package", "odm", "redcap"}:
        raise ValidationError("--format", fmt, Expected("tidy, package, odm or redcap"))
    if fmt == "redcap":
        _import_redcap(file, records, mapping, study, db, user, token=token,
                       password_stdin=user_password_stdin)  # fmt: skip
        return
    if records is not None or mapping is not None:
        raise ValidationError(
            "RECORDS/--mapping", str(records or mapping), Expected("--format redcap")
        )
    if fmt in {"package", "odm"}:
        _import_package(
            file, study, db, user, token=token, password_stdin=user_password_stdin, fmt=fmt
        )
        return
    if not file.is_file():
        raise ValidationError("FILE", str(file), Expected("an existing .csv or .parquet file"))
    ae_file, conmed_file = _ae_path(file), _conmed_path(file)
    store = open_store(db)
    try:
        actor = acting(store, user, token=token, password_stdin=user_password_stdin)
        counts = store.exports.import_file(
            study,
            file,
            actor=actor,
            adverse_events=ae_file if ae_file.is_file() else None,
            con_meds=conmed_file if conmed_file.is_file() else None,
            protocol=protocol,
        )
    finally:
        store.close()
    from autoserum.cli._say import counted, language, translate

    lang = language()
    typer.echo(
        translate(lang, "imported into study %(study)s: %(parts)s", study=study,
                  parts=counted(lang, counts))
    )  # fmt: skip


def _import_redcap(
    dictionary: Path,
    records: Path | None,
    mapping: Path | None,
    study: str,
    db: str,
    user: str | None,
    *,
    token: str | None,
    password_stdin: bool,
) -> None:
    from autoserum.store import open_store

    if records is None:
        raise ValidationError(
            "RECORDS", None, Expected("the REDCap records CSV after the dictionary")
        )
    if mapping is None:
        raise ValidationError("--mapping", None, Expected("the mapping file (TOML)"))
    store = open_store(db)
    try:
        actor = acting(store, user, token=token, password_stdin=password_stdin)
        counts = store.exports.import_redcap(
            study, dictionary, records, mapping=mapping, actor=actor
        )
    finally:
        store.close()
    from autoserum.cli._say import counted, language, translate

    lang = language()
    typer.echo(
        translate(lang, "imported REDCap records into study %(study)s: %(parts)s", study=study,
                  parts=counted(lang, counts))
    )  # fmt: skip


def _import_package(
    path: Path,
    study: str,
    db: str,
    user: str | None,
    *,
    token: str | None,
    password_stdin: bool,
    fmt: str = "package",
) -> None:
    from autoserum.store import open_store

    if fmt == "odm" and not path.is_file():
        raise ValidationError("FILE", str(path), Expected("an existing ODM XML file"))
    if not path.exists():
        raise ValidationError(
            "PACKAGE", str(path), Expected("an existing package folder or .zip file")
        )
    store = open_store(db)
    try:
        actor = acting(store, user, token=token, password_stdin=password_stdin)
        if fmt == "odm":
            counts = store.exports.import_odm(study, path, actor=actor)
        else:
            counts = store.exports.import_package(study, path, actor=actor)
    finally:
        store.close()
    from autoserum.cli._say import N_, counted, language, translate

    lang = language()
    message = (
        N_("imported ODM file into study %(study)s: %(parts)s")
        if fmt == "odm"
        else N_("imported package into study %(study)s: %(parts)s")
    )
    typer.echo(translate(lang, message, study=study, parts=counted(lang, counts)))


def export_command(
    study: StudyOption,
    db: DbOption = "sqlite:///autoserum.db",
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv, parquet, package, sdtm, adam, fhir, odm or redcap (docs/exports.md).",
        ),
    ] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (CSV to stdout when omitted).")
    ] = None,
    blinded: Annotated[
        bool, typer.Option("--blinded", help="Leave out the arm (a blinded export).")
    ] = False,
    deidentified: Annotated[
        bool,
        typer.Option(
            "--deidentified", help="Leave out dates and names of people (package format)."
        ),
    ] = False,
    with_audit: Annotated[
        bool,
        typer.Option(
            "--with-audit", help="With --format odm: add the audit trail and the signatures."
        ),
    ] = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
) -> None:
    """Export a study in the tidy long format (one row per subject and visit with its totals,
    items, labs and vital signs; adverse events to OUT.ae.csv beside it,
    concomitant medication to OUT.conmed.csv, informed consents to OUT.consent.csv, patients'
    self-reported entries with the diaries' weekly means to OUT.pro.csv).

    In CSV, text cells starting with = + - @ tab or CR get a leading ' so that spreadsheets do
    not run them as formulas (OWASP); import removes it. Parquet keeps the raw text. The export
    is read as --user (proven; what that account may see) or as system:cli, and recorded as a
    security event.

    With --format package, --out names a folder or a .zip file: one CSV and one Parquet file per
    record type with a Frictionless datapackage.json; with --format sdtm or adam, a folder of
    CDISC SDTM or ADaM datasets as SAS transport v5 files with define.xml; with --format fhir,
    a FHIR R4 transaction Bundle (JSON file); with --format odm, one CDISC ODM 1.3.2 XML file
    (--with-audit adds the audit trail and the signatures); with --format redcap, a folder with
    a REDCap data dictionary, records, events, instrument-event mapping and mapping.toml
    (docs/exports.md).

    Example: autoserum export --db sqlite:///trial.db --study AST-1 --format csv --out visits.csv

    Example: autoserum export --db sqlite:///trial.db --study AST-1 --format package --out ast1.zip
    """
    if with_audit and fmt != "odm":
        raise ValidationError("--with-audit", fmt, Expected("--format odm"))
    if fmt in _RECORD_FORMATS:
        if out is None:
            raise ValidationError(
                "--out", None, Expected("a folder or .zip file for --format %(fmt)s", fmt=fmt)
            )
        _export_package(
            fmt,
            study, db, out, blinded=blinded, deidentified=deidentified, user=user,
            token=token, password_stdin=user_password_stdin, with_audit=with_audit,
        )  # fmt: skip
        return
    if fmt not in {"csv", "parquet"}:
        raise ValidationError(
            "--format",
            fmt,
            Expected("csv, parquet, %(values)s", values=" or ".join(_RECORD_FORMATS)),
        )
    if fmt == "parquet" and out is None:
        raise ValidationError("--out", None, Expected("an output file for --format parquet"))
    from autoserum.store import open_store
    from autoserum.study.tidy import neutralise_formulas

    store = open_store(db, create=False)
    try:
        actor = acting(store, user, token=token, password_stdin=user_password_stdin)
        frame = store.exports.long(study, actor=actor)
        adverse = store.exports.adverse_events(study, actor=actor)
        meds = store.exports.con_meds(study, actor=actor)
        consents = store.exports.consents(study, actor=actor)
        reported = store.exports.pro(study, actor=actor)
        if blinded:
            frame, adverse = frame.drop("arm", strict=False), adverse.drop("arm", strict=False)
            meds = meds.drop("arm", strict=False)
        store.events.record(
            "export",
            actor=actor,
            detail={
                "study": study,
                "what": "visits, adverse_events, con_meds, consents and pro",
                "rows": frame.height,
                "arms": "arm" in frame.columns,
                "via": "cli",
                "format": fmt,
            },
        )
    finally:
        store.close()
    if fmt == "csv":
        frame, adverse = neutralise_formulas(frame), neutralise_formulas(adverse)
        consents, meds = neutralise_formulas(consents), neutralise_formulas(meds)
        reported = neutralise_formulas(reported)
    if out is None:
        sys.stdout.write(frame.write_csv())
        return
    ae_out = out.with_name(f"{out.stem}.ae.{fmt}")
    consent_out = out.with_name(f"{out.stem}.consent.{fmt}")
    conmed_out = out.with_name(f"{out.stem}.conmed.{fmt}")
    pro_out = out.with_name(f"{out.stem}.pro.{fmt}")
    if fmt == "csv":
        frame.write_csv(out)
        if adverse.height:
            adverse.write_csv(ae_out)
        if meds.height:
            meds.write_csv(conmed_out)
        if consents.height:
            consents.write_csv(consent_out)
        if reported.height:
            reported.write_csv(pro_out)
    else:
        frame.write_parquet(out)
        if adverse.height:
            adverse.write_parquet(ae_out)
        if meds.height:
            meds.write_parquet(conmed_out)
        if consents.height:
            consents.write_parquet(consent_out)
        if reported.height:
            reported.write_parquet(pro_out)
    typer.echo(_exported_rows(frame.height, study, out))


def _exported_rows(rows: int, study: str, out: Path) -> str:
    from autoserum.cli._say import language, number, translate

    lang = language()
    return translate(lang, "exported %(rows)s visit rows of study %(study)s to %(path)s",
                     rows=number(rows, lang), study=study, path=out)  # fmt: skip


_RECORD_FORMATS = ("package", "sdtm", "adam", "fhir", "odm", "redcap")
"""Formats written from every record of the study (the data package's rows)."""


def _export_package(
    fmt: str,
    study: str,
    db: str,
    out: Path,
    *,
    blinded: bool,
    deidentified: bool,
    user: str | None,
    token: str | None,
    password_stdin: bool,
    with_audit: bool = False,
) -> None:
    from autoserum.store import open_store, write_package
    from autoserum.study.cdisc import write_sdtm

    store = open_store(db, create=False)
    try:
        actor = acting(store, user, token=token, password_stdin=password_stdin)
        content = store.exports.package(
            study, actor=actor, blinded=blinded, deidentified=deidentified
        )
        meta = content.descriptor["autoserum"]
        odm = None
        if fmt == "odm":
            odm = store.exports.odm(
                study, actor=actor, blinded=blinded, deidentified=deidentified,
                with_audit=with_audit,
            )  # fmt: skip
        if fmt == "adam":
            _, frames = store.exports.adam(
                study, actor=actor, blinded=blinded, deidentified=deidentified
            )
        store.events.record(
            "export",
            actor=actor,
            detail={
                "study": study,
                "what": "every record",
                "rows": sum(len(r) for r in content.rows.values()),
                "arms": not meta["blinded"],
                "deidentified": meta["deidentified"],
                "via": "cli",
                "format": fmt,
            },
        )
    finally:
        store.close()
    from autoserum.cli._say import counted, language, number, translate

    lang = language()
    if fmt == "redcap":
        from autoserum.store import redcap_files

        out.mkdir(parents=True, exist_ok=True)
        for name, data in redcap_files(content).items():
            (out / name).write_bytes(data)
        typer.echo(translate(lang, "exported REDCap of study %(study)s to %(path)s",
                             study=study, path=out))  # fmt: skip
        return
    if fmt == "package":
        write_package(content, out)
        counts = counted(lang, {k: len(r) for k, r in content.rows.items()})
        typer.echo(
            translate(lang, "exported the package of study %(study)s to %(path)s: %(parts)s",
                      study=study, path=out, parts=counts)
        )  # fmt: skip
        return
    if odm is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(odm)
        typer.echo(translate(lang, "exported ODM 1.3.2 of study %(study)s to %(path)s",
                             study=study, path=out))  # fmt: skip
        return
    if fmt == "fhir":
        from autoserum.study.fhir import fhir_bundle

        bundle = fhir_bundle(meta["study"], content.rows)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(
            translate(lang, "exported FHIR of study %(study)s to %(path)s: %(n)s resources",
                      study=study, path=out, n=number(len(bundle["entry"]), lang))
        )  # fmt: skip
        return
    if fmt == "adam":
        from autoserum.analysis import write_adam

        files = write_adam(study, frames, out, created=datetime.now(UTC))
    else:
        files = write_sdtm(
            meta["study"], content.rows, out, masked=meta["blinded"], created=datetime.now(UTC)
        )
    names = ", ".join(f.name for f in files)
    typer.echo(
        translate(lang, "exported %(format)s of study %(study)s to %(path)s: %(files)s",
                  format=fmt.upper(), study=study, path=out, files=names)
    )  # fmt: skip


audit_app = typer.Typer(
    help=(
        "The audit trail: print it, verify its hash chains, export their heads.\n\n"
        "Example: autoserum audit verify --db sqlite:///trial.db"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)


@audit_app.callback(invoke_without_command=True)
def audit_command(
    ctx: typer.Context,
    db: DbOption = "sqlite:///autoserum.db",
    study: Annotated[str | None, typer.Option("--study", help="Only this study.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
) -> None:
    """Print the audit trail: who changed what, when (UTC), old and new value, and why.

    Malformed rows are skipped with a warning on stderr (``audit verify`` reports them).

    Example: autoserum audit --db sqlite:///trial.db --subject S01 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    import logging

    from autoserum.store import open_store

    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)

    store = open_store(db, create=False)
    try:
        records = store.audit.raw_rows(study)
    finally:
        store.close()
    if subject is not None:
        records = [r for r in records if r.subject_id == subject]
        if not records:
            raise NotFoundError(
                Message("no audit records of subject %(subject)s", subject=repr(subject))
            )
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=1))
        return
    for r in records:
        change = "" if r.field is None else f" {r.field}: {r.old_value!r} -> {r.new_value!r}"
        who = f"{r.username} ({r.role})"
        why = f" [{r.reason}]" if r.reason else ""
        typer.echo(f"{r.to_json()['at']} {who} {r.action} {r.entity} {r.record_id}{change}{why}")


AnchorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--head",
        help="A head hash exported earlier (autoserum audit head); it must still be in the chain.",
    ),
]


def _key() -> bytes | None:
    from autoserum.store import audit_key

    return audit_key()


def _chain_name(chain: int, study: str | None) -> str:
    """How a chain is named: its study, ``(no study)``, ``security-events`` or ``-``."""
    from autoserum.store import SECURITY_CHAIN

    if study is not None:
        return study
    return {0: "(no study)", SECURITY_CHAIN: "security-events"}.get(chain, "-")


@audit_app.command("verify")
def audit_verify_command(
    db: DbOption = "sqlite:///autoserum.db",
    study: Annotated[str | None, typer.Option("--study", help="Only this study's chain.")] = None,
    heads: AnchorOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recompute the audit trail's hash chains (one per study, and the security events') and
    report the first broken link of each (row, expected, found), malformed rows, and heads that
    do not match; exit 1 on any problem.

    With AUTOSERUM_AUDIT_KEY set, each chain head's HMAC is checked too (a rewrite of a whole
    chain is detected without the key); --head HASH checks a head exported earlier.

    Example: autoserum audit verify --db sqlite:///trial.db --study AST-1 --head 3f1c...
    """
    from autoserum.store import open_store

    store = open_store(db, create=False)
    try:
        result = store.audit.verify(study, key=_key(), anchors=heads or ())
    finally:
        store.close()
    from autoserum.cli._say import N_, language, number, translate

    lang = language()
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        for c in result.chains:
            name = _chain_name(c.chain, c.study)
            message = {
                None: N_("chain %(chain)s: %(rows)s rows, head %(head)s"),
                True: N_("chain %(chain)s: %(rows)s rows, head %(head)s, HMAC ok"),
                False: N_("chain %(chain)s: %(rows)s rows, head %(head)s, HMAC BAD"),
            }[c.signed]
            typer.echo(
                translate(lang, message, chain=name, rows=number(c.length, lang), head=c.head_hash)
            )
        for p in result.problems:
            name = _chain_name(p.chain, p.study)
            values = {"kind": p.kind, "chain": name, "expected": p.expected, "found": p.found}
            if p.row is not None:
                message = translate(
                    lang, "BROKEN %(kind)s in chain %(chain)s at row %(row)s: expected "
                    "%(expected)s, found %(found)s", row=p.row, **values,
                )  # fmt: skip
            else:
                message = translate(
                    lang, "BROKEN %(kind)s in chain %(chain)s at head: expected %(expected)s, "
                    "found %(found)s", **values,
                )  # fmt: skip
            typer.echo(message, err=True)
    if not result.ok:
        raise typer.Exit(1)
    if not as_json:
        typer.echo(translate(lang, "audit trail verified: every chain intact"))


@audit_app.command("head")
def audit_head_command(
    db: DbOption = "sqlite:///autoserum.db",
    study: Annotated[str | None, typer.Option("--study", help="Only this study's chain.")] = None,
) -> None:
    """Print the verified head hash of each audit chain, to keep somewhere else (a signed
    e-mail, a printed report, another system); exit 1 when a chain does not verify.

    Example: autoserum audit head --db sqlite:///trial.db --study AST-1
    """
    from autoserum.store import open_store

    store = open_store(db, create=False)
    try:
        result = store.audit.verify(study, key=_key())
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    lang = language()
    for p in result.problems:
        typer.echo(
            translate(lang, "BROKEN %(kind)s in chain %(chain)s at row %(row)s", kind=p.kind,
                      chain=p.chain, row=p.row),
            err=True,
        )  # fmt: skip
    if not result.ok:
        raise typer.Exit(1)
    for c in result.chains:
        if study is None or c.study == study:
            typer.echo(f"{_chain_name(c.chain, c.study)}\t{c.length}\t{c.head_hash}")


@audit_app.command("events")
def audit_events_command(
    db: DbOption = "sqlite:///autoserum.db",
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind (login_failed, export, ...).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only events about or by this user.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="The newest N events.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
) -> None:
    """Print the security events (logins, failed logins, lockouts, tokens, password changes,
    exports, unblinding views), oldest of the newest --limit first; `audit verify` checks their
    hash chain.

    Example: autoserum audit events --db sqlite:///trial.db --kind login_failed --limit 20
    """
    from autoserum.store import SYSTEM_CLI, open_store

    store = open_store(db, create=False)
    try:
        events = store.events.events(actor=SYSTEM_CLI, kind=kind, username=user, limit=limit)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in events], ensure_ascii=False, indent=1))
        return
    for e in events:
        about = "" if e.username in (None, e.actor) else f" ({e.username})"
        where = "" if e.client is None else f" from {e.client}"
        detail = "" if e.detail is None else " " + json.dumps(e.detail, ensure_ascii=False)
        typer.echo(f"{e.to_json()['at']} {e.kind} {e.actor}{about}{where}{detail}")


def register(app: typer.Typer) -> None:
    """Add ``import``, ``export`` and ``audit`` to the CLI."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.add_typer(audit_app, name="audit")
