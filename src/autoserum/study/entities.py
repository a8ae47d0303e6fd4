"""The entity registry: one declaration per record type of a study (pure core).

Each record type (subject, visit, assessment, lab, injection, adverse event, concomitant
medication, deviation, unblinding, site) is an :class:`EntitySpec` listing its data
:class:`Field` s once: kind, vocabulary, bounds, text limit, whether it is required, its label,
whether a correction may change it, whether it is masked for blinded viewers and its column in
the tidy export. Every layer derives from it (``docs/architecture.md``, "The entity
registry"): the ORM columns and CHECK constraints (``store/_columns.py``), the editable fields
and their converters (``store/_edit.py``), the domain views (``store/_views.py``), the tidy
adverse-event columns (``study/tidy/_columns.py``), the web form fields
(``web/recordforms.py``) and the API schemas (``web/schemas.py``). Keys and links (``id``,
``version``, ``study_id``, ``subject_pk``, ``visit_id``, ``site_id``) are not fields: the store
adds them by the spec's ``parent``.

A value is converted once, here, with an error naming the field, the value and what was
expected (:class:`~autoserum.errors.ValidationError`):

>>> ae = entity("adverse_event")
>>> ae.field("severity").convert("mild")
'mild'
>>> ae.field("severity").convert("grave")
Traceback (most recent call last):
...
autoserum.errors.ValidationError: severity: got 'grave'; expected one of mild, moderate, severe
>>> ae.convert({"outcome": "recovered"}, partial=True)
{'outcome': 'recovered'}
>>> [f.name for f in ae.editable][:4]
['term', 'meddra_llt', 'meddra_pt', 'onset_date']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import KW_ONLY, dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from autoserum.errors import Expected, ValidationError
from autoserum.i18n import LANGUAGES
from autoserum.study.coerce import (
    A_MAPPING,
    AN_ISO_DATE,
    AN_ISO_DATETIME,
    TRUE_OR_FALSE,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    number_between,
    one_of,
    text_of_at_most,
)
from autoserum.study.consent import (
    COMPONENTS,
    CONSENT_FIELDS,
    DOCUMENT_FIELDS,
    IDENTIFYING_CONSENT_COLUMNS,
    LANGUAGE_PATTERN,
    SHA256_PATTERN,
    check_language,
    check_sha256,
)
from autoserum.study.history import (
    COMORBIDITIES,
    FITZPATRICK_TYPES,
    RESPONSES,
    STOP_REASONS,
    YEAR_MIN,
)
from autoserum.study.locks import LEVELS as LOCK_LEVELS
from autoserum.study.medication import (
    AMOUNT_UNITS,
    ATC_PATTERN,
    ATC_RULE,
    DRUG_CLASSES,
    POTENCY_EU,
    POTENCY_US,
    check_atc,
)
from autoserum.study.queries import MESSAGE_KINDS, QUERY_STATUSES
from autoserum.study.rules import AGE_MAX, NOTE_MAX, SHORT_MAX, TERM_MAX, bounded_text
from autoserum.study.safety import (
    ACTIONS_TAKEN,
    MEDDRA_PATTERN,
    MEDDRA_RULE,
    SERIOUSNESS_CRITERIA,
    check_meddra,
)
from autoserum.study.signatures import MEANINGS, SIGNATURE_LEVELS
from autoserum.study.status import SubjectStatus
from autoserum.study.vitals import VITAL_SIGNS
from autoserum.study.vocab import (
    DEVIATION_IMPORTANCE,
    OUTCOMES,
    PRODUCTS,
    RELATEDNESS,
    SEVERITIES,
    SEXES,
    check_choice,
)

__all__ = [
    "CODE_MAX",
    "CONSENT_REGISTRY",
    "PHOTO_MEDIA_TYPES",
    "PHOTO_REGIONS",
    "PHOTO_SOURCE_TYPES",
    "PROCESS_CODE_PREFIXES",
    "PRODUCT_CHAIN",
    "PRODUCT_DEVIATION",
    "PRO_FREQUENCIES",
    "REGISTRY",
    "REVIEWED_TYPES",
    "REVIEW_REGISTRY",
    "SIDES",
    "STORAGE_KINDS",
    "TEXT_COLUMN_MAX",
    "EntitySpec",
    "Field",
    "Kind",
    "Parent",
    "entity",
]

Kind = Literal["text", "int", "decimal", "fraction", "date", "datetime", "bool", "choice", "json"]
"""What a field holds. ``fraction`` is an exact total kept as text (``14.3``, ``1/3``);
``json`` a mapping (a payload, the screening facts)."""

Parent = Literal["study", "subject"]

#: Longest text kept in a ``VARCHAR`` column; a field allowing more (a note) is a ``TEXT``.
TEXT_COLUMN_MAX = 500


_EXPECTED: dict[str, Expected] = {
    "bool": TRUE_OR_FALSE,
    "date": AN_ISO_DATE,
    "datetime": AN_ISO_DATETIME,
    "json": A_MAPPING,
}


@dataclass(frozen=True)
class Field:
    """One field of a record type.

    ``max_length`` is the text limit (trimmed text; the column width: a ``VARCHAR`` up to
    :data:`TEXT_COLUMN_MAX`, else ``TEXT``) and, for a choice, its column width. ``required``:
    a value must be given (and the column is ``NOT NULL`` unless ``nullable`` says otherwise).
    ``editable``: a correction may change it. ``on_form``: the record form asks for it, under
    ``input`` when the form's name differs (``injection_site``). ``export``: its column in the
    tidy export (``None``: not exported). ``after_screening``: a date that may not precede the
    subject's screening (every date of a record may not be after today). ``identifying``: it
    names or may identify a person (left out of de-identified exports, like every date).
    ``packaged``: it is carried by the complete data package and the exchange formats
    (``False`` for a store-internal link such as the allocation entry; ``docs/exports.md``).
    ``check``: the checker of a coded text (``check_atc(field, value)``: the normalised code or
    a :class:`ValidationError`), with ``pattern``/``rule``, the same rule as a regular
    expression and its plain description (for the tidy column and error messages).
    ``derived``: computed by the store from its other columns (a property of the model, such
    as whether a signature was invalidated): exported, never written; an import checks that
    it agrees with the columns it is computed from.
    """

    name: str
    kind: Kind
    label: str = ""
    _: KW_ONLY
    required: bool = False
    nullable: bool | None = None
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str = ""
    max_length: int | None = None
    editable: bool = False
    on_form: bool = False
    input: str = ""
    masked_for_blinded: bool = False
    export: str | None = None
    help: str = ""
    after_screening: bool = False
    identifying: bool = False
    packaged: bool = True
    check: Callable[[str, object], str] | None = None
    pattern: str | None = None
    rule: str = ""
    derived: bool = False

    @property
    def title(self) -> str:
        """The label, or the name made readable."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def form_name(self) -> str:
        """The name of the field's input on a form."""
        return self.input or self.name

    @property
    def is_nullable(self) -> bool:
        """Whether its column admits NULL."""
        return (not self.required) if self.nullable is None else self.nullable

    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        return str(self.expectation())

    def expectation(self) -> Expected:
        """:meth:`expected` as a translatable :class:`~autoserum.errors.Expected`."""
        if self.kind == "choice":
            return one_of(self.choices)
        if self.kind in _EXPECTED:
            return _EXPECTED[self.kind]
        if self.rule:
            return Expected(self.rule)
        if self.kind in ("int", "decimal", "fraction"):
            return number_between(
                self.minimum, self.maximum, whole=self.kind == "int", unit=self.unit
            )
        return text_of_at_most(self.max_length, required=self.required)

    def convert(self, value: Any, *, name: str | None = None) -> Any:
        """``value`` as this field holds it (trimmed, typed, checked); ``None`` when not given
        and not required. Errors name ``name`` (default: the field's name)."""
        where = name or self.name
        if value is None:
            if self.required:
                raise ValidationError(where, None, self.expectation())
            return None
        if self.kind == "text":
            text = bounded_text(
                where, value, limit=self.max_length or NOTE_MAX, required=self.required
            )
            return text if self.check is None or text is None else self.check(where, text)
        return self._typed(where, value)

    def _typed(self, where: str, value: Any) -> Any:
        if self.kind == "choice":
            return check_choice(where, value, self.choices)
        if self.kind == "bool":
            return as_bool(where, value)
        if self.kind == "date":
            return as_date(where, value)
        if self.kind == "datetime":
            return _as_datetime(where, value)
        if self.kind == "json":
            if not isinstance(value, Mapping):
                raise ValidationError(where, value, self.expectation())
            return dict(value)
        number = as_int(where, value) if self.kind == "int" else as_decimal(where, value)
        low, high = self.minimum, self.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValidationError(where, str(value), self.expectation())
        return number


def _as_datetime(field: str, value: Any) -> datetime:
    if isinstance(value, str):
        with suppress(ValueError):
            value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    raise ValidationError(field, value, AN_ISO_DATETIME)


@dataclass(frozen=True)
class EntitySpec:
    """One record type: its name (in the audit trail and ``records.update``), table, parent
    record, fields, whether a record may be deleted (entered in error), its label
    (``an adverse event``), title and URL segment (``adverse_events``) on the pages, and the
    links to other records its domain view carries (``visit_id``); ``masked_links`` are those
    that would reveal the arm (a kit's source), shown as ``"blinded"`` to a blinded viewer.
    ``masked_for_blinded``: the mere presence of its records reveals the arm (a blood draw, its
    processing and aliquots exist only for a subject whose arm gives an autologous product; a
    saline kit is filled without them): blinded viewers see none of its records and a blinded
    export leaves the record type out, as it leaves out a masked field or link
    (``docs/exports.md``). Every link to such a record type is itself a masked link."""

    name: str
    table: str
    parent: Parent
    fields: tuple[Field, ...]
    deletable: bool = False
    label: str = ""
    title: str = ""
    key: str = ""
    links: tuple[str, ...] = ()
    masked_links: tuple[str, ...] = ()
    masked_for_blinded: bool = False

    def field(self, name: str) -> Field:
        """The field ``name`` (a :class:`ValidationError` naming the fields otherwise)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise ValidationError(
            f"{self.name}.{name}", name, Expected("one of %(values)s", values=", ".join(self.names))
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The names of its fields, in declaration order."""
        return tuple(f.name for f in self.fields)

    @property
    def masked(self) -> tuple[str, ...]:
        """The names of its fields and links masked for blinded viewers (their values would
        reveal the arm): masked fields, then :attr:`masked_links`.

        >>> entity("preparation").masked
        ('product', 'prepared_by', 'aliquot_id', 'blood_draw_id')
        """
        return (*(f.name for f in self.fields if f.masked_for_blinded), *self.masked_links)

    @property
    def editable(self) -> tuple[Field, ...]:
        """The fields a correction may change."""
        return tuple(f for f in self.fields if f.editable)

    @property
    def form_fields(self) -> tuple[Field, ...]:
        """The fields its record form asks for."""
        return tuple(f for f in self.fields if f.on_form)

    @property
    def exported(self) -> tuple[Field, ...]:
        """The fields of its tidy export, in order."""
        return tuple(f for f in self.fields if f.export is not None)

    def convert(self, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """``values`` of editable fields converted. Without ``partial`` every editable field is
        converted (a missing one as ``None``, refused when required); with it, only those given.
        A field that may not be set is a :class:`ValidationError` naming the fields that may."""
        allowed = {f.name: f for f in self.editable}
        for key, value in values.items():
            if key not in allowed:
                raise ValidationError(
                    f"{self.name}.{key}",
                    value,
                    Expected("one of %(values)s", values=", ".join(sorted(allowed))),
                )
        names: Iterable[str] = values if partial else allowed
        return {key: allowed[key].convert(values.get(key)) for key in names}

    def with_field(self, field: Field) -> EntitySpec:
        """A copy with ``field`` added (a new field declared on a copy of this spec)."""
        return replace(self, fields=(*self.fields, field))


def _n(value: int | str) -> Decimal:
    return Decimal(value)


def _text(name: str, limit: int, label: str = "", **kw: Any) -> Field:
    return Field(name, "text", label, max_length=limit, **kw)


def _choice(name: str, values: tuple[str, ...], width: int, label: str = "", **kw: Any) -> Field:
    return Field(name, "choice", label, choices=values, max_length=width, **kw)


_EDIT: dict[str, Any] = {"editable": True, "on_form": True}

#: Longest label code (``AS1:<study>:<subject>:<id>:<check>``, each part at most 100).
CODE_MAX = 320
#: Sides of an injection (an acupoint: ``ST36`` left).
SIDES: tuple[str, ...] = ("left", "right", "bilateral", "midline")
#: What happens to a stored aliquot.
STORAGE_KINDS: tuple[str, ...] = ("stored", "frozen", "thawed", "moved")
_PRODUCT: dict[str, Any] = {"masked_for_blinded": True}

SITE = EntitySpec(
    "site",
    "sites",
    "study",
    (
        _text("code", 50, "Site code", required=True),
        _text("name", 200, "Site name", required=True, editable=True),
    ),
    label="a site",
)

SUBJECT = EntitySpec(
    "subject",
    "subjects",
    "study",
    (
        _text("subject_id", 100, "Subject identifier", required=True),
        _choice("status", tuple(s.value for s in SubjectStatus), 20, "Status", required=True),
        Field("facts", "json", "Eligibility facts", editable=True, identifying=True),
        _text("arm", 50, "Arm", masked_for_blinded=True, export="arm"),
        Field("allocation_id", "int", "Allocation entry", masked_for_blinded=True, packaged=False),
        Field("day0", "date", "Day 0"),
        Field(
            "age", "decimal", "Age", minimum=_n(0), maximum=_n(AGE_MAX), unit="years",
            editable=True, export="age",
        ),
        _choice("sex", SEXES, 1, "Sex", editable=True, export="sex"),
        Field("per_protocol", "bool", "Per protocol", export="per_protocol"),
        Field("treated", "bool", "Treated", editable=True, export="treated"),
        _text("withdrawal_reason", NOTE_MAX, "Reason for withdrawal", identifying=True),
        # the language of the subject's own pages (patient self-report); None: the study's
        _choice("language", LANGUAGES, 10, "Language of the patient pages", editable=True),
        # --- demographics and AD history (study/history.py; docs/subjects.md) -----------
        # a date of birth or an age: the age (above) is derived from it on the screening date
        Field("birth_date", "date", "Date of birth (or the age)", identifying=True,
              editable=True),
        # the protocol's categories (study/history.py: CDISC ETHNIC and RACE by default)
        # (carried by the data package; not columns of the tidy visit file)
        _text("ethnicity", 60, "Ethnicity", editable=True),
        _text("race", 60, "Race", editable=True),
        _choice("fitzpatrick", FITZPATRICK_TYPES, 3, "Fitzpatrick skin type (I-VI)",
                editable=True),
        Field("ad_onset_age", "decimal", "Age at onset of atopic dermatitis", minimum=_n(0),
              maximum=_n(AGE_MAX), unit="years", editable=True),
    ),
)  # fmt: skip

VISIT = EntitySpec(
    "visit",
    "visits",
    "subject",
    (
        _text("visit_code", 50, "Visit", export="visit"),
        Field("week", "decimal", "Week", editable=True),
        Field("day", "int", "Day"),
        Field("visit_date", "date", "Visit date", required=True, nullable=True, **_EDIT),
        Field("earliest", "date", "Window opens"),
        Field("latest", "date", "Window closes"),
        Field("deviation_days", "int", "Days outside the window"),
        # an unscheduled visit (admin branch): not in the schedule, with its reason
        _text(
            "unscheduled_reason",
            NOTE_MAX,
            "Reason for the unscheduled visit",
            editable=True,
            identifying=True,
        ),
    ),
    label="a visit",
    title="Visits",
    key="visits",
)

ASSESSMENT = EntitySpec(
    "assessment",
    "assessments",
    "subject",
    (
        _text("instrument", 30, "Instrument", required=True),
        Field("payload", "json", "Items", editable=True),
        Field("total", "fraction", "Total", editable=True, max_length=64),
        _text("band", 50, "Band"),
    ),
    links=("visit_id",),
    deletable=True,
    label="an assessment",
)

LAB = EntitySpec(
    "lab",
    "labs",
    "subject",
    (
        _text("analyte", 30, "Analyte", required=True, on_form=True),
        Field("value", "decimal", "Value", required=True, **_EDIT),
        _text("unit", 30, "Unit (UCUM, e.g. kU/L, 10^9/L, %, pg/mL)", required=True, **_EDIT),
        Field("ref_low", "decimal", "Reference range low", **_EDIT),
        Field("ref_high", "decimal", "Reference range high", **_EDIT),
        _choice("flag", ("low", "normal", "high"), 10, "Flag"),
    ),
    links=("visit_id",),
    deletable=True,
    label="a lab result",
    title="Laboratory results",
    key="labs",
)

INJECTION = EntitySpec(
    "injection",
    "injections",
    "subject",
    (
        Field("given_on", "date", "Date given", required=True, **_EDIT),
        Field("given_at", "datetime", "Time given (e.g. 2026-03-02T09:30+09:00)", on_form=True),
        _choice("product", PRODUCTS, 30, "Product", required=True, editable=True,
                masked_for_blinded=True),
        Field("volume_ml", "decimal", "Volume (mL)", **_EDIT),
        _text("site", SHORT_MAX, "Injection site (muscle or acupoint code)", input="injection_site",
              **_EDIT),
        _text("lot", SHORT_MAX, "Lot", **_EDIT),
        _text("given_by", SHORT_MAX, "Given by", editable=True, identifying=True),
        # masked: an aliquot's or a draw's code (only an active arm has one; BD- or AL- tells
        # whole blood from serum) would tell the arm; so would a kit's code shown beside them
        _text("product_code", CODE_MAX, "Product code (scanned or typed label)", on_form=True,
              masked_for_blinded=True),
        _choice("side", SIDES, 10, "Side", on_form=True),
    ),
    links=("visit_id", "draw_id", "aliquot_id", "preparation_id"),
    # given by a draw's or an aliquot's code: the product chain's records (masked, below);
    # the kit's too: an injection without one was given by a draw's or an aliquot's code
    masked_links=("draw_id", "aliquot_id", "preparation_id"),
    deletable=True,
    label="an injection",
    title="Injections given",
    key="injections",
)  # fmt: skip


def _criterion(name: str) -> Field:
    return Field(f"sae_{name}", "bool", f"Serious: {name.replace('_', ' ')}",
                 export=f"sae_{name}", **_EDIT)  # fmt: skip


def _meddra(level: str, label: str) -> Field:
    return _text(f"meddra_{level}", 8, label, check=check_meddra, pattern=MEDDRA_PATTERN,
                 rule=MEDDRA_RULE, export=f"meddra_{level}", **_EDIT)  # fmt: skip


ADVERSE_EVENT = EntitySpec(
    "adverse_event",
    "adverse_events",
    "subject",
    (
        _text("term", TERM_MAX, "Term (verbatim)", required=True, export="term", **_EDIT),
        _meddra("llt", "MedDRA lowest level term code (8 digits)"),
        _meddra("pt", "MedDRA preferred term code (8 digits)"),
        Field("onset_date", "date", "Onset date", after_screening=True, export="onset_date",
              **_EDIT),
        Field("onset_week", "decimal", "Onset week", editable=True, export="onset_week"),
        Field("end_date", "date", "End date (empty: ongoing)", after_screening=True,
              export="end_date", **_EDIT),
        _choice("severity", SEVERITIES, 20, "Severity", required=True, export="severity", **_EDIT),
        Field("serious", "bool", "Serious", required=True, export="serious", **_EDIT),
        *(_criterion(c) for c in SERIOUSNESS_CRITERIA),
        _choice("related", RELATEDNESS, 20, "Relatedness", required=True, export="related",
                help="to the study product (WHO-UMC)", **_EDIT),
        _choice("related_procedure", RELATEDNESS, 20, "Causality to the injection procedure",
                export="related_procedure", **_EDIT),
        Field("expected", "bool", "Expected (reference safety information)", export="expected"),
        _text("aesi", 200, "Adverse event of special interest", export="aesi"),
        _choice("action_taken", ACTIONS_TAKEN, 20, "Action taken with the study treatment",
                export="action_taken", **_EDIT),
        _choice("outcome", OUTCOMES, 20, "Outcome", required=True, export="outcome", **_EDIT),
        Field("aware_at", "datetime", "Site aware at (SAE clock; e.g. 2026-03-02T09:00+01:00)",
              export="aware_at", **_EDIT),
        Field("reported_at", "datetime", "Reported to the sponsor at", export="reported_at",
              **_EDIT),
        _text("narrative", NOTE_MAX, "Narrative", identifying=True, **_EDIT),
        # a follow-up is a correction with its reason (a new version of the event): 0 as first
        # reported, n after its n-th; the record's version less one (the tidy file's row is
        # the event as of its last follow-up; a data package carries no versions)
        Field("follow_up", "int", "Follow-up (0: as first reported)", minimum=_n(0),
              derived=True, packaged=False, export="follow_up"),
    ),
    deletable=True,
    label="an adverse event",
    title="Adverse events",
    key="adverse_events",
)  # fmt: skip

CON_MED = EntitySpec(
    "con_med",
    "con_meds",
    "subject",
    (
        _text("name", TERM_MAX, "Drug", required=True, export="drug", **_EDIT),
        _text("atc_code", 7, "ATC code (e.g. D07AC13)", check=check_atc, pattern=ATC_PATTERN,
              rule=ATC_RULE, export="atc_code", **_EDIT),
        _choice("drug_class", DRUG_CLASSES, 30, "Drug class", export="drug_class", **_EDIT),
        _choice("potency_eu", POTENCY_EU, 3, "Topical steroid potency (European class I-IV)",
                export="potency_eu", **_EDIT),
        _choice("potency_us", POTENCY_US, 3, "Topical steroid potency (US class I-VII)",
                export="potency_us", **_EDIT),
        _text("dose", SHORT_MAX, "Dose", export="dose", **_EDIT),
        _text("route", 50, "Route", export="route", **_EDIT),
        Field("amount", "decimal", "Amount per week", minimum=_n(0), unit="per week",
              export="amount", **_EDIT),
        _choice("amount_unit", AMOUNT_UNITS, 3, "Unit of the amount (g or ftu, per week)",
                export="amount_unit", **_EDIT),
        _text("body_area", SHORT_MAX, "Body area treated", export="body_area", **_EDIT),
        Field("start_date", "date", "Start date", export="start_date", **_EDIT),
        Field("end_date", "date", "End date (empty: ongoing)", export="end_date", **_EDIT),
        Field("start_week", "decimal", "Start (study week)", editable=True, export="start_week"),
        Field("end_week", "decimal", "End (study week)", editable=True, export="end_week"),
        _text("indication", TERM_MAX, "Indication", export="indication", **_EDIT),
        Field("rescue", "bool", "Rescue medication", export="rescue", **_EDIT,
              help="Given as rescue treatment under the protocol's rescue rules"),
    ),
    deletable=True,
    label="a medication",
    title="Concomitant medication",
    key="con_meds",
)  # fmt: skip

DEVIATION = EntitySpec(
    "deviation",
    "deviations",
    "subject",
    (
        _text("kind", 50, "Category", required=True, export="category", **_EDIT),
        _text(
            "description",
            NOTE_MAX,
            "Description",
            required=True,
            export="description",
            identifying=True,
            **_EDIT,
        ),
        Field("days", "int", "Days", editable=True, export="days"),
        # --- manual deviations (admin branch): date, importance, corrective action
        Field(
            "occurred_on",
            "date",
            "Date of the deviation",
            after_screening=True,
            export="occurred_on",
            **_EDIT,
        ),
        _choice(
            "importance",
            DEVIATION_IMPORTANCE,
            10,
            "Major or minor",
            export="importance",
            **_EDIT,
        ),
        _text(
            "corrective_action",
            NOTE_MAX,
            "Corrective action",
            export="corrective_action",
            identifying=True,
            **_EDIT,
        ),
    ),
    # the record a deviation is about: the injection whose volume is off the protocol's dose
    # (``store/_dose.py`` reconciles by it); empty for a deviation entered by hand
    links=("visit_id", "injection_id"),
    deletable=True,
    label="a protocol deviation",
    title="Protocol deviations",
    key="deviations",
)

UNBLINDING = EntitySpec(
    "unblinding",
    "unblindings",
    "subject",
    (
        _text("username", 100, "Unblinded by", required=True, identifying=True),
        _text("reason", NOTE_MAX, "Reason for unblinding", required=True),
        Field("at", "datetime", "At", required=True),
    ),
    label="an unblinding",
)

# --- the autologous product's chain of identity (docs/product.md) ------------------------

BLOOD_DRAW = EntitySpec(
    "blood_draw",
    "blood_draws",
    "subject",
    (
        _text("code", CODE_MAX, "Draw code", required=True),
        Field("drawn_at", "datetime", "Drawn at", required=True),
        Field("volume_ml", "decimal", "Volume drawn (mL)", required=True, minimum=_n(0),
              maximum=_n(1000), unit="mL"),
        _text("tube", SHORT_MAX, "Tube"),
        _text("drawn_by", SHORT_MAX, "Drawn by", required=True, identifying=True),
    ),
    label="a blood draw",
    masked_for_blinded=True,
    title="Blood draws",
    key="blood_draws",
)  # fmt: skip

PROCESSING = EntitySpec(
    "processing",
    "processings",
    "subject",
    (
        Field("started_at", "datetime", "Processing started at", required=True),
        Field("clotting_minutes", "decimal", "Clotting (min)", minimum=_n(0), unit="min"),
        Field("centrifuge_g", "decimal", "Centrifugation (g)", minimum=_n(0), unit="g"),
        Field("centrifuge_minutes", "decimal", "Centrifugation (min)", minimum=_n(0),
              unit="min"),
        Field("centrifuge_temperature", "decimal", "Centrifugation temperature (°C)",
              minimum=_n(-30), maximum=_n(40), unit="°C"),
        _text("purification", SHORT_MAX, "Purification"),
        Field("protein_concentration", "decimal", "Protein concentration (mg/mL)",
              minimum=_n(0), unit="mg/mL"),
        Field("purity", "decimal", "Purity (%)", minimum=_n(0), maximum=_n(100), unit="%"),
        _text("processed_by", SHORT_MAX, "Processed by", required=True, identifying=True),
        Field("deviates", "bool", "Deviates from the protocol", required=True),
        _text("deviations", NOTE_MAX, "Deviations from the protocol's parameters"),
    ),
    links=("draw_id",),
    label="a processing",
    masked_for_blinded=True,
    title="Processing",
    key="processings",
)  # fmt: skip

ALIQUOT = EntitySpec(
    "aliquot",
    "aliquots",
    "subject",
    (
        _text("code", CODE_MAX, "Aliquot code", required=True),
        Field("volume_ml", "decimal", "Volume (mL)", required=True, minimum=_n(0), unit="mL"),
        Field("expires_at", "datetime", "Expires at", required=True),
        _text("prepared_by", SHORT_MAX, "Prepared by", required=True, identifying=True),
    ),
    links=("processing_id",),
    label="an aliquot",
    masked_for_blinded=True,
    title="Aliquots",
    key="aliquots",
)

STORAGE_EVENT = EntitySpec(
    "storage_event",
    "storage_events",
    "subject",
    (
        _choice("kind", STORAGE_KINDS, 10, "Event", required=True),
        Field("at", "datetime", "At", required=True),
        Field("temperature", "decimal", "Temperature (°C)", minimum=_n(-200), maximum=_n(40),
              unit="°C"),
        _text("location", SHORT_MAX, "Location"),
        _text("recorded_by", SHORT_MAX, "Recorded by", required=True, identifying=True),
    ),
    links=("aliquot_id",),
    label="a storage event",
    masked_for_blinded=True,
    title="Storage",
    key="storage_events",
)  # fmt: skip

DISPOSAL = EntitySpec(
    "disposal",
    "disposals",
    "subject",
    (
        Field("at", "datetime", "Disposed at", required=True),
        _text("reason", NOTE_MAX, "Reason", required=True),
        _text("disposed_by", SHORT_MAX, "Disposed by", required=True, identifying=True),
    ),
    # what is disposed of: exactly one of an aliquot, a blinded kit (of any arm: a saline one
    # too) or a blood draw. The record type is masked as a whole (an aliquot's or a draw's
    # disposal exists for an active arm only), so a kit's disposal is hidden from blinded
    # readers for every arm alike; its links to an aliquot or a draw are masked as every link
    # to those record types is; the kit's is not (blinded readers see the kits)
    links=("aliquot_id", "preparation_id", "blood_draw_id"),
    masked_links=("aliquot_id", "blood_draw_id"),
    label="a disposal",
    masked_for_blinded=True,
    title="Disposals",
    key="disposals",
)

PREPARATION = EntitySpec(
    "preparation",
    "preparations",
    "subject",
    (
        _text("code", CODE_MAX, "Kit code", required=True),
        _choice("product", PRODUCTS, 30, "Product", required=True, **_PRODUCT),
        Field("volume_ml", "decimal", "Volume (mL)", required=True, minimum=_n(0), unit="mL"),
        Field("prepared_at", "datetime", "Prepared at", required=True),
        _text("prepared_by", SHORT_MAX, "Prepared by", required=True, identifying=True, **_PRODUCT),
    ),
    links=("aliquot_id", "blood_draw_id"),
    masked_links=("aliquot_id", "blood_draw_id"),
    label="a blinded kit",
    title="Blinded kits",
    key="preparations",
)

# --- lesion photographs and their blinded central rating (docs/photos.md) -----------------

#: Body regions of a photograph: the EASI regions (:data:`autoserum.instruments.easi.REGIONS`).
PHOTO_REGIONS: tuple[str, ...] = ("head_neck", "upper_limbs", "trunk", "lower_limbs")
#: The image types kept in the file store (every upload is re-encoded to one of them).
PHOTO_MEDIA_TYPES: tuple[str, ...] = ("image/jpeg", "image/png")
#: The image types an upload may be, recognised from its content (HEIC re-encoded as JPEG).
PHOTO_SOURCE_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/heic")
_SIGN: dict[str, Any] = {"minimum": _n(0), "maximum": _n(3), "required": True}

PHOTO = EntitySpec(
    "photo",
    "photos",
    "subject",
    (
        _text("code", 40, "Coded id (blinded rating)", required=True),
        _choice("region", PHOTO_REGIONS, 20, "Body region", required=True, export="region"),
        _choice("media_type", PHOTO_MEDIA_TYPES, 20, "Stored image type", required=True,
                export="media_type"),
        _choice("source_type", PHOTO_SOURCE_TYPES, 20, "Uploaded image type", required=True,
                export="source_type"),
        _text("sha256", 64, "SHA-256 of the stored image", required=True, export="sha256"),
        Field("size_bytes", "int", "Stored size (bytes)", required=True, minimum=_n(1),
              export="size_bytes"),
        Field("width", "int", "Width (pixels)", required=True, minimum=_n(1), export="width"),
        Field("height", "int", "Height (pixels)", required=True, minimum=_n(1), export="height"),
        Field("uploaded_at", "datetime", "Uploaded at", required=True, export="uploaded_at"),
        _text("uploaded_by", SHORT_MAX, "Uploaded by", required=True, identifying=True,
              export="uploaded_by"),
    ),
    links=("visit_id",),
    label="a photograph",
    title="Lesion photographs",
    key="photos",
)  # fmt: skip

PHOTO_RATING = EntitySpec(
    "photo_rating",
    "photo_ratings",
    "subject",
    (
        _text("rater", SHORT_MAX, "Rater", required=True, identifying=True, export="rater"),
        Field("rated_at", "datetime", "Rated at", required=True, export="rated_at"),
        Field("erythema", "decimal", "Erythema (0-3)", export="erythema", **_SIGN),
        Field("induration", "decimal", "Oedema/induration/papulation (0-3)",
              export="induration", **_SIGN),
        Field("excoriation", "decimal", "Excoriation (0-3)", export="excoriation", **_SIGN),
        Field("lichenification", "decimal", "Lichenification (0-3)", export="lichenification",
              **_SIGN),
        Field("area", "int", "Area score (0-6)", required=True, minimum=_n(0), maximum=_n(6),
              export="area"),
        Field("region_score", "fraction", "EASI score of the region", required=True,
              max_length=64, export="region_score"),
        Field("viga_grade", "int", "vIGA-AD grade (0-4)", required=True, minimum=_n(0),
              maximum=_n(4), export="viga_grade"),
    ),
    links=("photo_id",),
    label="a photo rating",
    title="Photo ratings",
    key="photo_ratings",
)  # fmt: skip
# --- subject history and vital signs (docs/subjects.md) -----------------------------------


def _vital(name: str) -> Field:
    sign = VITAL_SIGNS[name]
    return Field(name, "int" if sign.whole else "decimal", f"{sign.label} ({sign.unit})",
                 minimum=sign.low, maximum=sign.high, unit=sign.unit, export=name,
                 **_EDIT)  # fmt: skip


VITAL_SIGN = EntitySpec(
    "vital_sign",
    "vital_signs",
    "subject",
    tuple(_vital(name) for name in VITAL_SIGNS),
    links=("visit_id",),
    deletable=True,
    label="vital signs",
    title="Vital signs",
    key="vital_signs",
)
"""The vital signs measured at one visit (``autoserum.study.vitals``: units, plausibility
limits, at least one sign, diastolic below systolic)."""

_YEAR: dict[str, Any] = {"minimum": _n(YEAR_MIN), "maximum": _n(9999), "unit": "year"}

PRIOR_TREATMENT = EntitySpec(
    "prior_treatment",
    "prior_treatments",
    "subject",
    (
        _text("drug", TERM_MAX, "Drug", required=True, export="drug", **_EDIT),
        _text("atc_code", 7, "ATC code (e.g. L04AD01)", check=check_atc, pattern=ATC_PATTERN,
              rule=ATC_RULE, export="atc_code", **_EDIT),
        _choice("drug_class", DRUG_CLASSES, 30, "Drug class", export="drug_class", **_EDIT),
        Field("start_year", "int", "Started (year)", export="start_year", **_YEAR, **_EDIT),
        Field("end_year", "int", "Stopped (year)", export="end_year", **_YEAR, **_EDIT),
        _choice("response", RESPONSES, 10, "Response", export="response", **_EDIT),
        _choice("stop_reason", STOP_REASONS, 20, "Reason stopped", export="stop_reason",
                **_EDIT),
    ),
    deletable=True,
    label="a previous systemic treatment",
    title="Previous systemic treatments",
    key="prior_treatments",
)  # fmt: skip
"""A systemic treatment of atopic dermatitis before the study (``autoserum.study.history``:
years from the year of birth to this year, the start not after the end; the class follows from
the ATC code as for a con-med, :mod:`autoserum.study.medication`)."""

COMORBIDITY = EntitySpec(
    "comorbidity",
    "comorbidities",
    "subject",
    (
        _choice("condition", COMORBIDITIES, 30, "Atopic comorbidity", required=True,
                export="condition", **_EDIT),
        _text("detail", TERM_MAX, "Description (required for other)", export="detail", **_EDIT),
        Field("onset_age", "decimal", "Age at onset", minimum=_n(0), maximum=_n(AGE_MAX),
              unit="years", export="onset_age", **_EDIT),
        Field("ongoing", "bool", "Ongoing", export="ongoing", **_EDIT),
    ),
    deletable=True,
    label="an atopic comorbidity",
    title="Atopic comorbidities",
    key="comorbidities",
)  # fmt: skip
"""An atopic comorbidity of the subject (``autoserum.study.history.COMORBIDITIES``; ``other``
described; an age at onset not above the subject's age)."""


# --- self-report by the patient (docs/epro.md) ------------------------------------------

#: How often a self-reported outcome is due (the protocol's ``self_report.schedules``).
PRO_FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "visit")

PATIENT_LINK = EntitySpec(
    "patient_link",
    "patient_links",
    "subject",
    (
        # the SHA-256 of the link's random token: never shown, never audited, never packaged
        _text("token_hash", 64, "Token hash", packaged=False),
        Field("issued_at", "datetime", "Issued at", required=True),
        _text("issued_by", SHORT_MAX, "Issued by", required=True, identifying=True),
        Field("expires_on", "date", "Valid until (end of participation)", required=True),
        Field("revoked_at", "datetime", "Revoked at"),
        _text("revoked_by", SHORT_MAX, "Revoked by", identifying=True),
        _text("revoke_reason", NOTE_MAX, "Reason for revoking"),
    ),
    label="a self-report link",
    title="Self-report links",
    key="patient_links",
)

PRO_ENTRY = EntitySpec(
    "pro_entry",
    "pro_entries",
    "subject",
    (
        _text("instrument", 30, "Instrument", required=True),
        _choice("frequency", PRO_FREQUENCIES, 10, "Schedule", required=True),
        Field("slot", "date", "Day, week or visit the entry is for", required=True),
        _text("visit_code", 50, "Visit (a visit's questionnaire)"),
        Field("payload", "json", "Items", required=True),
        Field("total", "fraction", "Total", max_length=64),
        _text("band", 50, "Band"),
        Field("submitted_at", "datetime", "Submitted at", required=True),
        Field("late", "bool", "Made after its window closed", required=True),
        _text("submission_id", 64, "Submission id (the patient's device)", required=True),
    ),
    links=("link_id",),
    label="a self-reported entry",
    title="Self-reported entries",
    key="pro_entries",
)

PROCESS_CODE_PREFIXES: Mapping[str, str] = {
    "blood_draw": "BD-",
    "aliquot": "AL-",
    "preparation": "KIT-",
}
"""The prefix of the id in the label code of each labelled record type (``AL-0003``)."""

PRODUCT_CHAIN: tuple[str, ...] = (
    "blood_draw",
    "processing",
    "aliquot",
    "storage_event",
    "disposal",
    "preparation",
)
"""The record types of the product's chain of identity, recorded by the ``prepare_product``
action (:mod:`autoserum.permissions`); all but the kit are ``masked_for_blinded`` (shown to
unblinded viewers only, left out of blinded exports)."""

PRODUCT_DEVIATION = "product_process"
"""The kind of the protocol deviation a processing outside the protocol's parameters adds
(``store.product.process``): a record of the product chain, so, like the record types
``masked_for_blinded``, left out of blinded exports (its presence would reveal the arm)."""

REGISTRY: Mapping[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        SITE,
        SUBJECT,
        VISIT,
        ASSESSMENT,
        LAB,
        INJECTION,
        ADVERSE_EVENT,
        CON_MED,
        DEVIATION,
        UNBLINDING,
        BLOOD_DRAW,
        PROCESSING,
        ALIQUOT,
        STORAGE_EVENT,
        DISPOSAL,
        PREPARATION,
        PHOTO,
        PHOTO_RATING,
        VITAL_SIGN,
        PRIOR_TREATMENT,
        COMORBIDITY,
        PATIENT_LINK,
        PRO_ENTRY,
    )
}
"""Entity name → its one declaration."""


def entity(name: str) -> EntitySpec:
    """The declaration of the record type ``name``.

    >>> entity("con_med").table
    'con_meds'
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise ValidationError(
            "entity", name, Expected("one of %(values)s", values=", ".join(sorted(REGISTRY)))
        )
    return spec


# --- informed consent (docs/consent.md; issue 15: in the data package) -------------------
# Declared here for the exports (the data package, ``docs/exports.md``); their tables are
# declared by hand in ``store/models.py`` and written only by their service
# (``store.consent``: ``add_document``, ``record``, ``withdraw``), never by a record form or a
# correction. The names, labels and identifying columns are those of
# :mod:`autoserum.study.consent`; a consent names its document by the link ``document_id``
# (in the package: the ``document`` column, the document's row in its own file).

_DOCUMENT_LABEL = {name: label for name, _, label in DOCUMENT_FIELDS}
_CONSENT_LABEL = {name: label for name, _, label in CONSENT_FIELDS}


def _consent_text(name: str, limit: int, **kw: Any) -> Field:
    """A text field of a consent (identifying when the consent export says so)."""
    who = name in IDENTIFYING_CONSENT_COLUMNS
    return _text(name, limit, _CONSENT_LABEL[name], identifying=who, **kw)


CONSENT_DOCUMENT = EntitySpec(
    "consent_document",
    "consent_documents",
    "study",
    (
        _text("document_version", 50, _DOCUMENT_LABEL["document_version"], required=True),
        _text("language", 20, _DOCUMENT_LABEL["language"], required=True,
              check=check_language, pattern=LANGUAGE_PATTERN),
        Field("effective_on", "date", _DOCUMENT_LABEL["effective_on"], required=True),
        _text("sha256", 64, _DOCUMENT_LABEL["sha256"], required=True, check=check_sha256,
              pattern=SHA256_PATTERN),
        _text("title", 200, _DOCUMENT_LABEL["title"]),
    ),
    label="a consent document",
    title="Consent documents",
    key="consent_documents",
)  # fmt: skip
"""One approved version of the study's consent document in one language (unique per version
and language; :class:`autoserum.study.consent.ConsentDocument`)."""

CONSENT = EntitySpec(
    "consent",
    "consents",
    "subject",
    (
        Field("consented_at", "datetime", _CONSENT_LABEL["consented_at"], required=True),
        _consent_text("obtained_by", 200, required=True),
        _consent_text("witness", 200),
        _consent_text("representative", 200),
        Field("components", "json", _CONSENT_LABEL["components"],
              help="Each optional component asked, agreed (true) or declined (false): "
              + ", ".join(COMPONENTS)),
        Field("withdrawn_on", "date", _CONSENT_LABEL["withdrawn_on"]),
        _consent_text("withdrawal_reason", NOTE_MAX),
        # a date is left out of a de-identified package; whether consent was withdrawn is not
        Field("withdrawn", "bool", "Consent withdrawn", required=True, derived=True),
    ),
    links=("document_id",),
    label="an informed consent",
    title="Informed consents",
    key="consents",
)  # fmt: skip
"""A subject's consent to one document version (the document's version and language are the
linked document's) and its withdrawal (:class:`autoserum.study.consent.Consent`)."""

CONSENT_REGISTRY: Mapping[str, EntitySpec] = {
    spec.name: spec for spec in (CONSENT_DOCUMENT, CONSENT)
}
"""Entity name → the declaration of the informed-consent record types (the study's consent
documents, the subjects' consents): in the data package after the record types of
:data:`REGISTRY`, not among the record types a form or a correction writes."""


# --- records about the data: data review (issue 12; docs/review.md) -----------------------
# Declared here for the exports (the data package, ``docs/exports.md``); their tables are
# declared by hand in ``store/models.py`` and written only by their services (``store.sdv``,
# ``store.signatures``, ``store.locks``, ``store.queries``), never by a record form or a
# correction. A record they are about is named by its record type (``entity``) and the link
# ``record_id`` (in the package: the ``target`` column, the record's row in its own file).

REVIEWED_TYPES: tuple[str, ...] = (
    "subject",
    *(name for name, spec in REGISTRY.items() if spec.parent == "subject" and name != "unblinding"),
    CONSENT.name,
)
"""The record types of a subject's data a query, a verification or a lock may name (every
record type of a subject but the unblinding, and the informed consent, which lives beside the
registry: :data:`CONSENT_REGISTRY`)."""

_BY: dict[str, Any] = {"required": True, "identifying": True}
_WHY: dict[str, Any] = {"identifying": True}  # a write's reason: free text, may name people

VERIFICATION = EntitySpec(
    "verification",
    "verifications",
    "subject",
    (
        _choice("entity", REVIEWED_TYPES, 30, "Record type verified", required=True),
        Field("record_version", "int", "Version of the record verified", required=True,
              minimum=_n(1)),
        _text("verified_by", 100, "Verified by", **_BY),
        Field("verified_at", "datetime", "Verified at", required=True),
        Field("cleared", "bool", "Cleared (the record changed later, or withdrawn)",
              required=True, derived=True),
        Field("cleared_at", "datetime", "Cleared at"),
        _text("cleared_reason", NOTE_MAX, "Why it was cleared", **_WHY),
    ),
    links=("record_id",),
    label="a source-data verification",
    title="Source-data verifications",
    key="verifications",
)  # fmt: skip

SIGNATURE = EntitySpec(
    "signature",
    "signatures",
    "subject",
    (
        _choice("level", SIGNATURE_LEVELS, 10, "What was signed", required=True),
        _choice("meaning", MEANINGS, 20, "Meaning of the signature", required=True),
        _text("signer", 100, "Signer (account)", **_BY),
        _text("printed_name", 200, "Printed name of the signer", **_BY),
        _text("role", 20, "Signer's role", required=True),
        Field("signed_at", "datetime", "Signed at (UTC)", required=True),
        _text("timezone", 64, "Signer's time zone (IANA)", required=True),
        # the signer's local time with its offset, as text (a UTC time would lose the offset);
        # a calendar time: left out of de-identified exports like every date
        _text("local_signed_at", 40, "Signed at (signer's local time)", **_BY),
        _text("content_sha256", 64, "SHA-256 of the signed content", required=True),
        Field("invalidated", "bool", "Invalidated (the signed content changed later)",
              required=True, derived=True),
        Field("invalidated_at", "datetime", "Invalidated at"),
        _text("invalid_reason", NOTE_MAX, "Why it was invalidated", **_WHY),
    ),
    links=("visit_id",),
    label="an electronic signature",
    title="Electronic signatures",
    key="signatures",
)  # fmt: skip

LOCK = EntitySpec(
    "lock",
    "locks",
    "subject",
    (
        _choice("level", LOCK_LEVELS, 10, "Lock level", required=True),
        _choice("entity", REVIEWED_TYPES, 30, "Record type locked (a record lock)"),
        _text("reason", NOTE_MAX, "Reason for the lock", required=True),
        _text("locked_by", 100, "Locked by", **_BY),
        Field("locked_at", "datetime", "Locked at", required=True),
        Field("unlocked", "bool", "Unlocked", required=True, derived=True),
        _text("unlocked_by", 100, "Unlocked by", identifying=True),
        Field("unlocked_at", "datetime", "Unlocked at"),
        _text("unlock_reason", NOTE_MAX, "Reason for unlocking"),
        Field("manifest", "json", "Database lock manifest (audit chain head, analysis plan "
              "and allocation list digests)"),
    ),
    links=("visit_id", "record_id"),
    label="a lock",
    title="Locks",
    key="locks",
)  # fmt: skip

QUERY = EntitySpec(
    "query",
    "queries",
    "subject",
    (
        _choice("entity", REVIEWED_TYPES, 30, "Record type queried", required=True),
        _text("field", 50, "Field queried (empty: the whole record)"),
        _choice("status", QUERY_STATUSES, 10, "Status", required=True),
        _text("rule", 50, "Automatic check that raised it"),
        # the finding's key holds the values found, dates among them
        _text("finding", 300, "Finding of the automatic check", identifying=True),
        _text("opened_by", 100, "Opened by", **_BY),
        Field("opened_at", "datetime", "Opened at", required=True),
        Field("closed_at", "datetime", "Closed at"),
    ),
    links=("record_id",),
    label="a data query",
    title="Data queries",
    key="queries",
)  # fmt: skip

QUERY_MESSAGE = EntitySpec(
    "query_message",
    "query_messages",
    "subject",
    (
        _choice("kind", MESSAGE_KINDS, 10, "Step", required=True),
        _text("author", 100, "Author", **_BY),
        Field("at", "datetime", "At", required=True),
        _text("text", NOTE_MAX, "Message", required=True, identifying=True),
        Field("correction", "json", "Correction made in answer", identifying=True),
    ),
    links=("query_id",),
    label="a query message",
    title="Data query messages",
    key="query_messages",
)  # fmt: skip

REVIEW_REGISTRY: Mapping[str, EntitySpec] = {
    spec.name: spec for spec in (VERIFICATION, SIGNATURE, LOCK, QUERY, QUERY_MESSAGE)
}
"""Entity name → the declaration of each record type about the data (source-data
verifications, electronic signatures, locks, data queries and their messages): in the data
package after the record types of :data:`REGISTRY`, not among the record types a form or a
correction writes."""
