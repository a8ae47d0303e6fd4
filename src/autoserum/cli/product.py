"""CLI commands of the autologous product's chain of identity (``docs/product.md``):
``autoserum product show|draw|process|aliquots|storage|dispose|kit|inject|labels|worksheet``.

Each command calls the store service the web pages and the API call (``store.product``; the
injection ``store.records.add_injection``, the one owner of the checks: a refused product
exits 2 with the mismatch named, and the refusal is audited). Writes are attributed to the
account proven by ``--user`` with ``--token`` or ``--user-password-stdin``
(:mod:`autoserum.cli._identity`); without ``--user`` the CLI acts as ``system:cli``, which
may read the product but not record it. The labels and the worksheet are the report's
(``report.product_labels``, ``report.worksheet_rows``), as on the pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.cli._identity import TokenOption, UserOption, UserPasswordOption, acting
from autoserum.cli.study import DbOption, JsonOption

if TYPE_CHECKING:
    from autoserum.store import Actor, Store

__all__ = ["product_app", "register"]

product_app = typer.Typer(
    name="product",
    help=(
        "The autologous product's chain of identity: draws, processing, aliquots (labelled "
        "with a QR code), storage, disposal, blinded kits and the injection by label code "
        "(docs/product.md).\n\n"
        "Example: autoserum product show S1-001 --study AST-1 --db sqlite:///trial.db"
    ),
    no_args_is_help=True,
)

StudyOption = Annotated[str, typer.Option("--study", help="The study's name.")]
SubjectArgument = Annotated[str, typer.Argument(help="The subject's identifier.")]
OutOption = Annotated[Path, typer.Option("--out", help="The PDF file to write.")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="When (ISO 8601 with its UTC offset; default: now)."),
]


@contextmanager
def _session(
    db: str, user: str | None, token: str | None, password_stdin: bool
) -> Iterator[tuple[Store, Actor]]:
    """The store and the proven actor of a command; the store closed afterwards."""
    from autoserum.store import open_store

    store = open_store(db)
    try:
        yield store, acting(store, user, token=token, password_stdin=password_stdin)
    finally:
        store.close()


def _echo(record: Any, as_json: bool, line: Callable[[Any], str]) -> None:
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps(asdict(record), default=str, indent=2))
    else:
        typer.echo(line(record))


@product_app.command("show")
def product_show(
    subject: SubjectArgument,
    study: StudyOption,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Show a subject's product life, draw → processing → aliquots → storage → injections,
    as the acting account may see it (a blinded account: the kits' codes and volumes, the
    product "blinded").

    Example: autoserum product show S1-001 --study AST-1 --json --db sqlite:///trial.db
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        life = store.product.life(study, subject, actor=actor)
    if as_json:
        from dataclasses import asdict

        out = asdict(life)
        out["status"] = {str(k): v for k, v in life.status.items()}
        out["use_by"] = {str(k): v.isoformat() for k, v in life.use_by.items()}
        typer.echo(json.dumps(out, default=str, indent=2))
        return
    typer.echo(f"subject {life.subject_id}" + (" (blinded)" if life.blinded else ""))
    for d in life.draws:
        typer.echo(f"draw\t{d.code}\t{d.drawn_at.isoformat()}\t{d.volume_ml} mL\t{d.tube or ''}")
    for p in life.processings:
        typer.echo(
            f"processing\t{p.id}\t{p.started_at.isoformat()}\t"
            + (f"deviates: {p.deviations}" if p.deviates else "as the protocol")
        )
    for a in life.aliquots:
        typer.echo(
            f"aliquot\t{a.code}\t{a.volume_ml} mL\texpires {a.expires_at.isoformat()}\t"
            f"{life.status.get(a.id, '')}"
        )
    for e in life.storage_events:
        typer.echo(
            f"storage\t{e.kind}\t{e.at.isoformat()}\t{e.temperature or ''}\t{e.location or ''}"
        )
    for x in life.disposals:
        typer.echo(f"disposal\t{x.at.isoformat()}\t{x.reason}")
    for k in life.kits:
        use_by = life.use_by.get(k.id)
        typer.echo(
            f"kit\t{k.code}\t{k.volume_ml} mL\t{k.product}"
            + ("" if use_by is None else f"\tuse by {use_by.isoformat()}")
        )
    for i in life.injections:
        typer.echo(
            f"injection\t{i.given_on}\t{i.product_code or ''}\t{i.volume_ml or ''} mL\t{i.product}"
        )


@product_app.command("draw")
def product_draw(
    subject: SubjectArgument,
    study: StudyOption,
    volume: Annotated[str, typer.Option("--volume", help="Volume drawn (mL).")],
    at: AtOption = None,
    tube: Annotated[
        str | None, typer.Option("--tube", help="Tube type (default: the protocol's).")
    ] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record a blood draw of a subject (the unblinded preparer); prints its label code.

    Example: autoserum product draw S1-001 --study AST-1 --volume 40 --user prep --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        draw = store.product.draw(
            study, subject, actor=actor, volume_ml=volume, drawn_at=at, tube=tube
        )
    from autoserum.cli._say import language, translate

    _echo(
        draw, as_json, lambda d: translate(language(), "blood draw %(code)s recorded", code=d.code)
    )


@product_app.command("process")
def product_process(
    study: StudyOption,
    draw: Annotated[str, typer.Option("--draw", help="The draw's label code.")],
    at: AtOption = None,
    clotting_minutes: Annotated[str | None, typer.Option(help="Clotting time (min).")] = None,
    centrifuge_g: Annotated[str | None, typer.Option(help="Centrifugation (g).")] = None,
    centrifuge_minutes: Annotated[
        str | None, typer.Option(help="Centrifugation time (min).")
    ] = None,
    centrifuge_temperature: Annotated[
        str | None, typer.Option(help="Centrifugation temperature (°C).")
    ] = None,
    purification: Annotated[str | None, typer.Option(help="Purification (IgG).")] = None,
    protein_concentration: Annotated[
        str | None, typer.Option(help="Protein concentration (mg/mL).")
    ] = None,
    purity: Annotated[str | None, typer.Option(help="Purity (%).")] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record the processing of a draw; parameters outside the protocol's are flagged and
    recorded as a product_process protocol deviation. Prints the processing's id.

    Example: autoserum product process --study AST-1 --draw 'AS1:AST-1:S1-001:BD-0001:53'
    --clotting-minutes 30 --centrifuge-g 1500 --centrifuge-minutes 10 --user prep --token $TOKEN
    """
    parameters = {
        "clotting_minutes": clotting_minutes,
        "centrifuge_g": centrifuge_g,
        "centrifuge_minutes": centrifuge_minutes,
        "centrifuge_temperature": centrifuge_temperature,
        "purification": purification,
        "protein_concentration": protein_concentration,
        "purity": purity,
    }
    with _session(db, user, token, user_password_stdin) as (store, actor):
        done = store.product.process(study, draw, actor=actor, started_at=at, **parameters)
    from autoserum.cli._say import language, translate

    _echo(
        done,
        as_json,
        lambda p: (
            translate(
                language(),
                "processing %(id)s recorded; deviations: %(deviations)s",
                id=p.id,
                deviations=p.deviations,
            )
            if p.deviates
            else translate(language(), "processing %(id)s recorded", id=p.id)
        ),
    )


@product_app.command("aliquots")
def product_aliquots(
    study: StudyOption,
    processing: Annotated[int, typer.Option("--processing", help="The processing's id.")],
    count: Annotated[
        int | None, typer.Option("--count", help="How many (default: the protocol's).")
    ] = None,
    volume: Annotated[
        str | None, typer.Option("--volume", help="Volume of each (mL; default: the protocol's).")
    ] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Make the aliquots of a processing, each with its label code and expiry (processing +
    the protocol's storage_max_days); prints their codes.

    Example: autoserum product aliquots --study AST-1 --processing 1 --count 4 --user prep
    --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        made = store.product.make_aliquots(
            study, processing, actor=actor, count=count, volume_ml=volume
        )
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps([asdict(a) for a in made], default=str, indent=2))
        return
    for a in made:
        typer.echo(f"{a.code}\t{a.volume_ml} mL\texpires {a.expires_at.isoformat()}")


@product_app.command("storage")
def product_storage(
    study: StudyOption,
    code: Annotated[
        str, typer.Option("--code", help="The label code of the aliquot, kit or blood draw.")
    ],
    kind: Annotated[str, typer.Option("--kind", help="stored, frozen, thawed or moved.")],
    at: AtOption = None,
    temperature: Annotated[str | None, typer.Option(help="Temperature (°C).")] = None,
    location: Annotated[str | None, typer.Option(help="Where it is kept.")] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record a storage event of an aliquot; each thaw counts against the protocol's
    freeze-thaw limit.

    Example: autoserum product storage --study AST-1 --code 'AS1:AST-1:S1-001:AL-0001:42'
    --kind frozen --temperature -20 --user prep --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        event = store.product.storage_event(
            study, code, kind, actor=actor, at=at, temperature=temperature, location=location
        )
    from autoserum.cli._say import language, translate

    _echo(event, as_json, lambda e: translate(language(), "aliquot %(code)s %(kind)s", code=code,
                                              kind=translate(language(), e.kind)))  # fmt: skip


@product_app.command("dispose")
def product_dispose(
    study: StudyOption,
    code: Annotated[
        str, typer.Option("--code", help="The label code of the aliquot, kit or blood draw.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it is disposed of.")],
    at: AtOption = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record the disposal of an aliquot, a blinded kit (of any arm) or a blood draw, with the
    reason: it can no longer be injected; an aliquot's or a draw's unused kits are disposed of
    with it.

    Example: autoserum product dispose --study AST-1 --code 'AS1:AST-1:S1-001:AL-0001:42'
    --reason 'tube cracked' --user prep --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        gone = store.product.dispose(study, code, actor=actor, reason=reason, at=at)
    from autoserum.cli._say import language, translate

    _echo(gone, as_json, lambda _: translate(language(), "%(code)s disposed of", code=code))


@product_app.command("kit")
def product_kit(
    subject: SubjectArgument,
    study: StudyOption,
    code: Annotated[
        str | None,
        typer.Option("--code", help="The aliquot it is filled from (serum or IgG arms)."),
    ] = None,
    draw_code: Annotated[
        str | None,
        typer.Option("--draw-code", help="The blood draw it is filled from (whole-blood arms)."),
    ] = None,
    volume: Annotated[
        str | None, typer.Option("--volume", help="Volume (mL; default: the arm's dose).")
    ] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Prepare a blinded kit for a subject per allocation (serum from one of the subject's
    usable aliquots, whole blood from one of the subject's draws, or saline); the injector is
    told the kit's code and volume only.

    Example: autoserum product kit S1-001 --study AST-1 --code 'AS1:AST-1:S1-001:AL-0001:42'
    --user prep --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        kit = store.product.prepare_kit(
            study, subject, actor=actor, volume_ml=volume, aliquot_code=code,
            blood_draw_code=draw_code,
        )  # fmt: skip
    from autoserum.cli._say import language, translate
    from autoserum.i18n import format_quantity

    _echo(kit, as_json, lambda k: translate(language(), "kit %(code)s prepared (%(volume)s)",
                                            code=k.code, volume=format_quantity(
                                                k.volume_ml, "mL", language())))  # fmt: skip


@product_app.command("inject")
def product_inject(
    subject: SubjectArgument,
    study: StudyOption,
    code: Annotated[
        str, typer.Option("--code", help="The label code of the aliquot, kit or draw (scanned).")
    ],
    given_on: Annotated[str, typer.Option("--given-on", help="The day given (YYYY-MM-DD).")],
    given_at: Annotated[
        str | None,
        typer.Option(
            "--given-at",
            help="The time given (ISO 8601 with offset, e.g. 2026-03-02T09:30+09:00): the "
            "product is judged as it was then (default: now if given today, else the end of "
            "that day).",
        ),
    ] = None,
    volume: Annotated[str | None, typer.Option("--volume", help="Volume (mL).")] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Injection site or acupoint (ST36).")
    ] = None,
    side: Annotated[
        str | None, typer.Option("--side", help="left, right, bilateral or midline.")
    ] = None,
    lot: Annotated[str | None, typer.Option("--lot", help="Lot number.")] = None,
    visit: Annotated[str | None, typer.Option("--visit", help="The visit's code.")] = None,
    as_json: JsonOption = False,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Record an injection by the product's label code. A product of another subject, or an
    expired, used, disposed, too often thawed or too old one, is refused (exit 2, the
    mismatch named) and the refusal is audited.

    Example: autoserum product inject S1-001 --study AST-1 --code 'AS1:AST-1:S1-001:AL-0001:42'
    --given-on 2026-03-02 --volume 2 --user coord --token $TOKEN
    """
    with _session(db, user, token, user_password_stdin) as (store, actor):
        given = store.records.add_injection(
            study, subject, given_on, actor=actor, product_code=code, volume_ml=volume,
            site=site, side=side, lot=lot, visit_code=visit, given_at=given_at,
        )  # fmt: skip
    from autoserum.cli._say import language, translate

    # the code as given (the record's reads "blinded" to a blinded injector)
    _echo(given, as_json, lambda i: translate(language(), "injection of %(code)s recorded "
                                              "(%(product)s)", code=code.strip(),
                                              product=i.product))  # fmt: skip


@product_app.command("labels")
def product_labels(
    subject: SubjectArgument,
    study: StudyOption,
    out: OutOption,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Write the labels (QR code and text) of a subject's draws, aliquots and kits as a PDF
    (A4, 3 × 8 labels per page), as the preparer's page prints them.

    Example: autoserum product labels S1-001 --study AST-1 --out labels.pdf --db sqlite:///trial.db
    """
    from autoserum.report import labels_pdf
    from autoserum.report import product_labels as sheet

    with _session(db, user, token, user_password_stdin) as (store, actor):
        life = store.product.life(study, subject, actor=actor)
    labels = sheet(life)
    out.write_bytes(labels_pdf(labels))
    from autoserum.cli._say import language, number, translate

    lang = language()
    typer.echo(translate(lang, "%(n)s labels written to %(path)s", n=number(len(labels), lang),
                         path=out))  # fmt: skip


@product_app.command("worksheet")
def product_worksheet(
    study: StudyOption,
    out: OutOption,
    user: UserOption = None,
    token: TokenOption = None,
    user_password_stdin: UserPasswordOption = False,
    db: DbOption = "sqlite:///autoserum.db",
) -> None:
    """Write the preparation worksheet (unblinded: each allocated subject with the arm's
    declared process and blank cells) as a PDF; needs a preparer's or an admin's account.

    Example: autoserum product worksheet --study AST-1 --out worksheet.pdf --user prep
    --token $TOKEN
    """
    from autoserum.report import worksheet_pdf, worksheet_rows

    with _session(db, user, token, user_password_stdin) as (store, actor):
        allocated = store.product.allocated(study, actor=actor)
        protocol = store.studies.protocol(study)
    out.write_bytes(worksheet_pdf(study, protocol.title, worksheet_rows(protocol, allocated)))
    from autoserum.cli._say import language, number, translate

    lang = language()
    typer.echo(translate(lang, "worksheet of %(n)s subjects written to %(path)s",
                         n=number(len(allocated), lang), path=out))  # fmt: skip


def register(root: typer.Typer) -> None:
    """Add ``product`` to the root application."""
    root.add_typer(product_app, name="product")
