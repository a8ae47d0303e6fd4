"""Checks of the tidy long format for import (pure): every row is parsed and checked, chunk by
chunk, before anything is written (the store's importer reads the file twice: once to check it
whole, once to write it). One bad row rejects the file, naming its line and column.

Lines are numbered as in the CSV file: the header is line 1, the first data row line 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from autoserum.errors import AutoserumError, ValidationError
from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol
from autoserum.store._edit import score_payload
from autoserum.store._safety import CRITERIA_FIELDS, derived_safety
from autoserum.study.coerce import as_date, as_decimal
from autoserum.study.entities import EntitySpec, Field, entity
from autoserum.study.labs import ANALYTES
from autoserum.study.rules import check_not_before, check_not_future
from autoserum.study.safety import check_seriousness
from autoserum.study.tidy import (
    AE_COLUMNS,
    CONMED_COLUMNS,
    DERIVED_TOTALS,
    SUBJECT_COLUMNS,
    TOTAL_COLUMNS,
    as_text_frame,
    item_columns,
    validate_adverse_events,
    validate_con_meds,
    validate_visits,
    visit_columns,
)

__all__ = [
    "ParsedAE",
    "ParsedSubject",
    "ParsedVisit",
    "VisitChecker",
    "parse_adverse_events",
    "parse_con_meds",
    "parse_visits",
]

ADVERSE_EVENT = entity("adverse_event")
CON_MED = entity("con_med")
SUBJECT = entity("subject")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_WHERE = re.compile(r"^line (\d+)(?:, column (.+))?$")


@dataclass
class ParsedVisit:
    """One visit row, checked: assessments (instrument → (payload, total text, band)) and labs."""

    line: int
    subject_id: str
    week: Decimal
    visit: str | None
    visit_date: date | None
    assessments: dict[str, tuple[dict[str, Any] | None, str | None, str | None]]
    labs: dict[str, Decimal]


@dataclass
class ParsedSubject:
    """A subject of the file: subject-level columns and what the cross-row rules need (its
    weeks and visit codes seen, its dated visits as (line, visit code, date)), not its rows."""

    subject_id: str
    arm: str | None
    site: str
    covariates: dict[str, Any] = field(default_factory=dict)
    line: int = 2
    weeks: dict[Decimal, int] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    dated: list[tuple[int, str | None, date]] = field(default_factory=list)


@dataclass
class ParsedAE:
    """One adverse-event or concomitant-medication row, checked (``fields``: the record's)."""

    line: int
    subject_id: str
    fields: dict[str, Any]


def _cells(frame: pl.DataFrame) -> list[dict[str, str | None]]:
    """Every cell as text (numbers by their shortest repr), empty text as missing."""
    rows: list[dict[str, str | None]] = []
    for raw in frame.iter_rows(named=True):
        row: dict[str, str | None] = {}
        for key, value in raw.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                row[key] = None
            elif isinstance(value, bool):
                row[key] = "true" if value else "false"
            elif isinstance(value, float) and value.is_integer():
                row[key] = str(int(value))
            else:
                row[key] = value.isoformat() if isinstance(value, date) else str(value).strip()
        rows.append(row)
    return rows


def _at(line: int, column: str, conv: Any, value: Any, *args: Any) -> Any:
    """``conv(column, value, *args)`` with errors located at ``line``/``column``."""
    try:
        return conv(column, value, *args)
    except ValidationError as err:
        raise ValidationError(
            err.field, err.value, err.expected, location=f"line {line}, column {column}"
        ) from None


def _convert(column: str, value: Any, field: Field) -> Any:
    return field.convert(value, name=column)


def _located(line: int, column: str, err: AutoserumError) -> ValidationError:
    if isinstance(err, ValidationError):
        return ValidationError(
            err.field, err.value, err.expected, location=f"line {line}, column {column}"
        )
    return ValidationError(column, None, str(err), location=f"line {line}, column {column}")


def _non_negative(column: str, value: Decimal) -> Decimal:
    if value < 0:
        raise ValidationError(column, str(value), "a value ≥ 0")
    return value


def _number_item(column: str, text: str) -> int | float:
    dec = as_decimal(column, text)
    return int(dec) if dec == dec.to_integral_value() else float(text)


def _agrees(given: Decimal, computed: str | None) -> bool:
    """A total in the file agrees with the exact computed one at the file's precision."""
    if computed is None:
        return False
    exact = Fraction(computed)
    exponent = given.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    quantum = Decimal(1).scaleb(-places)
    rounded = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
    return rounded == given


def _assessments(
    line: int, row: dict[str, str | None], age: Decimal | None
) -> dict[str, tuple[dict[str, Any] | None, str | None, str | None]]:
    items = item_columns()
    flat: dict[str, dict[str, Any]] = {}
    for column, (code, col, kind) in items.items():
        text = row.get(column)
        if text is None:
            continue
        value = text if kind == "choice" else _at(line, column, _number_item, text)
        flat.setdefault(code, {})[col] = value
    out: dict[str, tuple[dict[str, Any] | None, str | None, str | None]] = {}
    for code, values in flat.items():
        payload = get_instrument(code).unflatten(values)
        try:
            total, band = score_payload(code, payload, age)
        except AutoserumError as err:
            raise _located(
                line, f"{code}_{str(getattr(err, 'field', '')).replace('.', '_')}", err
            ) from None
        given = row.get(code) if code in TOTAL_COLUMNS else None
        if given is not None:
            dec = _at(line, code, as_decimal, given)
            if not _agrees(dec, total):
                raise ValidationError(
                    code,
                    given,
                    f"the total computed from the item columns ({total})",
                    location=f"line {line}, column {code}",
                )
        out[code] = (payload, total, band)
    for code in TOTAL_COLUMNS:
        text = row.get(code)
        if text is None or code in out:
            continue
        dec = _at(line, code, as_decimal, text)
        inst = get_instrument("scorad" if code in DERIVED_TOTALS else code)
        maximum = 83 if code == "oscorad" else inst.maximum
        if not inst.minimum <= dec <= maximum:
            raise ValidationError(
                code,
                text,
                f"a total in [{inst.minimum}, {maximum}]",
                location=f"line {line}, column {code}",
            )
        out[code] = (None, str(dec), None)
    return out


class VisitChecker:
    """Checks a visit file chunk by chunk (constant memory in rows): each chunk first with the
    format's one validator (:func:`autoserum.study.tidy.validate_visits`, as ``analyze`` reads
    it), then against the protocol (arms, visit codes) and the integrity rules: no visit date
    after ``today``, none before the subject's screening visit in the file.

    What spans chunks is carried in :attr:`subjects` (one :class:`ParsedSubject` per subject,
    with the few facts the cross-row rules need): subject-level columns that must agree, one row
    per subject and week, a visit code once per subject. :meth:`finish` runs the check that
    needs the whole file (dates after the screening visit). Errors name the first bad line and
    column, as ``<source>, line N, column 'X'``.
    """

    def __init__(
        self,
        protocol: Protocol,
        *,
        blinded_ok: bool,
        source: str = "import",
        today: date | None = None,
        started: date | None = None,
    ) -> None:
        self.protocol = protocol
        self.blinded_ok = blinded_ok
        self.source = source
        self.today = today
        self.started = started
        self.subjects: dict[str, ParsedSubject] = {}
        self.rows = 0
        self._arms = {a.code for a in protocol.arms}
        self._header_checked = False

    def feed(self, frame: pl.DataFrame, *, first_line: int = 2) -> list[ParsedVisit]:
        """Check one chunk whose first row is file line ``first_line``; its visits, parsed."""
        validate_visits(as_text_frame(frame), self.source, first_line=first_line)
        with _located_in(self.source):
            if not self._header_checked:
                _check_header(frame.columns, blinded_ok=self.blinded_ok)
                self._header_checked = True
            visits = [self._row(first_line + index, row) for index, row in enumerate(_cells(frame))]
        self.rows += frame.height
        return visits

    def finish(self) -> dict[str, ParsedSubject]:
        """Run the whole-file checks; the subjects of the file by id, in order of appearance."""
        with _located_in(self.source):
            _check_after_screening(self.protocol, self.subjects.values())
        return self.subjects

    def _row(self, line: int, row: dict[str, str | None]) -> ParsedVisit:
        sid = row.get("subject_id")
        if sid is None:
            raise ValidationError(
                "subject_id",
                None,
                "a subject identifier",
                location=f"line {line}, column subject_id",
            )
        arm = row.get("arm")
        if arm is not None and arm not in self._arms:
            raise ValidationError(
                "arm",
                arm,
                f"one of {', '.join(sorted(self._arms))}",
                location=f"line {line}, column arm",
            )
        site = row.get("site") or "main"
        week_text = row.get("week")
        if week_text is None:
            raise ValidationError(
                "week", None, "a number of weeks", location=f"line {line}, column week"
            )
        week = _at(line, "week", as_decimal, week_text)
        subject = self.subjects.get(sid)
        if subject is None:
            subject = self.subjects[sid] = ParsedSubject(sid, arm, site, line=line)
        for column, value in (("arm", arm), ("site", site)):
            if getattr(subject, column) != value:
                raise ValidationError(
                    column,
                    value,
                    f"{getattr(subject, column)!r} as on the subject's first row",
                    location=f"line {line}, column {column}",
                )
        covariates = _covariates(line, row)
        for column in SUBJECT_COLUMNS:
            value = covariates[column]
            if value is None:
                continue
            before = subject.covariates.setdefault(column, value)
            if before != value:
                raise ValidationError(
                    column,
                    row[column],
                    f"{before} as on the subject's other rows (subject-level)",
                    location=f"line {line}, column {column}",
                )
        if week in subject.weeks:
            raise ValidationError(
                "week",
                week_text,
                f"one row per subject and week (line {subject.weeks[week]} has week {week})",
                location=f"line {line}, column week",
            )
        subject.weeks[week] = line
        visit = row.get("visit")
        if visit is not None and not _CODE.match(visit):
            raise ValidationError(
                "visit", visit, "a visit code like week_4", location=f"line {line}, column visit"
            )
        if visit is not None and visit in subject.codes:
            raise ValidationError(
                "visit",
                visit,
                "a visit code used once per subject",
                location=f"line {line}, column visit",
            )
        if visit is not None:
            subject.codes.add(visit)
        when = (
            None
            if row.get("visit_date") is None
            else _at(line, "visit_date", as_date, row["visit_date"])
        )
        labs = {c: _at(line, c, as_decimal, row[c]) for c in ANALYTES if row.get(c) is not None}
        for code, value in labs.items():
            _at(line, code, _non_negative, value)
        if when is not None:
            if self.today is not None:
                today = self.today
                _at(line, "visit_date", lambda f, v: check_not_future(f, v, today=today), when)
            if self.started is not None and when < self.started:
                started = self.started
                _at(
                    line,
                    "visit_date",
                    lambda f, d: check_not_before(f, d, started, what="the study start"),
                    when,
                )
            subject.dated.append((line, visit, when))
        age = covariates["age"] if covariates["age"] is not None else subject.covariates.get("age")
        return ParsedVisit(line, sid, week, visit, when, _assessments(line, row, age), labs)


def _check_header(columns: Iterable[str], *, blinded_ok: bool) -> None:
    known = set(visit_columns())
    present = list(columns)
    for column in present:
        if column not in known:
            raise ValidationError(
                column,
                column,
                "a column of docs/data-format.md",
                location="line 1, column " + column,
            )
    required = ["subject_id", "week"] + ([] if blinded_ok else ["arm"])
    for column in required:
        if column not in present:
            raise ValidationError(column, None, "a column named " + column, location="line 1")


def _covariates(line: int, row: dict[str, str | None]) -> dict[str, Any]:
    """The subject-level covariates of a row, converted as the registry declares them."""
    return {
        f.name: _at(line, f.name, _convert, row.get(f.name), f)
        for f in SUBJECT.exported
        if f.name in SUBJECT_COLUMNS
    }


def parse_visits(
    frame: pl.DataFrame,
    protocol: Protocol,
    *,
    blinded_ok: bool,
    source: str = "import",
    today: date | None = None,
    started: date | None = None,
) -> tuple[list[ParsedSubject], list[ParsedVisit]]:
    """Check a whole visit frame (one chunk of :class:`VisitChecker`): its subjects and
    visits, or :class:`ValidationError` naming the first bad line and column (no visit date
    after ``today`` or before the study start ``started``)."""
    checker = VisitChecker(
        protocol, blinded_ok=blinded_ok, source=source, today=today, started=started
    )
    visits = checker.feed(frame)
    return list(checker.finish().values()), visits


@contextmanager
def _located_in(source: str) -> Iterator[None]:
    """Errors located ``line N, column X`` by the checks below, as the format's validator
    locates them: ``<source>, line N, column 'X'``."""
    try:
        yield
    except ValidationError as err:
        match = _WHERE.match(err.location or "")
        if match is None:
            raise
        column = f", column {match.group(2)!r}" if match.group(2) else ""
        where = f"{source}, line {match.group(1)}{column}"
        raise ValidationError(err.field, err.value, err.expected, location=where) from None


def _check_after_screening(protocol: Protocol, subjects: Iterable[ParsedSubject]) -> None:
    """No dated visit of a subject before their screening visit (when the file has one)."""
    plan = next((v for v in protocol.visits if v.phase == "screening"), None)
    if plan is None:
        return
    for subject in subjects:
        screened = next((when for _, code, when in subject.dated if code == plan.code), None)
        if screened is None:
            continue
        for line, _, when in subject.dated:
            if when < screened:
                _at(
                    line,
                    "visit_date",
                    lambda f, d, s=screened: check_not_before(
                        f, d, s, what="the subject's screening"
                    ),
                    when,
                )


def parse_adverse_events(
    frame: pl.DataFrame,
    subjects: dict[str, str | None],
    protocol: Protocol,
    *,
    source: str = "import",
) -> list[ParsedAE]:
    """Check the adverse-event file (first with the format's one validator); ``subjects`` maps
    subject_id → arm of the visit file. ``expected`` and ``aesi`` follow from ``protocol``'s
    reference safety information (``store/_safety.derived_safety``): a file may leave them out
    and, when it gives them (an export read back), they must agree; a file with seriousness
    criterion columns must agree with its ``serious`` column as an event entered on a form."""
    validate_adverse_events(as_text_frame(frame), f"{source} (adverse events)", first_line=2)
    with _located_in(f"{source} (adverse events)"):
        parsed = _parse_adverse_events(frame, subjects)
        criteria = [c for c in CRITERIA_FIELDS if c in frame.columns]
        return [_derived_ae(ae, protocol, criteria) for ae in parsed]


def _derived_ae(ae: ParsedAE, protocol: Protocol, criteria: list[str]) -> ParsedAE:
    """``ae`` with its derived safety fields, refused (located) when the file's disagree."""
    fields = ae.fields
    if criteria:
        given = tuple(c.removeprefix("sae_") for c in criteria if fields.get(c))
        _at(ae.line, "serious", _seriousness, fields, given)
    derived = derived_safety(protocol, fields)
    for name, value in derived.items():
        stated = fields.get(name)
        if stated is not None and stated != value:
            expected = "empty" if value is None else repr(value)
            raise ValidationError(
                name,
                stated,
                f"{expected}, as the protocol's reference safety information gives for "
                f"{fields['term']!r}",
                location=f"line {ae.line}, column {name}",
            )
    return ParsedAE(ae.line, ae.subject_id, {**fields, **derived})


def _seriousness(column: str, fields: dict[str, Any], criteria: tuple[str, ...]) -> None:
    check_seriousness(serious=bool(fields[column]), criteria=criteria, outcome=fields["outcome"])


def parse_con_meds(
    frame: pl.DataFrame, subjects: dict[str, str | None], *, source: str = "import"
) -> list[ParsedAE]:
    """Check the concomitant-medication file with the format's one validator (which fills the
    class and potency an ATC code implies); ``subjects`` maps subject_id → arm of the visit
    file."""
    where = f"{source} (concomitant medication)"
    _check_columns(frame, CONMED_COLUMNS, "a column of the concomitant-medication file")
    typed = validate_con_meds(as_text_frame(frame), where, first_line=2)
    with _located_in(where):
        return _parse_records(typed, subjects, CON_MED)


def _check_columns(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    known = set(columns)
    for column in frame.columns:
        if column not in known:
            raise ValidationError(column, column, what, location="line 1, column " + column)


def _parse_adverse_events(frame: pl.DataFrame, subjects: dict[str, str | None]) -> list[ParsedAE]:
    _check_columns(frame, AE_COLUMNS, "a column of the adverse-event file")
    return _parse_records(frame, subjects, ADVERSE_EVENT)


def _parse_records(
    frame: pl.DataFrame, subjects: dict[str, str | None], spec: EntitySpec
) -> list[ParsedAE]:
    """The rows of a record file of ``spec`` (the subject, its arm as in the visit file, the
    record's exported fields through the registry's converters)."""
    out: list[ParsedAE] = []
    for index, row in enumerate(_cells(frame)):
        line = index + 2
        sid = row.get("subject_id")
        if sid not in subjects:
            raise ValidationError(
                "subject_id",
                sid,
                "a subject of the visit file",
                location=f"line {line}, column subject_id",
            )
        assert sid is not None
        if row.get("arm") is not None and row["arm"] != subjects[sid]:
            raise ValidationError(
                "arm",
                row["arm"],
                f"{subjects[sid]!r} as in the visit file",
                location=f"line {line}, column arm",
            )
        fields = {
            f.name: _at(line, f.export or f.name, _convert, row.get(f.export or f.name), f)
            for f in spec.exported
        }
        out.append(ParsedAE(line, sid, fields))
    return out
