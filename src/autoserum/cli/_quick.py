"""One assessment scored from a JSON payload, with neither Typer nor Polars loaded.

``autoserum score INSTRUMENT --json PAYLOAD`` is the command people (and scripts scoring one
visit at a time) run most often. Typer validates the options of the command it runs through
pydantic, which alone costs more start-up time than scoring one assessment; so
:func:`autoserum.cli._main.main` answers this exact command line here (:func:`quick_score`) and
hands every other command line, including any variation of this one it does not recognise
(``--help``, ``--input``, a repeated option), to the Typer application. Both paths score with
:func:`score_payload`, so their output is the same (``tests/instruments/test_cli.py``).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from autoserum.errors import Expected, ValidationError

if TYPE_CHECKING:
    from autoserum.instruments import Instrument

__all__ = ["instrument", "parse_payload", "parse_score_line", "quick_score", "score_payload"]


def instrument(code: str) -> Instrument:
    """The instrument named ``code`` on the command line, or a ValidationError listing them."""
    from autoserum.instruments import get_instrument, instrument_codes

    if code not in instrument_codes():
        raise ValidationError(
            "INSTRUMENT", code, Expected("one of %(values)s", values=", ".join(instrument_codes()))
        )
    return get_instrument(code)


def parse_payload(text: str) -> dict[str, Any]:
    """The ``--json`` option's value as a JSON object (``-`` reads it from stdin)."""
    if text == "-":
        text = sys.stdin.read()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(
            "--json",
            text,
            Expected(
                "a JSON object (invalid JSON: %(msg)s at column %(colno)s)",
                msg=err.msg,
                colno=err.colno,
            ),
        ) from None
    if not isinstance(payload, dict):
        raise ValidationError("--json", text, Expected("a JSON object of item codes"))
    return payload


def score_payload(code: str, text: str, *, band_set: str | None = None) -> str:
    """The JSON line ``autoserum score CODE --json TEXT`` prints (without the newline)."""
    from autoserum.instruments import score

    inst = instrument(code)
    result = score(inst.code, parse_payload(text), band_set=band_set)
    return json.dumps(result.to_json(), ensure_ascii=False)


_VALUED = ("--json", "--band-set")


def parse_score_line(args: list[str]) -> tuple[str, str, str | None] | None:
    """(instrument, payload, band set) of ``score INSTRUMENT --json PAYLOAD [--band-set B]``
    in any order, each option once; None for anything else (Typer then handles it)."""
    if args[:1] != ["score"]:
        return None
    positional: list[str] = []
    options: dict[str, str] = {}
    rest = args[1:]
    i = 0
    while i < len(rest):
        token = rest[i]
        name, eq, value = token.partition("=")
        if name in _VALUED:
            if not eq:
                if i + 1 >= len(rest):
                    return None
                i += 1
                value = rest[i]
            if name in options or (value.startswith("-") and value != "-"):
                return None
            options[name] = value
        elif token.startswith("-"):
            return None  # --help, --input, --output, "--", a typo: Typer's to answer
        else:
            positional.append(token)
        i += 1
    if len(positional) != 1 or "--json" not in options:
        return None
    return positional[0], options["--json"], options.get("--band-set")


def quick_score(args: list[str]) -> bool:
    """Answer ``score INSTRUMENT --json PAYLOAD`` without Typer; False when ``args`` is not
    that command line. Errors leave as :class:`~autoserum.errors.AutoserumError`."""
    parsed = parse_score_line(args)
    if parsed is None:
        return False
    code, text, band_set = parsed
    sys.stdout.write(score_payload(code, text, band_set=band_set) + "\n")
    sys.stdout.flush()
    return True
