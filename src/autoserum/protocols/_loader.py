"""Reading protocol files (TOML) into :class:`Protocol`, with errors that name the field path.

A bad file raises :class:`autoserum.errors.ValidationError` whose ``field`` is the path of the
offending field, e.g. ``visits[2].window_after``, and whose ``location`` is the file.

>>> load_protocol("ast-nahm2023").arm("serum").dose.describe()
'5 mL'
>>> "abt-pittler2003" in protocol_codes()
True
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic

from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.instruments import get_instrument, instrument_codes
from autoserum.protocols._schema import (
    INSTRUMENT_CODES,
    LAB_CODES,
    Fact,
    InjectionPlan,
    Protocol,
    VisitPlan,
)

__all__ = [
    "load_protocol",
    "parse_protocol_data",
    "parse_protocol_file",
    "parse_protocol_text",
    "protocol_codes",
    "resolve_protocol",
]

_LIBRARY = "autoserum.protocols.library"


def protocol_codes() -> tuple[str, ...]:
    """The codes of the shipped protocol library, sorted."""
    files = resources.files(_LIBRARY).iterdir()
    return tuple(sorted(f.name[: -len(".toml")] for f in files if f.name.endswith(".toml")))


def load_protocol(code: str) -> Protocol:
    """Load a shipped protocol by its code (:class:`NotFoundError` if there is none).

    >>> load_protocol("aigt-nahm2020").design
    'parallel'
    """
    codes = protocol_codes()
    if code not in codes:
        raise NotFoundError(
            Message(
                "no protocol %(code)s in the library; known: %(values)s",
                code=repr(code),
                values=", ".join(codes),
            )
        )
    text = resources.files(_LIBRARY).joinpath(f"{code}.toml").read_text(encoding="utf-8")
    return parse_protocol_text(text, location=f"library/{code}.toml")


def parse_protocol_file(path: str | Path) -> Protocol:
    """Read and validate a user's protocol file (TOML).

    Raises :class:`ValidationError` naming the field path (e.g. ``visits[2].window_after``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(
            "file", str(path), Expected("an existing protocol file (.toml)")
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationError(
            "file", str(path), Expected("a readable UTF-8 TOML file (%(err)s)", err=err)
        ) from None
    return parse_protocol_text(text, location=str(path))


def resolve_protocol(code_or_path: str) -> Protocol:
    """A library code, or else a path to a protocol file (what the CLI accepts)."""
    if code_or_path in protocol_codes():
        return load_protocol(code_or_path)
    path = Path(code_or_path)
    if path.suffix == ".toml" or path.exists():
        return parse_protocol_file(path)
    raise ValidationError(
        "protocol",
        code_or_path,
        Expected(
            "a library code (%(values)s) or a path to a .toml protocol file",
            values=", ".join(protocol_codes()),
        ),
    )


def parse_protocol_text(text: str, *, location: str | None = None) -> Protocol:
    """Validate the TOML text of a protocol: the schema first, then the cross-field rules."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(
            "file", "invalid TOML", Expected("valid TOML (%(err)s)", err=err), location=location
        ) from None
    return parse_protocol_data(data, location=location)


def parse_protocol_data(data: Mapping[str, Any], *, location: str | None = None) -> Protocol:
    """Validate an already-parsed protocol (a mapping as read from TOML or JSON)."""
    try:
        protocol = Protocol.model_validate(data)
    except pydantic.ValidationError as err:
        raise _from_pydantic(err, location) from None
    problem = next(iter(_problems(protocol)), None)
    if problem is not None:
        field, value, expected = problem
        raise ValidationError(field, value, expected, location=location)
    return protocol


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _from_pydantic(err: pydantic.ValidationError, location: str | None) -> ValidationError:
    errors = err.errors(include_url=False)
    first = errors[0]
    loc = _strip(first["loc"])
    value = first.get("input")
    if first["type"] == "missing":
        return ValidationError(
            _path(loc), None, Expected("a value (required field)"), location=location
        )
    if first["type"] == "extra_forbidden":
        return ValidationError(
            _path(loc), value, Expected("no such field (check the spelling)"), location=location
        )
    # A union (e.g. a fact's value: number or text) reports one error per member: join them.
    alternatives: list[str] = []
    for error in errors:
        if _strip(error["loc"]) == loc:
            phrase = _expected(error)
            if phrase not in alternatives:
                alternatives.append(phrase)
    return ValidationError(_path(loc), value, " or ".join(alternatives), location=location)


def _strip(loc: Sequence[int | str]) -> list[int | str]:
    return [p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)]


def _expected(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    integer = isinstance(value, int) and not isinstance(value, bool)
    noun = "an integer" if integer else "a number"
    if kind == "greater_than_equal":
        return f"{noun} ≥ {ctx['ge']}"
    if kind == "greater_than":
        return f"{noun} > {ctx['gt']}"
    if kind == "literal_error":
        return f"one of {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        dash = ", '-'" if "-" in str(ctx.get("pattern", "")) else ""
        return f"a code of lower-case letters, digits, '_'{dash}, starting with a letter"
    if kind in _CONTEXT_PHRASES:  # too few entries, a declared category too long
        return _CONTEXT_PHRASES[kind].format(**ctx)
    fixed = _FIXED_PHRASES.get(kind)
    if fixed is not None:
        return fixed
    return str(error["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")


#: What a pydantic error type expects, with a limit from the error's context.
_CONTEXT_PHRASES = {
    "too_short": "at least {min_length} entries",
    "string_too_long": "a text of at most {max_length} characters",
}

#: What a pydantic error type expects, where the phrase needs nothing from the error's context.
_FIXED_PHRASES = {
    "tuple_type": 'a list, e.g. ["easi", "dlqi"]',
    "list_type": 'a list, e.g. ["easi", "dlqi"]',
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a text",
    "string_too_short": "a non-empty text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}
_UNION_TAGS = {"float", "str", "constrained-str", "bool", "int", "tuple[float, ...]"}


def _fact_problems(fact: Fact, path: str) -> Iterable[tuple[str, Any, Expected]]:
    if fact.source == "unknown" and fact.value is not None:
        yield (
            f"{path}.value",
            fact.value,
            Expected("no value when source is 'unknown' (never invent one)"),
        )
    if fact.source != "unknown" and fact.value is None:
        yield (
            f"{path}.value",
            None,
            Expected(
                "a value when source is %(source)s (or source 'unknown')", source=repr(fact.source)
            ),
        )


def _planned_problems(
    item: VisitPlan | InjectionPlan, path: str, phases: dict[str, tuple[int, int]]
) -> Iterable[tuple[str, Any, Expected]]:
    if item.phase not in phases:
        yield (
            f"{path}.phase",
            item.phase,
            Expected("a phase declared in phases (%(values)s)", values=", ".join(phases)),
        )
    else:
        start, end = phases[item.phase]
        if not start <= item.day <= end:
            yield (
                f"{path}.day",
                item.day,
                Expected(
                    "a day within phase %(phase)s (%(start)s..%(end)s)",
                    phase=item.phase,
                    start=start,
                    end=end,
                ),
            )
    has_window = item.window_before is not None or item.window_after is not None
    if item.window_source == "unknown" and has_window:
        yield f"{path}.window_source", "unknown", Expected("a known source when a window is given")
    if item.day_source == "unknown":
        yield (
            f"{path}.day_source",
            "unknown",
            Expected("a target day that is published or a default"),
        )


def _problems(p: Protocol) -> Iterable[tuple[str, Any, Expected]]:
    yield from _fact_problems(p.population, "population")
    yield from _fact_problems(p.primary_endpoint, "primary_endpoint")
    yield from _arm_problems(p)
    phases: dict[str, tuple[int, int]] = {}
    for i, phase in enumerate(p.phases):
        if phase.code in phases:
            yield f"phases[{i}].code", phase.code, Expected("a phase not declared twice")
        if phase.end_day < phase.start_day:
            yield (
                f"phases[{i}].end_day",
                phase.end_day,
                Expected("a day ≥ start_day (%(start_day)s)", start_day=phase.start_day),
            )
        phases[phase.code] = (phase.start_day, phase.end_day)
    yield from _visit_problems(p, phases)
    yield from _injection_problems(p, phases)
    yield from _rule_problems(p)
    yield from _self_report_problems(p)
    yield from _demographics_problems(p)


def _demographics_problems(p: Protocol) -> Iterable[tuple[str, Any, Expected]]:
    """Each category of ethnicity and race declared once (ignoring case)."""
    for name in ("ethnicity", "race"):
        seen: set[str] = set()
        for i, category in enumerate(getattr(p.demographics, name)):
            if category.casefold() in seen:
                yield (
                    f"demographics.{name}[{i}]",
                    category,
                    Expected("a category not declared twice"),
                )
            seen.add(category.casefold())


def _arm_problems(p: Protocol) -> Iterable[tuple[str, Any, Expected]]:
    arm_codes: set[str] = set()
    for i, arm in enumerate(p.arms):
        if arm.code in arm_codes:
            yield f"arms[{i}].code", arm.code, Expected("a code not used by another arm")
        arm_codes.add(arm.code)
        for name in ("preparation", "dose", "route"):
            yield from _fact_problems(getattr(arm, name), f"arms[{i}].{name}")
        doses = arm.dose.per_injection
        if doses is not None and len(doses) != len(p.injections):
            yield (
                f"arms[{i}].dose.per_injection",
                list(doses),
                Expected("one dose per planned injection (%(count)s)", count=len(p.injections)),
            )
    controls = [a for a in p.arms if a.is_control]
    if p.design == "parallel" and (len(p.arms) < 2 or not controls):
        yield (
            "arms",
            [a.code for a in p.arms],
            Expected("two or more arms, one a control (design parallel)"),
        )
    if p.design != "parallel" and len(p.arms) != 1:
        yield (
            "arms",
            [a.code for a in p.arms],
            Expected("exactly one arm (design %(design)s)", design=p.design),
        )


def _visit_problems(
    p: Protocol, phases: dict[str, tuple[int, int]]
) -> Iterable[tuple[str, Any, Expected]]:
    visit_codes: set[str] = set()
    previous = None
    for i, visit in enumerate(p.visits):
        path = f"visits[{i}]"
        if visit.code in visit_codes:
            yield f"{path}.code", visit.code, Expected("a visit code not used by another visit")
        visit_codes.add(visit.code)
        if previous is not None and visit.day < previous:
            yield (
                f"{path}.day",
                visit.day,
                Expected("a day ≥ the previous visit's day (%(previous)s)", previous=previous),
            )
        previous = visit.day
        yield from _planned_problems(visit, path, phases)
        for j, code in enumerate(visit.instruments):
            if code not in INSTRUMENT_CODES:
                yield (
                    f"{path}.instruments[{j}]",
                    code,
                    Expected("one of %(values)s", values=", ".join(INSTRUMENT_CODES)),
                )
        for j, code in enumerate(visit.labs):
            if code not in LAB_CODES:
                yield (
                    f"{path}.labs[{j}]",
                    code,
                    Expected("one of %(values)s", values=", ".join(LAB_CODES)),
                )


def _injection_problems(
    p: Protocol, phases: dict[str, tuple[int, int]]
) -> Iterable[tuple[str, Any, Expected]]:
    previous = None
    for i, injection in enumerate(p.injections):
        path = f"injections[{i}]"
        if injection.number != i + 1:
            yield (
                f"{path}.number",
                injection.number,
                Expected("%(value)s (injections numbered 1, 2, ...)", value=i + 1),
            )
        if previous is not None and injection.day <= previous:
            yield (
                f"{path}.day",
                injection.day,
                Expected("a day > the previous injection's day (%(previous)s)", previous=previous),
            )
        previous = injection.day
        yield from _planned_problems(injection, path, phases)


def _rule_problems(p: Protocol) -> Iterable[tuple[str, Any, Expected]]:
    rule_codes: set[str] = set()
    for i, rule in enumerate(p.eligibility):
        path = f"eligibility[{i}]"
        if rule.code in rule_codes:
            yield f"{path}.code", rule.code, Expected("a rule code not used by another rule")
        rule_codes.add(rule.code)
        bounded = rule.minimum is not None or rule.maximum is not None or rule.equals is not None
        if rule.source == "unknown" and bounded:
            yield f"{path}.source", "unknown", Expected("a known source when a threshold is given")
        if rule.source != "unknown" and not bounded:
            yield (
                f"{path}.minimum",
                None,
                Expected("minimum, maximum or equals (or source 'unknown')"),
            )
        if rule.minimum is not None and rule.maximum is not None and rule.minimum > rule.maximum:
            yield (
                f"{path}.maximum",
                rule.maximum,
                Expected("a number ≥ minimum (%(minimum)s)", minimum=rule.minimum),
            )


def _self_report_problems(p: Protocol) -> Iterable[tuple[str, Any, Expected]]:
    seen: set[str] = set()
    visits = {v.code for v in p.visits}
    patient = [c for c in instrument_codes() if get_instrument(c).reported_by == "patient"]
    diaries = [c for c in patient if get_instrument(c).diary is not None]
    for i, plan in enumerate(p.self_report.schedules):
        path = f"self_report.schedules[{i}]"
        if plan.instrument not in patient:
            yield (
                f"{path}.instrument",
                plan.instrument,
                Expected("one of %(values)s", values=", ".join(patient)),
            )
            continue
        if plan.instrument in seen:
            yield (
                f"{path}.instrument",
                plan.instrument,
                Expected("an instrument not scheduled twice"),
            )
        seen.add(plan.instrument)
        if plan.frequency == "daily" and plan.instrument not in diaries:
            yield (
                f"{path}.frequency",
                "daily",
                Expected("weekly or visit (daily: %(values)s)", values=", ".join(diaries)),
            )
        if plan.frequency == "visit":
            if not plan.visits:
                yield f"{path}.visits", [], Expected("the codes of the visits it is due at")
            for j, code in enumerate(plan.visits):
                if code not in visits:
                    yield (
                        f"{path}.visits[{j}]",
                        code,
                        Expected("one of %(values)s", values=", ".join(sorted(visits))),
                    )
        elif plan.visits:
            yield (
                f"{path}.visits",
                list(plan.visits),
                Expected("none (frequency %(frequency)s)", frequency=plan.frequency),
            )
        if plan.end_day is not None and plan.end_day < plan.start_day:
            yield (
                f"{path}.end_day",
                plan.end_day,
                Expected("a day ≥ start_day (%(start_day)s)", start_day=plan.start_day),
            )
