"""CLI: ``autoserum protocols`` (the library, one protocol, validate a file) and ``autoserum
schedule`` (the visit and injection calendar of a protocol from a start date).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.protocols import Dose, Fact, Protocol

__all__ = ["app", "register", "schedule_command"]

app = typer.Typer(
    name="protocols",
    help=(
        "The protocol library: list it, show one protocol, validate your own protocol file.\n\n"
        "Example: autoserum protocols --json"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _dose(dose: Dose, number: int, lang: str) -> str:
    """An arm's dose for injection ``number`` (``protocols.Dose.at``: a schedule's entry) as
    ``lang`` writes it, or ``unknown``."""
    from autoserum.cli._say import translate
    from autoserum.i18n import format_quantity

    value = dose.at(number) if dose.known else None
    return translate(lang, "unknown") if value is None else format_quantity(value, dose.unit, lang)


def _mark(source: str, lang: str) -> str:
    """Where a detail comes from, after it: nothing when published, else ``[autoserum
    default]`` or ``[unknown]`` in ``lang`` (the catalog's words of ``protocols.Source``)."""
    from autoserum.cli._say import translate

    return "" if source == "published" else f" [{translate(lang, source)}]"


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _summary(p: Protocol) -> dict[str, Any]:
    return {
        "code": p.code,
        "title": p.title,
        "design": p.design,
        "blinding": p.blinding,
        "arms": [
            {"code": a.code, "product": a.product, "allocation_ratio": a.allocation_ratio}
            for a in p.arms
        ],
        "citation": p.citation,
    }


@app.callback()
def list_protocols(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the protocol library: code, title, design, arms, citation.

    Example: autoserum protocols --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from autoserum.protocols import load_protocol, protocol_codes

    protocols = [load_protocol(code) for code in protocol_codes()]
    if as_json:
        _echo_json([_summary(p) for p in protocols])
        return
    from autoserum.cli._say import language, translate

    lang = language()
    for p in protocols:
        arms = ", ".join(f"{a.code} ({a.product})" for a in p.arms)
        typer.echo(
            translate(lang, "%(code)s  %(design)s, %(blinding)s; arms: %(arms)s", code=p.code,
                      design=p.design, blinding=translate(lang, p.blinding), arms=arms)
        )  # fmt: skip
        typer.echo(f"    {p.title}")
        typer.echo(f"    {p.citation}")


def _fact(fact: Fact, lang: str) -> str:
    """A declared detail with its unit as ``lang`` writes it (``5 mL``, ``5mL``, ``5毫升``; a
    dose schedule ``1-2-3-2-1 mL``) and where it comes from."""
    from autoserum.cli._say import translate
    from autoserum.i18n import format_quantity

    if fact.value is None:
        return translate(lang, "unknown")
    return format_quantity(fact.value, fact.unit, lang) + _mark(fact.source, lang)


def _show_text(p: Protocol) -> None:  # one flat listing of the protocol
    """The protocol's facts as written (its texts are the protocol's own, in its language);
    the words around them in the command line's language."""
    from autoserum.cli._say import N_, language, translate

    lang = language()

    def say(message: str, indent: str = "", **values: object) -> None:
        typer.echo(indent + translate(lang, message, **values))

    typer.echo(f"{p.code}: {p.title}")
    say(N_("citation: %(citation)s"), citation=p.citation)
    if p.identifiers:
        say(N_("identifiers: %(ids)s"), ids=", ".join(p.identifiers))
    say(N_("design: %(design)s, %(blinding)s; condition: %(condition)s"), design=p.design,
        blinding=translate(lang, p.blinding), condition=p.condition)  # fmt: skip
    say(N_("population: %(fact)s"), fact=_fact(p.population, lang))
    say(N_("primary endpoint: %(fact)s"), fact=_fact(p.primary_endpoint, lang))
    say(N_("arms:"))
    for a in p.arms:
        values = {"code": a.code, "label": a.label, "product": a.product,
                  "ratio": a.allocation_ratio}  # fmt: skip
        if a.is_control:
            say(N_("%(code)s: %(label)s (%(product)s, control, ratio %(ratio)s)"), "  ", **values)
        else:
            say(N_("%(code)s: %(label)s (%(product)s, ratio %(ratio)s)"), "  ", **values)
        say(
            N_("dose: %(dose)s; route: %(route)s"),
            "    ",
            dose=_fact(a.dose, lang),
            route=_fact(a.route, lang),
        )
        sites = "; ".join(
            " ".join(x for x in (s.kind, s.code, s.name, s.laterality) if x) + _mark(s.source, lang)
            for s in a.sites
        )
        say(N_("sites: %(sites)s"), "    ", sites=sites or translate(lang, "none given"))
        prep = _fact(a.preparation, lang)
        if a.preparation.note:
            say(N_("preparation: %(prep)s (%(note)s)"), "    ", prep=prep, note=a.preparation.note)
        else:
            say(N_("preparation: %(prep)s"), "    ", prep=prep)
    say(N_("phases:"))
    for ph in p.phases:
        say(N_("%(code)s: day %(start)s to %(end)s%(mark)s"), "  ", code=ph.code,
            start=ph.start_day, end=ph.end_day, mark=_mark(ph.source, lang))  # fmt: skip
    say(N_("visits (day, window before/after):"))
    for v in p.visits:
        due = ", ".join((*v.instruments, *v.labs, *v.other_assessments)) or "-"
        visit = N_("%(code)s: day %(day)s%(mark)s, -%(before)s/+%(after)s%(window_mark)s; %(due)s")
        say(visit, "  ", code=v.code, day=v.day, mark=_mark(v.day_source, lang),
            before=_w(v.window_before, lang), after=_w(v.window_after, lang),
            window_mark=_mark(v.window_source, lang), due=due)  # fmt: skip
    days = ", ".join(str(i.day) for i in p.injections)
    say(N_("injections: %(n)s on days %(days)s"), n=len(p.injections), days=days)
    say(N_("eligibility:"))
    for r in p.eligibility:
        typer.echo(f"  {r.code}: {r.description} [{_bounds(r.fact, r)}]{_mark(r.source, lang)}")
    for c in p.conflicts:
        say(N_("conflict (%(topic)s): %(statements)s"), topic=c.topic,
            statements=" | ".join(c.statements))  # fmt: skip
        say(N_("followed: %(resolution)s"), "  ", resolution=c.resolution)


def _w(value: int | None, lang: str = "en") -> str:
    from autoserum.cli._say import translate

    return translate(lang, "any") if value is None else str(value)


def _bounds(fact: str, rule: Any) -> str:
    if rule.source == "unknown":
        return f"{fact}: threshold not published"
    if rule.equals is not None:
        return f"{fact} = {json.dumps(rule.equals)}"
    lo = "" if rule.minimum is None else f"{rule.minimum:g} ≤ "
    hi = "" if rule.maximum is None else f" ≤ {rule.maximum:g}"
    return f"{lo}{fact}{hi}"


@app.command("show")
def show(
    protocol: Annotated[str, typer.Argument(help="A library code or a path to a .toml file.")],
    as_json: JsonOption = False,
) -> None:
    """Show one protocol in full, with the provenance of every detail.

    Example: autoserum protocols show asim-choi2024
    """
    from autoserum.protocols import resolve_protocol

    p = resolve_protocol(protocol)
    if as_json:
        _echo_json(p.model_dump(mode="json"))
    else:
        _show_text(p)


@app.command("validate")
def validate(
    file: Annotated[str, typer.Argument(help="Path to your protocol file (TOML).")],
    as_json: JsonOption = False,
) -> None:
    """Validate a protocol file; a bad field is reported with its path, exit code 2.

    Example: autoserum protocols validate my-protocol.toml
    """
    from autoserum.protocols import parse_protocol_file

    p = parse_protocol_file(file)
    if as_json:
        _echo_json({"valid": True, **_summary(p)})
    else:
        from autoserum.cli._say import language, translate

        typer.echo(
            translate(language(), "ok: %(code)s: %(arms)s arms, %(visits)s visits, "
                      "%(injections)s injections", code=p.code, arms=len(p.arms),
                      visits=len(p.visits), injections=len(p.injections))
        )  # fmt: skip


def _parse_date(value: str | None) -> dt.date:
    if value is None:
        raise ValidationError(
            "--start", None, Expected("the date of day 0 (first injection), YYYY-MM-DD")
        )
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("--start", value, Expected("an ISO date YYYY-MM-DD")) from None


def schedule_command(
    protocol: Annotated[str, typer.Argument(help="A library code or a path to a .toml file.")],
    start: Annotated[
        str | None,
        typer.Option("--start", help="Required: date of day 0, the first injection (YYYY-MM-DD)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the visit and injection calendar of a protocol with window dates.

    Day 0 is the first injection; windows are earliest..latest acceptable dates.

    Example: autoserum schedule ast-nahm2023 --start 2026-03-02
    """
    from autoserum.protocols import resolve_protocol, schedule

    p = resolve_protocol(protocol)
    events = schedule(p, _parse_date(start))
    if as_json:
        _echo_json({"protocol": p.code, "start": start, "events": [e.to_json() for e in events]})
        return
    from autoserum.cli._say import date, language, pad, translate

    lang = language()
    typer.echo(
        translate(lang, "%(code)s: day 0 (first injection) = %(start)s", code=p.code,
                  start=date(start, lang))
    )  # fmt: skip
    headings = (
        pad(translate(lang, "day"), 5, right=True),
        pad(translate(lang, "date"), 10),
        pad(translate(lang, "window"), 23),
        pad(translate(lang, "event"), 18),
        translate(lang, "due / dose"),
    )
    typer.echo("  ".join(headings))
    numbers = {f"injection_{i.number}": i.number for i in p.injections}
    for e in events:  # the calendar's dates stay ISO: fixed columns, windows early..late
        early = e.earliest.isoformat() if e.earliest else translate(lang, "any")
        late = e.latest.isoformat() if e.latest else translate(lang, "any")
        window = early if early == late else f"{early}..{late}"
        if e.kind == "visit":
            due = ", ".join((*e.instruments, *e.labs, *e.other_assessments)) or "-"
        else:  # each arm's dose for this injection, its unit as the language writes it
            number = numbers[e.code]
            due = ", ".join(f"{a.code}: {_dose(a.dose, number, lang)}" for a in p.arms)
        typer.echo(f"{e.day:>5}  {e.date.isoformat()}  {window:23}  {e.code:18}  {due}")


def register(root: typer.Typer) -> None:
    """Add ``protocols`` and ``schedule`` to the root application."""
    root.add_typer(app, name="protocols")
    root.command("schedule")(schedule_command)
