"""``autoserum score`` and ``autoserum instruments``: the scoring library on the command line.

A thin adapter over :mod:`autoserum.instruments`: it parses the JSON payload or reads the CSV
file, calls :func:`~autoserum.instruments.score` / :func:`~autoserum.instruments.score_batch`
and prints the result. Invalid input raises :class:`~autoserum.errors.ValidationError`, which
:func:`autoserum.cli._app.main` turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.cli._quick import instrument as instrument_named
from autoserum.cli._quick import score_payload
from autoserum.errors import Expected, ValidationError
from autoserum.instruments import Instrument, get_instrument, instrument_codes

if TYPE_CHECKING:
    import polars as pl

__all__ = ["instruments_command", "register", "score_command"]


def _read(source: Path) -> pl.DataFrame:
    import polars as pl

    if not source.is_file():
        raise ValidationError("--input", str(source), Expected("an existing CSV or Parquet file"))
    try:
        if source.suffix.lower() == ".parquet":
            return pl.read_parquet(source)
        return pl.read_csv(source, infer_schema_length=None)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValidationError(
            "--input",
            str(source),
            Expected("a UTF-8 CSV file with a header, or Parquet (%(first)s)", first=first),
        ) from None


def _score_file(code: str, source: Path, target: Path | None, band_set: str | None) -> None:
    from autoserum.instruments import score_batch

    frame = _read(source)
    try:
        scored = score_batch(code, frame, band_set=band_set)
    except ValidationError as err:
        where = err.location or ""
        if where.startswith("row "):
            row = int(where.split()[1])
            line = f" (line {row + 1})" if source.suffix.lower() != ".parquet" else ""
            where = f"{source.name} row {row}{line}"
        raise ValidationError(
            err.field, err.value, err.expectation, location=where or None
        ) from err
    if target is None:
        sys.stdout.write(scored.write_csv())
    elif target.suffix.lower() == ".parquet":
        scored.write_parquet(target)
    else:
        scored.write_csv(target)
    if target is not None:
        from autoserum.cli._say import language, number, translate

        lang = language()
        typer.echo(
            translate(lang, "scored %(rows)s rows of %(code)s into %(path)s",
                      rows=number(scored.height, lang), code=code, path=target),
            err=True,
        )  # fmt: skip


def score_command(
    instrument: Annotated[
        str, typer.Argument(help="Instrument code: " + ", ".join(instrument_codes()) + ".")
    ],
    payload: Annotated[
        str | None,
        typer.Option(
            "--json",
            help="One assessment as a JSON object of item codes ('-' reads it from stdin).",
        ),
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="CSV (or .parquet) file with flat item columns, one row per assessment.",
        ),
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Where to write the scored rows: .csv or .parquet (default: CSV on stdout).",
        ),
    ] = None,
    band_set: Annotated[
        str | None,
        typer.Option("--band-set", help="Band set name (default: the instrument's default)."),
    ] = None,
) -> None:
    """Score one assessment (--json) or a CSV file of assessments (--input) exactly.

    With --json, prints one JSON object: instrument, total (null when not scorable), band,
    band_set, components, reason (SCORAD also objective and objective_band). With --input,
    appends total, band, reason and the components to every row. Item codes, allowed values
    and band sets: `autoserum instruments INSTRUMENT`.

    Example: autoserum score pp_nrs --json '{"score": 7}'

    Example: autoserum score scorad --json '{"extent": 20, "erythema": 1, "edema": 1,
    "oozing": 0, "excoriation": 1, "lichenification": 1, "dryness": 1, "pruritus": 4,
    "sleeplessness": 2}'

    Example: autoserum score easi --input examples/easi.csv --output easi-scored.csv
    """
    inst = instrument_named(instrument)
    if (payload is None) == (input_file is None):
        raise ValidationError(
            "--json/--input",
            "both" if payload is not None else "neither",
            Expected("exactly one of --json PAYLOAD or --input FILE.csv"),
        )
    if output_file is not None and input_file is None:
        raise ValidationError("--output", str(output_file), Expected("only together with --input"))
    if payload is not None:
        typer.echo(score_payload(inst.code, payload, band_set=band_set))
        return
    assert input_file is not None
    _score_file(inst.code, input_file, output_file, band_set)


def _describe(inst: Instrument, lang: str) -> str:
    """An instrument as ``autoserum instruments`` lists it: the registry's name and item labels
    (translated in the catalogs), the words around them in ``lang``; codes, rules and
    references as written."""
    from autoserum.cli._say import N_, translate

    def line(indent: str, message: str, **values: object) -> None:
        lines.append(indent + translate(lang, message, **values))

    lines = [f"{inst.code}: {translate(lang, inst.name)}"]
    line("  ", N_("range: %(low)s–%(high)s (%(polarity)s)"), low=_num(inst.minimum),
         high=_num(inst.maximum), polarity=inst.polarity)  # fmt: skip
    if inst.components:
        line("  ", N_("components: %(components)s"), components=", ".join(inst.components))
    if inst.band_sets:
        for name, band_set in inst.band_sets.items():
            cuts = "; ".join(f"{b.code} {b.describe()}" for b in band_set.bands)
            if name == inst.default_band_set:
                line("  ", N_("band set %(name)s (default): %(cuts)s"), name=name, cuts=cuts)
            else:
                line("  ", N_("band set %(name)s: %(cuts)s"), name=name, cuts=cuts)
            for key, extra_bands in band_set.extra_bands.items():
                cuts = "; ".join(f"{b.code} {b.describe()}" for b in extra_bands)
                lines.append(f"    {key}: {cuts}")
    else:
        line("  ", N_("band sets: none published"))
    line("  ", N_("missing data: %(rule)s"), rule=inst.missing_rule)
    line("  ", N_("reference: %(reference)s"), reference=inst.reference)
    if inst.note:
        line("  ", N_("note: %(note)s"), note=inst.note)
    line("  ", N_("items:"))
    for item in inst.items:
        extra = f" [{item.role}]" if item.role != "score" else ""
        when = (
            " " + translate(lang, "(only when %(item)s = %(value)s)", item=item.condition[0],
                            value=item.condition[1])
            if item.condition
            else ""
        )  # fmt: skip
        alt = (
            " " + translate(lang, "(instead of %(item)s)", item=item.alternative_to)
            if item.alternative_to
            else ""
        )
        unit = f" {item.unit}" if item.unit else ""
        label = translate(lang, item.label)
        lines.append(f"    {item.path}: {item.expected()}{unit}{extra}{when}{alt} — {label}")
    return "\n".join(lines)


def _num(value: Any) -> str:
    return str(int(value)) if value == int(value) else str(float(value))


def instruments_command(
    instrument: Annotated[
        str | None, typer.Argument(help="Show only this instrument (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List the instruments with their items, allowed values, ranges, band sets and references.

    Example: autoserum instruments

    Example: autoserum instruments easi --json
    """
    codes = instrument_codes() if instrument is None else (instrument_named(instrument).code,)
    found = [get_instrument(code) for code in codes]
    if as_json:
        typer.echo(json.dumps([inst.to_json() for inst in found], ensure_ascii=False, indent=2))
        return
    from autoserum.cli._say import language

    lang = language()
    typer.echo("\n\n".join(_describe(inst, lang) for inst in found))


def instrument_texts_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Text files (dlqi.ko.toml) or directories of them to check."),
    ],
) -> None:
    """Check a site's licensed questionnaire wordings (one file per instrument and language,
    keyed by the item codes) before installing them with AUTOSERUM_INSTRUMENT_TEXTS: every item
    code and every answer code present, nothing else. Exits 2 naming the file, the code and what
    was expected.

    Example: autoserum instrument-texts /etc/autoserum/texts/dlqi.ko.toml

    Example: autoserum instrument-texts /etc/autoserum/texts
    """
    from autoserum.i18n import LANGUAGES
    from autoserum.instruments import load_text_file, load_texts

    for path in paths:
        texts = (
            list(load_texts(path, languages=LANGUAGES).texts.values())
            if path.is_dir()
            else [load_text_file(path, languages=LANGUAGES)]
        )
        from autoserum.cli._say import language, translate

        lang = language()
        for text in texts:
            typer.echo(
                translate(lang, "ok: %(file)s: %(instrument)s in %(language)s, %(n)s items "
                          "(%(licence)s)", file=text.source, instrument=text.instrument,
                          language=text.language, n=len(text.items), licence=text.licence)
            )  # fmt: skip


def _help(doc: str | None) -> str:
    """A docstring as help text: paragraphs re-flowed (Typer keeps single newlines)."""
    paragraphs = (doc or "").strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def register(app: typer.Typer) -> None:
    """Add ``score``, ``instruments`` and ``instrument-texts`` to the application."""
    app.command("score", help=_help(score_command.__doc__))(score_command)
    app.command("instruments", help=_help(instruments_command.__doc__))(instruments_command)
    app.command("instrument-texts", help=_help(instrument_texts_command.__doc__))(
        instrument_texts_command
    )
