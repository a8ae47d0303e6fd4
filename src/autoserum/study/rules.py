"""Data-integrity rules of a study record, as pure functions (no database, no web).

The store calls them on every write path (web form, JSON API, CLI import, Python), so a value
no trial may hold is refused the same way everywhere: a
:class:`~autoserum.errors.ValidationError` naming the field, the value and what was expected
(HTTP 422, CLI exit 2), and nothing is written.

- **Dates**: none after today (``today`` comes from an injectable clock, never read here), none
  before the date they must follow (screening, study start); a start on or before its end.
- **Amounts**: an injection volume > 0 and within the protocol's maximum for the product; lab
  values within the analyte's plausibility limits (:mod:`autoserum.study.labs`).
- **Text**: trimmed and bounded (:data:`TERM_MAX` for terms and names, :data:`NOTE_MAX` for
  notes and reasons).
- **Subject identifiers**: :data:`SUBJECT_ID_PATTERN`, so every identifier is addressable in a
  URL and never starts a spreadsheet formula.
- **Eligibility**: randomisation is refused while a rule fails *or is unknown*, unless an
  investigator overrides with a reason.
- **Instrument forms**: an assessment the instrument's missing-data rule cannot score is
  refused with the missing items named.

>>> check_subject_id("subject_id", "A-013")
'A-013'
>>> check_subject_id("subject_id", "A/013")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: subject_id: got 'A/013'; expected 1-32 letters, digits, ...
>>> bounded_text("term", "  headache ", limit=TERM_MAX)
'headache'
>>> check_not_future("visit_date", date(2030, 1, 2), today=date(2030, 1, 1))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: visit_date: got '2030-01-02'; expected a date on or before ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from autoserum.errors import Expected, Message, ValidationError
from autoserum.instruments import Score, get_instrument, instrument_codes
from autoserum.study.coerce import A_NON_EMPTY_TEXT, A_TEXT

__all__ = [
    "AGE_MAX",
    "NOTE_MAX",
    "SHORT_MAX",
    "SUBJECT_ID_PATTERN",
    "SUBJECT_ID_RULE",
    "TERM_MAX",
    "Clock",
    "bounded_text",
    "check_age",
    "check_facts",
    "check_not_before",
    "check_not_future",
    "check_order",
    "check_randomisable",
    "check_scorable",
    "check_subject_id",
    "check_volume",
    "missing_items",
    "utc_today",
]

#: A subject identifier: 1–32 characters, letters, digits, ``.``, ``_``, ``-``, starting with a
#: letter or digit (so never ``=``, ``+``, ``-`` or ``@``, which spreadsheets read as formulas).
SUBJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
SUBJECT_ID_RULE = "1-32 letters, digits, '.', '_' or '-', starting with a letter or digit"
_SUBJECT_ID = re.compile(SUBJECT_ID_PATTERN)

#: Longest term or name (adverse-event term, medication name and indication): the width of its
#: column (migration 0010).
TERM_MAX = 500
#: Longest short code-like text (dose, lot, injection site, given by).
SHORT_MAX = 100
#: Longest note or reason (deviation description, withdrawal or override reason).
NOTE_MAX = 2000
#: Oldest plausible age in years (the tidy format's range of ``age``).
AGE_MAX = 130

#: Today's date; the store takes one (tests pass a fixed date, never the wall clock).
Clock = Callable[[], date]


def utc_today() -> date:
    """Today's date in UTC: the store's default clock."""
    return datetime.now(UTC).date()


def check_subject_id(field: str, value: Any) -> str:
    """``value`` if it is a valid subject identifier (:data:`SUBJECT_ID_PATTERN`)."""
    if not isinstance(value, str) or _SUBJECT_ID.fullmatch(value) is None:
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…"
        raise ValidationError(field, shown, Expected(SUBJECT_ID_RULE))
    return value


def bounded_text(field: str, value: Any, *, limit: int, required: bool = True) -> str | None:
    """``value`` trimmed; empty is refused when ``required`` (else ``None``); at most ``limit``
    characters."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, value, A_TEXT)
    text = value.strip()
    if not text:
        if required:
            raise ValidationError(field, value, A_NON_EMPTY_TEXT)
        return None
    if len(text) > limit:
        raise ValidationError(
            field,
            f"{text[:40]}… ({len(text)} characters)",
            Expected("at most %(limit)s characters", limit=limit),
        )
    return text


def check_not_future(field: str, value: date, *, today: date) -> date:
    """``value`` unless it is after ``today``."""
    if value > today:
        raise ValidationError(
            field, value.isoformat(), Expected("a date on or before today (%(today)s)", today=today)
        )
    return value


def check_not_before(
    field: str, value: date, earliest: date | None, *, what: str | Message
) -> date:
    """``value`` unless it is before ``earliest`` (``what`` names that date in the message)."""
    if earliest is not None and value < earliest:
        raise ValidationError(
            field,
            value.isoformat(),
            Expected(
                "a date on or after %(what)s (%(earliest)s)",
                what=what,
                earliest=earliest.isoformat(),
            ),
        )
    return value


def check_order(
    start_field: str, start: date | None, end_field: str, end: date | None
) -> tuple[date | None, date | None]:
    """``(start, end)`` unless ``end`` is before ``start``."""
    if start is not None and end is not None and end < start:
        raise ValidationError(
            end_field,
            end.isoformat(),
            Expected("a date on or after %(start_field)s", start_field=start_field),
        )
    return start, end


def check_age(
    field: str, age: Decimal, *, born: date | None = None, on: date | None = None
) -> Decimal:
    """An age in years in [0, :data:`AGE_MAX`], agreeing with the date of birth when given.

    >>> check_age("age", Decimal(31), born=date(1990, 6, 1), on=date(2021, 1, 1))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: age: got '31'; expected 30 years as on 2021-01-01 ...
    """
    if not Decimal(0) <= age <= AGE_MAX:
        raise ValidationError(
            field, str(age), Expected("an age from 0 to %(age_max)s years", age_max=AGE_MAX)
        )
    if born is not None and on is not None:
        if born > on:
            raise ValidationError(
                "date_of_birth", born.isoformat(), Expected("a date before %(on)s", on=on)
            )
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if int(age) != years:
            raise ValidationError(
                field,
                str(age),
                Expected(
                    "%(years)s years as on %(on)s for a birth date of %(born)s",
                    years=years,
                    on=on,
                    born=born,
                ),
            )
    return age


def _fact_range(name: str) -> tuple[Decimal, Decimal, str] | None:
    """The plausible range of a screening fact by its name, or ``None`` (not a number)."""
    if name == "age":
        return Decimal(0), Decimal(AGE_MAX), "years"
    if name in instrument_codes():
        inst = get_instrument(name)
        low, high = inst.minimum, inst.maximum
        return (
            Decimal(low.numerator) / low.denominator,
            Decimal(high.numerator) / high.denominator,
            f"the {inst.name.split(' (')[-1].rstrip(')')} range",
        )
    if name.endswith(("_percent", "_pct")):
        return Decimal(0), Decimal(100), "%"
    if name.startswith(("days_", "weeks_", "months_", "years_")):
        return Decimal(0), Decimal(36500), name.split("_", 1)[0]
    return None


def check_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Screening facts within their plausible range: ``age`` 0-130 years, an instrument total
    (``scorad``, ``easi``, ...) within the instrument's range, ``*_percent`` 0-100, ``days_*``
    ≥ 0. Facts of other names pass as given; ``None`` is unknown.

    >>> check_facts({"scorad": 500})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: facts.scorad: got 500; expected a number from 0 to 103 ...
    """
    out = dict(facts)
    for name, value in facts.items():
        bounds = _fact_range(str(name))
        if value is None or bounds is None:
            continue
        low, high, unit = bounds
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValidationError(
                f"facts.{name}",
                value,
                Expected(
                    "a number from %(low)s to %(high)s (%(unit)s)", low=low, high=high, unit=unit
                ),
            )
        number = Decimal(str(value))
        if not number.is_finite() or not low <= number <= high:
            raise ValidationError(
                f"facts.{name}",
                value,
                Expected(
                    "a number from %(low)s to %(high)s (%(unit)s)", low=low, high=high, unit=unit
                ),
            )
    return out


def check_volume(
    field: str, volume: Decimal, *, maximum: Decimal | None, product: str, blinded: bool = False
) -> Decimal:
    """An injection volume in mL: > 0 and at most the protocol's ``maximum`` for ``product``.

    A ``blinded`` actor is told the maximum without the product it is of (the arm's).

    >>> check_volume("volume_ml", Decimal("-5"), maximum=Decimal(10), product="serum")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: volume_ml: got '-5'; expected a volume > 0 mL ...
    """
    if volume <= 0 or (maximum is not None and volume > maximum):
        expected = (
            Expected("a volume > 0 mL")
            if maximum is None
            else Expected(
                "a volume > 0 mL and at most %(maximum)s mL (the protocol's maximum)",
                maximum=maximum,
            )
            if blinded
            else Expected(
                "a volume > 0 mL and at most %(maximum)s mL of %(product)s "
                "(the protocol's maximum)",
                maximum=maximum,
                product=product,
            )
        )
        raise ValidationError(field, str(volume), expected)
    return volume


def check_randomisable(
    subject_id: str,
    *,
    failed: Sequence[str],
    unknown: Sequence[str],
    override_reason: str | None,
) -> str | None:
    """Whether a subject may be randomised: no eligibility rule failing or unknown, unless
    overridden with a reason (returned trimmed, for the audit trail and the report).

    >>> check_randomisable("S1", failed=[], unknown=["atopic_dermatitis"], override_reason=None)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: eligibility: got 'S1: unknown atopic_dermatitis'; ...
    """
    if not failed and not unknown:
        return None
    reason = bounded_text("override_reason", override_reason, limit=NOTE_MAX, required=False)
    if reason is None:
        parts = [f"failed {', '.join(failed)}"] if failed else []
        parts += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise ValidationError(
            "eligibility",
            f"{subject_id}: {'; '.join(parts)}",
            Expected(
                "every eligibility rule met and known, or an investigator's override with a reason"
            ),
        )
    return reason


def missing_items(instrument: str, payload: Mapping[str, Any]) -> list[str]:
    """The item paths of ``instrument`` that ``payload`` leaves empty, in form order."""
    inst = get_instrument(instrument)
    given = inst.walk(payload)

    def empty(path: str) -> bool:
        return given.get(path) in (None, "")

    out = []
    for item in inst.items:
        if not empty(item.path) or item.alternative_to is not None:
            continue  # an alternative (EASI area_percent) is named through the item it replaces
        if item.condition is not None and given.get(item.condition[0]) != item.condition[1]:
            continue  # asked only under a condition that does not hold (DLQI q7b)
        out.append(item.path)
    return out


def check_scorable(instrument: str, payload: Mapping[str, Any], result: Score) -> Score:
    """``result`` unless the instrument's missing-data rule left it unscored; then the refusal
    names the missing items (record the assessment as *not done* with a reason instead).

    >>> from autoserum.instruments import score
    >>> check_scorable("poem", {}, score("poem", {}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: itch: got None; expected POEM items ... not done with a reason
    """
    if result.total is not None:
        return result
    inst = get_instrument(instrument)
    missing = missing_items(instrument, payload)
    shown = _listing(missing)
    field = missing[0] if missing else instrument
    raise ValidationError(
        field,
        None,
        Expected(
            "%(name)s items the missing-data rule can score "
            "(%(missing_rule)s; here: %(reason)s) (missing: %(shown)s); "
            "or record the assessment as not done with a reason",
            name=inst.name.split(" (")[-1].rstrip(")"),
            missing_rule=inst.missing_rule,
            reason=result.reason,
            shown=shown,
        ),
    )


def _listing(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    head = ", ".join(names[:limit])
    return head + (f", … ({len(names) - limit} more)" if len(names) > limit else "")
