"""CLI commands of study build and closure: ``autoserum study create|list|show|amend|lock|
unlock|locks`` and ``autoserum site add|list``.

They call ``store.studies`` as an administrator (the CLI's identity, ``cli:<login>``); every
write is audited there. A study's protocol is a library code or the user's own ``.toml`` file,
validated with field-path errors and frozen into the study at creation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.store import Actor, Store

__all__ = ["manifest_lines", "parse_stratify_by", "register", "site_app", "study_app"]

study_app = typer.Typer(
    name="study",
    help=(
        "Build and inspect studies: create one from a library protocol or your own protocol "
        "file, list them, show one.\n\n"
        "Example: autoserum study create AST-1 --protocol ast-nahm2023 --db sqlite:///trial.db"
    ),
    no_args_is_help=True,
)
site_app = typer.Typer(
    name="site",
    help=(
        "Add and list the sites of a study (each site gets its concealed allocation list).\n\n"
        'Example: autoserum site add AST-1 s01 --name "Seoul" --db sqlite:///trial.db'
    ),
    no_args_is_help=True,
)

DbOption = Annotated[
    str, typer.Option("--db", help="Database URL (sqlite:///file.db or postgresql+psycopg://...).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_stratify_by(text: str | None) -> dict[str, list[str]] | None:
    """``--stratify-by`` as ``{factor: [levels]}`` (the core's
    :func:`autoserum.study.randomisation.parse_stratify_by`, errors naming the option).

    >>> parse_stratify_by("baseline_severity=moderate/severe,sex=F/M")
    {'baseline_severity': ['moderate', 'severe'], 'sex': ['F', 'M']}
    """
    from autoserum.study.randomisation import parse_stratify_by as parse

    return parse(text, field="--stratify-by")


def _open(db: str, *, create: bool = False) -> Store:
    from autoserum.store import open_store

    return open_store(db, create=create)


def _actor() -> Actor:
    from autoserum.cli.web import _cli_actor

    return _cli_actor()


def _summary(store: Store, name: str) -> dict[str, Any]:
    study = store.studies.get(name)
    protocol = store.studies.protocol(name)
    flow = store.subjects.consort(name, actor=_actor())
    return {
        "name": study.name,
        "protocol_code": study.protocol_code,
        "protocol_title": protocol.title,
        "blinding": protocol.blinding,
        "arms": [{"code": a.code, "label": a.label, "control": a.is_control} for a in study.arms],
        "stratify_by": {k: list(v) for k, v in study.stratify_by},
        "sites": [{"code": s.code, "name": s.name} for s in store.studies.sites(name)],
        "protocol_versions": [v.to_dict() for v in store.studies.versions(name)],
        "subjects": {
            "assessed": flow.assessed,
            "excluded": flow.excluded,
            "in_screening": flow.in_screening,
            "enrolled": flow.enrolled,
            **({} if flow.consented is None else {"consented": flow.consented}),
            **(
                {}
                if flow.consent_withdrawn is None
                else {"consent_withdrawn": flow.consent_withdrawn}
            ),
        },
    }


@study_app.command("create")
def study_create(
    name: Annotated[str, typer.Argument(help="The study's name (unique in the database).")],
    protocol: Annotated[
        str, typer.Option("--protocol", help="A library protocol code or a .toml protocol file.")
    ],
    stratify_by: Annotated[
        str | None,
        typer.Option(
            "--stratify-by",
            help="Stratification factors besides the site: NAME=LEVEL/LEVEL, comma-separated.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Seed of the allocation lists (random when omitted)."),
    ] = None,
    start_date: Annotated[
        str | None,
        typer.Option(
            "--start-date",
            help="The study start (YYYY-MM-DD): no date of a subject's record may be before it.",
        ),
    ] = None,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Create a study running a library protocol or your own protocol file (validated, field
    paths named on error, exit 2); the protocol is frozen into the study. Add sites next.

    Example: autoserum study create AST-1 --protocol my-protocol.toml --db sqlite:///trial.db

    Example: autoserum study create AST-1 --protocol my-protocol.toml --stratify-by
    baseline_severity=moderate/severe --db sqlite:///trial.db
    """
    from autoserum.protocols import resolve_protocol

    plan = resolve_protocol(protocol)  # before the database is touched
    factors = parse_stratify_by(stratify_by)
    store = _open(db, create=True)
    try:
        study = store.studies.create(
            name, plan, actor=_actor(), seed=seed, stratify_by=factors, start_date=start_date
        )
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    arms = ", ".join(a.code for a in study.arms)
    typer.echo(
        translate(language(), "created study %(study)s (protocol %(protocol)s; arms: %(arms)s)",
                  study=study.name, protocol=study.protocol_code, arms=arms)
    )  # fmt: skip


@study_app.command("list")
def study_list(db: DbOption = "sqlite:///autoserum.db", as_json: JsonOption = False) -> None:
    """List the studies of a database: name, protocol, blinding, sites, subjects enrolled.

    Example: autoserum study list --db sqlite:///trial.db
    """
    store = _open(db)
    try:
        rows = [_summary(store, s.name) for s in store.studies.all()]
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from autoserum.cli._say import language, number, translate

    lang = language()
    for r in rows:
        sites = translate(lang, "%(n)s sites", n=number(len(r["sites"]), lang))
        enrolled = translate(lang, "%(n)s enrolled", n=number(r["subjects"]["enrolled"], lang))
        typer.echo(f"{r['name']}\t{r['protocol_code']}\t{r['blinding']}\t{sites}\t{enrolled}")


@study_app.command("show")
def study_show(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    db: DbOption = "sqlite:///autoserum.db",
    as_json: JsonOption = False,
) -> None:
    """Show a study: its protocol, arms, stratification factors, sites and subject counts.

    Example: autoserum study show AST-1 --db sqlite:///trial.db --json
    """
    store = _open(db)
    try:
        r = _summary(store, name)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(r, ensure_ascii=False, indent=1))
        return
    from autoserum.cli._say import N_, date, language, number, translate

    #: the words of the subject counts (the CONSORT flow)
    subject_counts = {
        "assessed": N_("assessed %(n)s"),
        "excluded": N_("excluded %(n)s"),
        "in_screening": N_("in screening %(n)s"),
        "enrolled": N_("enrolled %(n)s"),
        "consented": N_("consented %(n)s"),
        "consent_withdrawn": N_("consent withdrawn %(n)s"),
    }
    lang = language()
    blinding = r["blinding"]
    typer.echo(
        translate(lang, "study %(study)s: %(title)s (%(protocol)s, %(blinding)s)",
                  study=r["name"], title=r["protocol_title"], protocol=r["protocol_code"],
                  blinding=translate(lang, blinding))
    )  # fmt: skip
    arms = ", ".join(f"{a['code']} ({a['label']})" for a in r["arms"])
    typer.echo(translate(lang, "arms: %(arms)s", arms=arms))
    for factor, levels in r["stratify_by"].items():
        typer.echo(
            translate(lang, "stratified by %(factor)s: %(levels)s", factor=factor,
                      levels=", ".join(levels))
        )  # fmt: skip
    sites = ", ".join(f"{s['code']} ({s['name']})" for s in r["sites"])
    typer.echo(translate(lang, "sites: %(sites)s", sites=sites or translate(lang, "none")))
    for v in r["protocol_versions"]:
        values = {"version": v["protocol_version"], "summary": v["summary"],
                  "by": v["approved_by"], "on": date(v["effective_on"], lang)}  # fmt: skip
        if v["effective_on"] and v["approved_by"]:
            message = N_(
                "protocol version %(version)s (effective %(on)s, approved by %(by)s): %(summary)s"
            )
        elif v["effective_on"]:
            message = N_("protocol version %(version)s (effective %(on)s): %(summary)s")
        elif v["approved_by"]:
            message = N_(
                "protocol version %(version)s (from the start, approved by %(by)s): %(summary)s"
            )
        else:
            message = N_("protocol version %(version)s (from the start): %(summary)s")
        typer.echo(translate(lang, message, **values))
    counts = ", ".join(
        translate(lang, subject_counts[k], n=number(v, lang)) for k, v in r["subjects"].items()
    )
    typer.echo(translate(lang, "subjects: %(counts)s", counts=counts))


@study_app.command("amend")
def study_amend(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    protocol: Annotated[
        str,
        typer.Option("--protocol", help="The amended protocol: a .toml file (or library code)."),
    ],
    effective: Annotated[
        str,
        typer.Option(
            "--effective",
            help="YYYY-MM-DD: visits dated from then on follow the new version.",
        ),
    ],
    summary: Annotated[str, typer.Option("--summary", help="What the amendment changes.")],
    approved_by: Annotated[
        str, typer.Option("--approved-by", help="Who approved it (e.g. the IRB/ethics committee).")
    ],
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record an approved protocol amendment: the study's next protocol version, validated with
    field-path errors (exit 2), governing every visit dated on or after --effective; data
    recorded earlier keep their version. It may not change the arms or the blinding. Audited.

    Example: autoserum study amend AST-1 --protocol v2.toml --effective 2026-06-01
    --summary "week 12 visit added" --approved-by "IRB Seoul" --db sqlite:///trial.db
    """
    from autoserum.protocols import resolve_protocol

    plan = resolve_protocol(protocol)  # before the database is touched
    store = _open(db)
    try:
        version = store.studies.amend(
            name, plan, actor=_actor(), effective_on=effective, summary=summary,
            approved_by=approved_by,
        )  # fmt: skip
    finally:
        store.close()
    from autoserum.cli._say import date, language, translate

    lang = language()
    typer.echo(
        translate(lang, "study %(study)s: protocol version %(version)s effective %(on)s "
                  "(approved by %(by)s): %(summary)s", study=name, version=version.number,
                  on=date(version.effective_on, lang), by=version.approved_by,
                  summary=version.summary)
    )  # fmt: skip


def manifest_lines(lock: Any) -> list[str]:
    """The database lock's manifest as printed by ``study lock``, ``analyze`` and ``report``,
    in the command line's language."""
    from autoserum.cli._say import language, number, translate, when

    lang = language()
    m = lock.manifest
    chain = m.get("audit_chain", {})
    length = chain.get("length")
    sap = m.get("sap_sha256")
    lines = [
        translate(lang, "database locked %(at)s UTC by %(by)s (lock %(id)s): %(reason)s",
                  at=when(lock.locked_at, lang), by=lock.locked_by, id=lock.id,
                  reason=lock.reason),
        "  " + translate(lang, "audit chain head %(head)s (%(rows)s rows, verified)",
                         head=chain.get("head_hash"),
                         rows=length if length is None else number(length, lang)),
        "  " + (translate(lang, "analysis plan sha256 %(hash)s", hash=sap) if sap else
                translate(lang, "analysis plan sha256 (none: no SAP file given)")),
    ]  # fmt: skip
    lists = sorted(m.get("allocation_lists", {}).items())
    lines += [
        "  " + translate(lang, "allocation list %(site)s: %(digest)s", site=k, digest=v)
        for k, v in lists
    ]
    if not lists:
        lines.append(
            "  "
            + translate(lang, "allocation lists: none (arms were imported, not allocated here)")
        )
    return lines


@study_app.command("lock")
def study_lock(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="Lock only this subject (its casebook).")
    ] = None,
    visit: Annotated[
        str | None, typer.Option("--visit", help="With --subject: lock only this visit.")
    ] = None,
    record: Annotated[
        str | None, typer.Option("--record", help="Lock only this record: ENTITY:ID.")
    ] = None,
    sap: Annotated[
        Path | None,
        typer.Option("--sap", help="Database lock: the SAP file whose hash the lock records."),
    ] = None,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Lock the study (the database lock, before unblinding: records the audit chain head, the
    SAP's hash and the allocation list digests), or one subject, visit or record; locked data
    cannot change until an administrator unlocks them with a reason.

    Example: autoserum study lock AST-1 --reason "final data" --sap sap.toml --db sqlite:///trial.db
    """
    level, entity, record_id = "study", None, None
    if record is not None:
        entity, _, raw = record.partition(":")
        if not raw.isdigit():
            raise ValidationError("--record", record, Expected("ENTITY:ID, e.g. adverse_event:12"))
        level, record_id = "record", int(raw)
    elif visit is not None:
        if subject is None:
            raise ValidationError(
                "--subject", None, Expected("the subject of the visit (--subject)")
            )
        level = "visit"
    elif subject is not None:
        level = "subject"
    sap_hash = None
    if sap is not None:
        if level != "study":
            raise ValidationError("--sap", str(sap), Expected("only with a database lock"))
        from autoserum.analysis import parse_sap_file

        sap_hash = parse_sap_file(sap).sha256()
    store = _open(db)
    try:
        lock = store.locks.lock(
            name, level, actor=_actor(), reason=reason, subject_id=subject, visit_code=visit,
            entity=entity, record_id=record_id, sap_sha256=sap_hash,
        )  # fmt: skip
    finally:
        store.close()
    if level == "study":
        for line in manifest_lines(lock):
            typer.echo(line)
    else:
        from autoserum.cli._say import language, translate

        lang = language()
        typer.echo(
            translate(lang, "locked %(level)s (lock %(id)s) of study %(study)s: %(reason)s",
                      level=translate(lang, level), id=lock.id, study=name, reason=lock.reason)
        )  # fmt: skip


@study_app.command("unlock")
def study_unlock(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    lock_id: Annotated[int, typer.Argument(help="The lock's id (see: autoserum study locks).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Lift a lock (administrator; the reason is audited).

    Example: autoserum study unlock AST-1 3 --reason "late lab result" --db sqlite:///trial.db
    """
    store = _open(db)
    try:
        store.locks.unlock(name, lock_id, actor=_actor(), reason=reason)
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    typer.echo(
        translate(language(), "lock %(id)s of study %(study)s lifted", id=lock_id, study=name)
    )


@study_app.command("locks")
def study_locks(
    name: Annotated[str, typer.Argument(help="The study's name.")],
    db: DbOption = "sqlite:///autoserum.db",
    as_json: JsonOption = False,
) -> None:
    """List the study's locks (active and lifted) with their reasons and manifests.

    Example: autoserum study locks AST-1 --db sqlite:///trial.db --json
    """
    store = _open(db)
    try:
        locks = store.locks.locks(name)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([lk.to_dict() for lk in locks], ensure_ascii=False, indent=1))
        return
    for lk in locks:
        what = lk.level if lk.entity is None else f"{lk.entity} {lk.record_id}"
        state = "active" if lk.active else f"lifted {lk.unlocked_at:%Y-%m-%d %H:%M}"
        typer.echo(f"{lk.id}\t{what}\t{lk.locked_by}\t{lk.reason}\t{state}")


@site_app.command("add")
def site_add(
    study: Annotated[str, typer.Argument(help="The study's name.")],
    code: Annotated[str, typer.Argument(help="The site's code (unique in the study).")],
    name: Annotated[str, typer.Option("--name", help="The site's name, e.g. the hospital.")],
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Add a site to a study; its concealed allocation list is generated (audited).

    Example: autoserum site add AST-1 s01 --name "Seoul National University Hospital" --db sqlite:///trial.db
    """
    store = _open(db)
    try:
        site = store.studies.add_site(study, code, name, actor=_actor())
    finally:
        store.close()
    from autoserum.cli._say import language, translate

    typer.echo(
        translate(language(), "added site %(code)s (%(name)s) to study %(study)s",
                  code=site.code, name=site.name, study=study)
    )  # fmt: skip


@site_app.command("list")
def site_list(
    study: Annotated[str, typer.Argument(help="The study's name.")],
    db: DbOption = "sqlite:///autoserum.db",
    as_json: JsonOption = False,
) -> None:
    """List the sites of a study (code and name).

    Example: autoserum site list AST-1 --db sqlite:///trial.db
    """
    store = _open(db)
    try:
        sites = store.studies.sites(study)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([{"code": s.code, "name": s.name} for s in sites], indent=1))
        return
    for s in sites:
        typer.echo(f"{s.code}\t{s.name}")


def register(root: typer.Typer) -> None:
    """Add ``study`` and ``site`` to the root application."""
    root.add_typer(study_app, name="study")
    root.add_typer(site_app, name="site")
