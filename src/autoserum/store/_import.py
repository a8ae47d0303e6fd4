"""Checks of the tidy long format for import (pure): every row is parsed and checked, chunk by
chunk, before anything is written (the store's importer reads the file twice: once to check it
whole, once to write it). One bad row rejects the file, naming its line and column.

Lines are numbered as in the CSV file: the header is line 1, the first data row line 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from autoserum.errors import AutoserumError, Expected, Message, ValidationError
from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol
from autoserum.store._edit import score_payload
from autoserum.store._safety import CRITERIA_FIELDS, check_ae_times, derived_safety
from autoserum.study.coerce import as_decimal
from autoserum.study.entities import EntitySpec, Field, entity
from autoserum.study.labs import ANALYTES
from autoserum.study.rules import check_not_before, check_not_future
from autoserum.study.safety import check_seriousness
from autoserum.study.tidy import (
    AE_COLUMNS,
    CONMED_COLUMNS,
    DERIVED_TOTALS,
    LINE,
    SUBJECT_COLUMNS,
    TOTAL_COLUMNS,
    as_text_frame,
    item_columns,
    validate_adverse_events,
    validate_con_meds,
    validate_visits,
    visit_columns,
)
from autoserum.study.vitals import VITAL_SIGNS

__all__ = [
    "CheckedVisits",
    "ParsedAE",
    "ParsedSubject",
    "VisitChecker",
    "parse_adverse_events",
    "parse_con_meds",
]

ADVERSE_EVENT = entity("adverse_event")
CON_MED = entity("con_med")
SUBJECT = entity("subject")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_WHERE = re.compile(r"^line (\d+)(?:, column (.+))?$")


@dataclass
class CheckedVisits:
    """Checked visit rows, by column: row ``i`` is file line ``lines[i]``; its assessments as
    (instrument, payload, total text, band), its labs as (analyte, value) and its vital signs
    (sign → value; empty: none measured)."""

    lines: list[int]
    subject_ids: list[str]
    weeks: list[Decimal]
    codes: list[str | None]
    dates: list[date | None]
    assessments: list[list[tuple[str, dict[str, Any] | None, str | None, str | None]]]
    labs: list[list[tuple[str, Decimal]]]
    vitals: list[dict[str, int | Decimal]]

    def __len__(self) -> int:
        return len(self.lines)

    def piece(self, start: int, stop: int) -> CheckedVisits:
        """Rows ``start`` to ``stop`` (exclusive)."""
        return CheckedVisits(*(getattr(self, f.name)[start:stop] for f in fields(CheckedVisits)))


@dataclass
class ParsedSubject:
    """A subject of the file: its subject-level columns and its first line, not its rows."""

    subject_id: str
    arm: str | None
    site: str
    covariates: dict[str, Any] = field(default_factory=dict)
    line: int = 2


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
            err.field, err.value, err.expectation, location=f"line {line}, column {column}"
        ) from None


def _convert(column: str, value: Any, field: Field) -> Any:
    return field.convert(value, name=column)


def _located(line: int, column: str, err: AutoserumError) -> ValidationError:
    if isinstance(err, ValidationError):
        return ValidationError(
            err.field, err.value, err.expectation, location=f"line {line}, column {column}"
        )
    return ValidationError(
        column, None, err.text or str(err), location=f"line {line}, column {column}"
    )


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
                    Expected("the total computed from the item columns (%(total)s)", total=total),
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
                Expected(
                    "a total in [%(minimum)s, %(maximum)s]", minimum=inst.minimum, maximum=maximum
                ),
                location=f"line {line}, column {code}",
            )
        out[code] = (None, str(dec), None)
    return out


class VisitChecker:
    """Checks a visit file chunk by chunk (constant memory in rows): each chunk first with the
    format's one validator (:func:`autoserum.study.tidy.validate_visits`, as ``analyze`` reads
    it), then, over the validator's typed columns (Polars expressions, no per-row parsing),
    against the protocol (arms, visit codes) and the integrity rules: no visit date after
    ``today``, none before the study start ``started`` nor before the subject's screening visit
    in the file. Only instrument item columns are scored row by row (their payloads).

    What spans chunks is carried in :attr:`subjects` (one :class:`ParsedSubject` per subject,
    with the few facts the cross-row rules need): subject-level columns that must agree, one row
    per subject and week, a visit code once per subject. :meth:`finish` runs the check that
    needs the whole file (dates after the screening visit). Errors name the first bad line and
    column of the chunk, as ``<source>, line N, column 'X'``.
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
        self._arms = sorted(a.code for a in protocol.arms)
        self._header_checked = False
        self._keys: dict[str, pl.DataFrame] = {}
        self._dated: list[pl.DataFrame] = []

    def feed(self, frame: pl.DataFrame, *, first_line: int = 2) -> None:
        """Check one chunk whose first row is file line ``first_line``."""
        text = _blank_as_missing(as_text_frame(frame))
        with _located_in(self.source):
            if not self._header_checked:
                _check_header(frame.columns, blinded_ok=self.blinded_ok)
                self._header_checked = True
        typed = validate_visits(text, self.source, first_line=first_line, lines=True)
        text = text.with_row_index(LINE, offset=first_line)
        with _located_in(self.source):
            first = _Earliest()
            self._row_rules(typed, first)
            self._subject_rules(typed, text, first)
            first.raise_it()
        self.rows += frame.height

    def rows_of(self, frame: pl.DataFrame, *, first_line: int = 2) -> CheckedVisits:
        """The rows of a chunk that :meth:`feed` checked, as the writer inserts them."""
        text = _blank_as_missing(as_text_frame(frame)).with_row_index(LINE, offset=first_line)
        dates = (
            text["visit_date"].str.strip_chars().str.to_date("%Y-%m-%d").to_list()
            if "visit_date" in text.columns
            else [None] * text.height
        )
        with _located_in(self.source):
            return CheckedVisits(
                lines=text[LINE].to_list(),
                subject_ids=text["subject_id"].to_list(),
                weeks=[Decimal(w) for w in text["week"].str.strip_chars().to_list()],
                codes=_column(text, "visit"),
                dates=dates,
                assessments=self._assessments(text),
                labs=_labs(text),
                vitals=_vitals(text),
            )

    def finish(self) -> dict[str, ParsedSubject]:
        """Run the whole-file checks; the subjects of the file by id, in order of appearance."""
        with _located_in(self.source):
            _check_after_screening(self.protocol, self._dated)
        return self.subjects

    def _row_rules(self, typed: pl.DataFrame, first: _Earliest) -> None:
        """The rules of one row, over the whole chunk: the arm is the protocol's, a visit code
        looks like one and is used once per subject, the date is neither in the future nor
        before the study start, lab values are not negative."""
        columns = set(typed.columns)
        if "arm" in columns:
            bad = pl.col("arm").is_not_null() & ~pl.col("arm").is_in(self._arms)
            first.check(
                typed, bad, "arm", Expected("one of %(values)s", values=", ".join(self._arms))
            )
        if "visit" in columns:
            code = pl.col("visit")
            first.check(
                typed,
                code.is_not_null() & ~code.str.contains(_CODE.pattern),
                "visit",
                Expected("a visit code like week_4"),
            )
            again = pl.col(LINE) > pl.col(LINE).min().over("subject_id", "visit")
            first.check(
                typed,
                code.is_not_null() & again,
                "visit",
                Expected("a visit code used once per subject"),
            )
        if "visit_date" in columns:
            when = pl.col("visit_date")
            if self.today is not None:
                today = self.today
                first.check_rule(
                    typed,
                    when > today,
                    "visit_date",
                    lambda v: check_not_future("visit_date", v, today=today),
                )
            if self.started is not None:
                started = self.started
                first.check_rule(
                    typed,
                    when < started,
                    "visit_date",
                    lambda v: check_not_before(
                        "visit_date", v, started, what=Message("the study start")
                    ),
                )
        for analyte in ANALYTES:
            if analyte in columns:
                first.check(typed, pl.col(analyte) < 0, analyte, Expected("a value ≥ 0"))

    def _subject_rules(self, typed: pl.DataFrame, text: pl.DataFrame, first: _Earliest) -> None:
        """What the rows of a subject must share across chunks (its arm, site and covariates),
        one row per week and a visit code once per subject (joined with the keys of the
        chunks before), and its dated visits for :meth:`finish`."""
        covariates = [c for c in SUBJECT_COLUMNS if c in text.columns]
        groups = text.group_by("subject_id", maintain_order=True).agg(
            pl.col(LINE).first().alias("_line"),
            *(
                pl.col(c).drop_nulls().first().alias(f"_{c}")
                for c in ("arm", "site", *covariates)
                if c in text.columns
            ),
            *(
                pl.col(LINE).filter(pl.col(c).is_not_null()).first().alias(f"_line_{c}")
                for c in covariates
            ),
        )
        for group in groups.iter_rows(named=True):
            self._subject(group, covariates, first)
        weeks = typed.select(LINE, "subject_id", "week")
        self._seen_before(weeks, "week", first, text)
        if "visit" in typed.columns:
            codes = typed.select(LINE, "subject_id", pl.col("visit").str.strip_chars()).filter(
                pl.col("visit").is_not_null()
            )
            self._seen_before(codes, "visit", first, text)
        if "visit_date" in typed.columns:
            dated = typed.select(
                LINE,
                "subject_id",
                pl.col("visit").str.strip_chars()
                if "visit" in typed.columns
                else pl.lit(None, pl.String).alias("visit"),
                "visit_date",
            ).filter(pl.col("visit_date").is_not_null())
            self._dated.append(dated)

    def _seen_before(
        self, keys: pl.DataFrame, column: str, first: _Earliest, text: pl.DataFrame
    ) -> None:
        """``keys`` (line, subject, ``column``) of this chunk against those of the chunks
        before: a subject's week or visit code once in the file."""
        before = self._keys.get(column)
        if before is not None:
            again = keys.join(
                before.rename({LINE: "_seen"}), on=["subject_id", column], how="inner"
            ).sort(LINE)
            if again.height:
                line, seen = int(again[LINE][0]), int(again["_seen"][0])
                raw = text.filter(pl.col(LINE) == line)[column][0]
                if column == "week":
                    week = Decimal(str(raw).strip())
                    expected = Expected(
                        "one row per subject and week (line %(seen)s has week %(week)s)",
                        seen=seen,
                        week=week,
                    )
                else:
                    expected = Expected("a visit code used once per subject")
                first.add(line, column, raw, expected)
        self._keys[column] = keys if before is None else pl.concat([before, keys], rechunk=False)

    def _subject(
        self, group: dict[str, Any], covariates: list[str], first: _Earliest
    ) -> ParsedSubject:
        sid, line = group["subject_id"], group["_line"]
        arm, site = group.get("_arm"), group.get("_site") or "main"
        subject = self.subjects.get(sid)
        if subject is None:
            subject = self.subjects[sid] = ParsedSubject(sid, arm, site, line=line)
        else:
            for column, value in (("arm", arm), ("site", site)):
                if getattr(subject, column) != value:
                    first.add(
                        line,
                        column,
                        value,
                        Expected(
                            "%(before)s as on the subject's first row",
                            before=repr(getattr(subject, column)),
                        ),
                    )
        for column in covariates:
            raw = group[f"_{column}"]
            if raw is None:
                continue
            at = group[f"_line_{column}"]
            try:
                value = SUBJECT.field(column).convert(raw, name=column)
            except ValidationError as err:
                first.add(at, column, err.value, err.expectation)
                continue
            before = subject.covariates.setdefault(column, value)
            if before != value:
                first.add(
                    at,
                    column,
                    raw,
                    Expected(
                        "%(before)s as on the subject's other rows (subject-level)", before=before
                    ),
                )
        return subject

    def _assessments(
        self, text: pl.DataFrame
    ) -> list[list[tuple[str, dict[str, Any] | None, str | None, str | None]]]:
        """Each row's assessments: totals as given (the validator checked their ranges);
        instruments given by their items are scored row by row (their payloads)."""
        out: list[list[tuple[str, dict[str, Any] | None, str | None, str | None]]] = [
            [] for _ in range(text.height)
        ]
        items = [c for c in item_columns() if c in text.columns]
        if items:
            wanted = [c for c in (LINE, *items, *TOTAL_COLUMNS, "age") if c in text.columns]
            for index, row in enumerate(_cells(text.select(wanted))):
                sid = text["subject_id"][index]
                age = self.subjects[sid].covariates.get("age")
                line = int(row[LINE] or 0)
                out[index] = [
                    (code, payload, total, band)
                    for code, (payload, total, band) in _assessments(line, row, age).items()
                ]
            return out
        for code in TOTAL_COLUMNS:
            if code not in text.columns:
                continue
            for index, value in enumerate(_decimal_text(text[code])):
                if value is not None:
                    out[index].append((code, None, value, None))
        return out


class _Earliest:
    """The first problem of a chunk in file order: every rule reports its first bad row, the
    chunk is refused naming the earliest (``line N, column X``)."""

    def __init__(self) -> None:
        self.line: int | None = None
        self.error: ValidationError | None = None

    def add(self, line: int, column: str, value: Any, expected: str | Message) -> None:
        """A problem at ``line``/``column``, kept if it is the earliest so far."""
        if self.line is None or line < self.line:
            self.line = line
            self.error = ValidationError(
                column, value, expected, location=f"line {line}, column {column}"
            )

    def _first(self, frame: pl.DataFrame, bad: pl.Expr, column: str) -> tuple[int, Any] | None:
        found = frame.filter(bad.fill_null(False)).select(LINE, column).head(1)
        return None if found.height == 0 else (int(found.item(0, 0)), found.item(0, 1))

    def check(
        self, frame: pl.DataFrame, bad: pl.Expr, column: str, expected: str | Expected
    ) -> None:
        """The first row of ``frame`` where ``bad`` holds."""
        found = self._first(frame, bad, column)
        if found is not None:
            self.add(found[0], column, found[1], expected)

    def check_rule(
        self, frame: pl.DataFrame, bad: pl.Expr, column: str, rule: Callable[[Any], Any]
    ) -> None:
        """The first row where ``bad`` holds, worded by the core ``rule`` that refuses it."""
        found = self._first(frame, bad, column)
        if found is None:
            return
        try:
            rule(found[1])
        except ValidationError as err:
            self.add(found[0], column, err.value, err.expectation)

    def raise_it(self) -> None:
        """Raise the earliest problem, if any."""
        if self.error is not None:
            raise self.error


def _blank_as_missing(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells holding only blanks as missing (as an empty CSV cell)."""
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
        if frame.schema[c] == pl.String
    )


def _column(frame: pl.DataFrame, name: str) -> list[Any]:
    """A column as a list (text stripped), or missing on every row when absent."""
    if name not in frame.columns:
        return [None] * frame.height
    series = frame[name]
    return (series.str.strip_chars() if series.dtype == pl.String else series).to_list()


_PLAIN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"


def _decimal_text(column: pl.Series) -> list[str | None]:
    """Numbers given as text, as their exact decimals print (``str(Decimal(text))``): plain
    decimals are kept as they are (the same text), others are converted one by one."""
    text = column.str.strip_chars()
    if bool(text.str.contains(_PLAIN).fill_null(True).all()):
        return text.to_list()
    return [None if v is None else str(Decimal(v)) for v in text.to_list()]


def _labs(text: pl.DataFrame) -> list[list[tuple[str, Decimal]]]:
    """Each row's lab values (the validator checked them numbers in their ranges)."""
    out: list[list[tuple[str, Decimal]]] = [[] for _ in range(text.height)]
    for analyte in ANALYTES:
        if analyte in text.columns:
            for index, value in enumerate(text[analyte].to_list()):
                if value is not None:
                    out[index].append((analyte, Decimal(value.strip())))
    return out


def _vitals(text: pl.DataFrame) -> list[dict[str, int | Decimal]]:
    """Each row's vital signs (the validator checked them numbers within their limits and the
    diastolic pressure below the systolic): whole signs as integers, others as decimals."""
    out: list[dict[str, int | Decimal]] = [{} for _ in range(text.height)]
    for name, sign in VITAL_SIGNS.items():
        if name in text.columns:
            for index, value in enumerate(text[name].to_list()):
                if value is not None:
                    exact = Decimal(value.strip())
                    out[index][name] = int(exact) if sign.whole else exact
    return out


def _check_header(columns: Iterable[str], *, blinded_ok: bool) -> None:
    known = set(visit_columns())
    present = list(columns)
    for column in present:
        if column not in known:
            raise ValidationError(
                column,
                column,
                Expected("a column of docs/data-format.md"),
                location="line 1, column " + column,
            )
    required = ["subject_id", "week"] + ([] if blinded_ok else ["arm"])
    for column in required:
        if column not in present:
            raise ValidationError(
                column,
                None,
                Expected("a column named %(column)s", column=column),
                location="line 1",
            )


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
        raise ValidationError(err.field, err.value, err.expectation, location=where) from None


def _check_after_screening(protocol: Protocol, dated: list[pl.DataFrame]) -> None:
    """No dated visit of a subject before their screening visit (when the file has one):
    ``dated`` holds the file's dated rows (line, subject, visit code, date)."""
    plan = next((v for v in protocol.visits if v.phase == "screening"), None)
    if plan is None or not dated:
        return
    rows = pl.concat(dated, rechunk=False)
    screened = (
        rows.filter(pl.col("visit") == plan.code)
        .group_by("subject_id")
        .agg(pl.col("visit_date").sort_by(LINE).first().alias("_screened"))
    )
    early = (
        rows.join(screened, on="subject_id", how="inner")
        .filter(pl.col("visit_date") < pl.col("_screened"))
        .sort(LINE)
    )
    if early.height:
        line, when, screen = early.select(LINE, "visit_date", "_screened").row(0)
        _at(
            line,
            "visit_date",
            lambda f, d: check_not_before(f, d, screen, what=Message("the subject's screening")),
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
    try:
        check_ae_times(fields)
    except ValidationError as err:
        raise _located(ae.line, err.field, err) from err
    derived = derived_safety(protocol, fields)
    for name, value in derived.items():
        stated = fields.get(name)
        if stated is not None and stated != value:
            expected = "empty" if value is None else repr(value)
            raise ValidationError(
                name,
                stated,
                Expected(
                    "%(expected)s, as the protocol's reference safety "
                    "information gives for %(fields)s",
                    expected=expected,
                    fields=repr(fields["term"]),
                ),
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
    _check_columns(frame, CONMED_COLUMNS, Expected("a column of the concomitant-medication file"))
    typed = validate_con_meds(as_text_frame(frame), where, first_line=2)
    with _located_in(where):
        return _parse_records(typed, subjects, CON_MED)


def _check_columns(frame: pl.DataFrame, columns: Iterable[str], what: Expected) -> None:
    known = set(columns)
    for column in frame.columns:
        if column not in known:
            raise ValidationError(column, column, what, location="line 1, column " + column)


def _parse_adverse_events(frame: pl.DataFrame, subjects: dict[str, str | None]) -> list[ParsedAE]:
    _check_columns(frame, AE_COLUMNS, Expected("a column of the adverse-event file"))
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
                Expected("a subject of the visit file"),
                location=f"line {line}, column subject_id",
            )
        assert sid is not None
        if row.get("arm") is not None and row["arm"] != subjects[sid]:
            raise ValidationError(
                "arm",
                row["arm"],
                Expected("%(subjects)s as in the visit file", subjects=repr(subjects[sid])),
                location=f"line {line}, column arm",
            )
        fields = {
            f.name: _at(line, f.export or f.name, _convert, row.get(f.export or f.name), f)
            for f in spec.exported
        }
        out.append(ParsedAE(line, sid, fields))
    return out
