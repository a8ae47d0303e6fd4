"""Pydantic schemas of the API: separate ``*Create``/``*Update`` (input) and ``*Public`` (output).

Input models forbid unknown fields, so a misspelt item code is an error, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)

from autoserum.errors import Expected, ValidationError
from autoserum.instruments import Score, get_instrument, score
from autoserum.study.entities import EntitySpec, entity
from autoserum.study.entities import Field as RecordField
from autoserum.study.history import HISTORY_FIELDS
from autoserum.web.forms import parse_instrument_form

__all__ = [
    "AdverseEventCreate",
    "AliquotsCreate",
    "AssessmentCreate",
    "AssessmentNotDone",
    "AssessmentPublic",
    "AssessmentUpdate",
    "AuditPublic",
    "Code",
    "ComorbidityCreate",
    "ConMedCreate",
    "ConsentCreate",
    "ConsentDocumentCreate",
    "ConsentWithdrawal",
    "DatabaseLockCreate",
    "DeviationCreate",
    "DisposalCreate",
    "DrawCreate",
    "EligibilityPublic",
    "HistoryUpdate",
    "InjectionCreate",
    "InstrumentPublic",
    "ItemPublic",
    "ItemValue",
    "KitCreate",
    "LabCreate",
    "LockCreate",
    "PriorTreatmentCreate",
    "ProcessingCreate",
    "ProductInjectionCreate",
    "QueryAnswer",
    "QueryCreate",
    "QueryStep",
    "RandomiseRequest",
    "RecordId",
    "RecordUpdate",
    "ScoreRequest",
    "SignatureCreate",
    "StorageEventCreate",
    "StudyPublic",
    "SubjectCreate",
    "SubjectPublic",
    "SubjectScreened",
    "UnblindPublic",
    "UnblindRequest",
    "UnlockRequest",
    "UnscheduledVisitCreate",
    "VerificationCreate",
    "VisitCreate",
    "VitalSignCreate",
    "WithdrawRequest",
    "parse_items",
    "record_schema",
    "score_items",
]

#: Free text: no NUL characters (PostgreSQL refuses them), bounded length.
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]
#: A note or reason (the store bounds it at 2,000 characters, ``study.rules.NOTE_MAX``).
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
#: A value of an item or a field: number, boolean, null or text (no NUL, bounded).
ItemValue = (
    Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")]
    | int
    | float
    | bool
    | None
)
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
#: Identifiers of subjects and codes: letters, digits, ``._-``.
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")]
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Decimalish = Annotated[
    str | int | float, Field(description="a number, as JSON number or decimal text")
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemPublic(BaseModel):
    column: str
    path: str
    label: str
    kind: str
    allowed: list[Any] | None
    minimum: float | int | None
    maximum: float | int | None
    step: float | int | None
    unit: str | None


class InstrumentPublic(BaseModel):
    code: str
    name: str
    minimum: float | None
    maximum: float | None
    default_band_set: str | None
    band_sets: list[str]
    reference: str
    items: list[ItemPublic]


class StudyPublic(BaseModel):
    name: str
    protocol_code: str
    title: str
    blinding: str
    open_label: bool
    sites: list[str]
    stratify_by: dict[str, list[str]] = Field(
        default_factory=dict, description="stratification factors besides the site → levels"
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class SubjectCreate(_Input):
    """Screen a subject: site, identifier and the eligibility facts of the protocol."""

    site: Code
    subject_id: Code
    screened_on: dt.date | None = Field(
        default=None, description="the date of the screening visit (default: today)"
    )
    facts: dict[Code, bool | int | float | ShortText | None] = Field(
        default_factory=dict, examples=[{"atopic_dermatitis": True, "age": 34}]
    )

    @field_validator("facts")
    @classmethod
    def _finite_facts(cls, facts: dict[str, Any]) -> dict[str, Any]:
        for value in facts.values():
            _finite(value)
        return facts


class EligibilityPublic(BaseModel):
    eligible: bool
    failed: list[str]
    unknown: list[str]
    not_evaluable: list[str]


class SubjectPublic(BaseModel):
    """A subject; ``arm`` is null unless the caller may see arms."""

    id: int
    subject_id: str
    site: str
    status: str
    arm: str | None
    version: int


class SubjectScreened(SubjectPublic):
    eligibility: EligibilityPublic


class WithdrawRequest(_Input):
    reason: Text


class RandomiseRequest(_Input):
    """The subject's level of every stratification factor the study declares; an
    investigator's ``override_reason`` randomises a subject whose eligibility fails or is
    unknown (recorded as an ``eligibility_override`` deviation)."""

    strata: dict[Code, Code] = Field(default_factory=dict)
    override_reason: Note | None = None


class ConsentDocumentCreate(_Input):
    """An approved version of the consent document in one language (fields:
    :data:`autoserum.study.consent.DOCUMENT_FIELDS`)."""

    document_version: Code
    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    effective_on: dt.date
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    title: ShortText | None = None


class ConsentCreate(_Input):
    """A subject's consent (fields: :data:`autoserum.study.consent.CONSENT_FIELDS`);
    ``consented_at`` with its UTC offset."""

    document_version: Code
    consented_at: AwareDatetime
    obtained_by: ShortText
    language: Code | None = None
    witness: ShortText | None = None
    representative: ShortText | None = None
    components: dict[Code, bool] = Field(default_factory=dict)


class ConsentWithdrawal(_Input):
    """Withdrawal of consent from a date, with the reason."""

    withdrawn_on: dt.date
    reason: Note


class UnblindRequest(_Input):
    """Emergency unblinding of one subject: a reason and an explicit confirmation."""

    reason: Text
    confirm: bool = Field(description="must be true: the caller confirms the unblinding")


class UnblindPublic(BaseModel):
    """The arm of one subject, revealed to the caller only; the unblinding is audited."""

    subject_id: str
    arm: str
    reason: str
    unblinded_by: str
    notice: str


class VisitCreate(_Input):
    visit_code: Code
    visit_date: dt.date


class UnscheduledVisitCreate(_Input):
    """A visit outside the schedule (a flare visit): its date and reason."""

    visit_date: dt.date
    reason: Note


class AssessmentCreate(_Input):
    """An instrument at a visit: flat item columns (the spec's item codes)."""

    visit_code: Code
    instrument: Code
    items: dict[str, ItemValue] = Field(
        examples=[{"extent": 20, "erythema": 1, "pruritus": 4, "sleeplessness": 2}]
    )
    visit_date: dt.date | None = Field(
        default=None, description="records the visit first when it is not recorded yet"
    )


class AssessmentNotDone(_Input):
    """An instrument not done at a visit, with the reason."""

    visit_code: Code
    instrument: Code
    reason: Note
    visit_date: dt.date | None = Field(
        default=None, description="records the visit in the same transaction when new"
    )


class AssessmentUpdate(_Input):
    """A correction of a saved assessment: all its items, the version read, the reason."""

    items: dict[str, ItemValue]
    expected_version: RecordId
    reason: Text


class AssessmentPublic(BaseModel):
    id: int
    subject_id: str
    visit_code: str | None
    instrument: str
    items: dict[str, Any]
    total: float | None
    total_exact: str | None
    band: str | None
    version: int


def _annotation(field: RecordField) -> Any:
    """The pydantic type of a registry field in an input schema."""
    if field.kind == "text":
        return Annotated[
            str,
            StringConstraints(min_length=1, max_length=field.max_length, pattern=r"^[^\x00]*$"),
        ]
    if field.kind == "choice":
        return Literal[field.choices]
    if field.kind in ("decimal", "fraction"):
        return Decimalish
    return _PYTHON_TYPES[field.kind]


_PYTHON_TYPES: dict[str, Any] = {
    "int": int,
    "bool": bool,
    "date": dt.date,
    "datetime": dt.datetime,
    "json": dict[str, ItemValue],
}


def record_schema(
    spec: EntitySpec, *, links: Mapping[str, tuple[Any, Any]] | None = None
) -> type[BaseModel]:
    """The input schema ``<Name>Create`` of a record type: the links it needs (a visit code),
    then the fields its record form asks for (the registry's ``on_form`` fields), typed from
    their kinds, vocabularies and text limits; unknown fields are refused."""
    fields: dict[str, Any] = dict(links or {})
    for f in spec.form_fields:
        annotation = _annotation(f) if f.required else _annotation(f) | None
        default = ... if f.required else None
        fields[f.name] = (annotation, Field(default, title=f.title, description=f.help or None))
    name = "".join(part.capitalize() for part in spec.name.split("_")) + "Create"
    return create_model(name, __base__=_Input, __module__=__name__, **fields)


if TYPE_CHECKING:  # the schemas are built from the registry at import; typed as models here
    InjectionCreate = BaseModel
    LabCreate = BaseModel
    AdverseEventCreate = BaseModel
    ConMedCreate = BaseModel
    DeviationCreate = BaseModel
    VitalSignCreate = BaseModel
    PriorTreatmentCreate = BaseModel
    ComorbidityCreate = BaseModel
    HistoryUpdate = BaseModel
else:
    InjectionCreate = record_schema(entity("injection"), links={"visit_code": (Code | None, None)})
    LabCreate = record_schema(entity("lab"), links={"visit_code": (Code, ...)})
    AdverseEventCreate = record_schema(entity("adverse_event"))
    ConMedCreate = record_schema(entity("con_med"))
    DeviationCreate = record_schema(entity("deviation"))
    VitalSignCreate = record_schema(entity("vital_sign"), links={"visit_code": (Code, ...)})
    PriorTreatmentCreate = record_schema(entity("prior_treatment"))
    ComorbidityCreate = record_schema(entity("comorbidity"))
    HistoryUpdate = create_model(
        "HistoryUpdate",
        __base__=_Input,
        __module__=__name__,
        __doc__="The subject's demographics and AD history: the fields given change.",
        **{
            f.name: (_annotation(f) | None, Field(None, title=f.title))
            for f in (entity("subject").field(n) for n in HISTORY_FIELDS)
        },
    )


#: A product label code as scanned or typed (``AS1:<study>:<subject>:<id>:<check>``; the
#: store checks its check digits, ``study.aliquots``).
LabelCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=420, pattern=r"^[^\x00]*$"),
    Field(examples=["AS1:AST-1:S1-001:AL-0001:42"], description="a product label code"),
]


def _chain_schema(
    name: str, entity_name: str, names: tuple[str, ...], *, doc: str, **links: tuple[Any, Any]
) -> type[BaseModel]:
    """The input schema ``name`` of a product-chain record: ``links`` (the codes it names),
    then ``names``, optional fields of the registry's record type ``entity_name`` typed from
    their kinds and limits (the store converts and checks them)."""
    spec = entity(entity_name)
    fields: dict[str, Any] = dict(links)
    for field_name in names:
        f = spec.field(field_name)
        fields[field_name] = (
            _annotation(f) | None,
            Field(None, title=f.title, description=f.help or None),
        )
    model = create_model(name, __base__=_Input, __module__=__name__, **fields)
    model.__doc__ = doc
    return model


if TYPE_CHECKING:  # built from the registry at import, as the record schemas
    DrawCreate = BaseModel
    ProcessingCreate = BaseModel
    AliquotsCreate = BaseModel
    StorageEventCreate = BaseModel
    DisposalCreate = BaseModel
    KitCreate = BaseModel
    ProductInjectionCreate = BaseModel
else:
    DrawCreate = _chain_schema(
        "DrawCreate", "blood_draw", ("drawn_at", "tube", "drawn_by"),
        volume_ml=(Decimalish, ...),
        doc="A blood draw: volume (mL), time (default now), tube (default the protocol's), "
        "drawn by (default the caller).",
    )  # fmt: skip
    ProcessingCreate = _chain_schema(
        "ProcessingCreate", "processing",
        ("started_at", "clotting_minutes", "centrifuge_g", "centrifuge_minutes",
         "centrifuge_temperature", "purification", "protein_concentration", "purity",
         "processed_by"),
        draw_code=(LabelCode, ...),
        doc="The processing of a draw (its label code); parameters outside the protocol's "
        "are flagged and recorded as a product_process deviation.",
    )  # fmt: skip
    AliquotsCreate = _chain_schema(
        "AliquotsCreate", "aliquot", ("volume_ml", "expires_at"),
        processing_id=(RecordId, ...),
        count=(Annotated[int, Field(ge=1, le=100)] | None, None),
        doc="Aliquots of a processing: count (default the protocol's), volume (default the "
        "protocol's), expiry (default processing + the protocol's storage_max_days).",
    )  # fmt: skip
    StorageEventCreate = _chain_schema(
        "StorageEventCreate", "storage_event", ("at", "temperature", "location"),
        aliquot_code=(LabelCode, ...),
        kind=(Literal[entity("storage_event").field("kind").choices], ...),
        doc="What happened to a stored aliquot; each thaw counts against the protocol's "
        "freeze-thaw limit.",
    )  # fmt: skip
    DisposalCreate = _chain_schema(
        "DisposalCreate", "disposal", ("at",),
        # the label of an aliquot, a blinded kit (any arm) or a blood draw; ``aliquot_code``,
        # its name when only aliquots were disposed of, is still accepted
        code=(LabelCode, Field(validation_alias=AliasChoices("code", "aliquot_code"))),
        reason=(Text, ...),
        doc="The disposal of an aliquot, a blinded kit or a blood draw (``code``: its label), "
        "with the reason: it can no longer be injected; an aliquot's or a draw's unused kits "
        "are disposed of with it.",
    )  # fmt: skip
    KitCreate = _chain_schema(
        "KitCreate", "preparation", ("volume_ml", "prepared_at"),
        aliquot_code=(LabelCode | None, None),
        blood_draw_code=(LabelCode | None, None),
        doc="A blinded kit per allocation: a serum or IgG arm's from one of the subject's "
        "usable aliquots (aliquot_code), a whole-blood arm's from one of the subject's blood "
        "draws (blood_draw_code), a saline arm's from saline; volume default the dose.",
    )  # fmt: skip
    ProductInjectionCreate = _chain_schema(
        "ProductInjectionCreate", "injection", ("volume_ml", "site", "side", "lot", "given_at"),
        product_code=(LabelCode, ...),
        given_on=(dt.date, ...),
        visit_code=(Code | None, None),
        doc="An injection by the label code of the aliquot, kit or (whole blood) draw: "
        "refused (422, audited) when the product is another subject's, expired, used, "
        "disposed, thawed too often or drawn too long ago.",
    )  # fmt: skip


class RecordUpdate(_Input):
    """A correction: the fields to change, the version read, and why."""

    changes: dict[Code, ItemValue] = Field(examples=[{"outcome": "recovered"}])
    expected_version: RecordId
    reason: Text


# --- locks (admin branch) ---------------------------------------------------------------
class LockCreate(_Input):
    """A lock on a subject, one of its visits (``visit_code``) or one of its records
    (``entity`` and ``record_id``), with the reason."""

    level: Literal["subject", "visit", "record"]
    reason: Note
    visit_code: Code | None = None
    entity: Code | None = None
    record_id: RecordId | None = None


class DatabaseLockCreate(_Input):
    """The database lock: the reason and, when the analysis follows a SAP file, its SHA-256."""

    reason: Note
    sap_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None


class UnlockRequest(_Input):
    """Lifting a lock (admin): the reason."""

    reason: Note


class AuditPublic(BaseModel):
    id: int
    at: dt.datetime
    username: str
    role: str
    entity: str
    record_id: int
    action: str
    field: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    subject_id: str | None


class ScoreRequest(_Input):
    items: dict[str, ItemValue] = Field(
        description="Flat item columns of the instrument, e.g. {'head_neck_erythema': 2}",
        examples=[{"pruritus": 4}],
    )
    band_set: str | None = None


def _as_text(value: ItemValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_items(code: str, items: Mapping[str, ItemValue]) -> dict[str, Any]:
    """Validate flat item columns of ``code`` exactly as the web form does; the parsed values.

    Raises :class:`ValidationError` naming the first offending column.
    """
    columns = set(get_instrument(code).flat_columns())
    for key in items:
        if key not in columns:
            raise ValidationError(
                key,
                items[key],
                Expected(
                    "an item column of %(code)s: %(values)s",
                    code=code,
                    values=", ".join(sorted(columns)),
                ),
            )
    parsed = parse_instrument_form(code, {k: _as_text(v) for k, v in items.items()})
    for column, message in parsed.errors.items():
        raise ValidationError(column, items.get(column), message.split("expected ", 1)[-1])
    return parsed.flat


def score_items(code: str, items: Mapping[str, ItemValue], band_set: str | None = None) -> Score:
    """Validate and score flat item columns of ``code`` (the instrument's default band set
    unless ``band_set`` names another)."""
    flat = parse_items(code, items)
    return score(code, get_instrument(code).unflatten(flat), band_set=band_set)


# --- data review: queries, source-data verification, electronic signatures (issue 12) --------
class QueryCreate(_Input):
    """A data query on a record, or on one field of it."""

    entity: Code = Field(examples=["adverse_event"])
    record_id: RecordId
    field: Code | None = Field(default=None, examples=["onset_date"])
    text: Note = Field(examples=["Onset date differs from the source notes"])


class QueryStep(_Input):
    """A message moving a query on (close, re-open, cancel)."""

    text: Note


class QueryAnswer(_Input):
    """The site's answer, optionally with the correction of the queried record (its fields
    and the record version the answerer saw)."""

    text: Note
    changes: dict[Code, ItemValue] | None = Field(
        default=None, examples=[{"onset_date": "2026-03-04"}]
    )
    record_version: RecordId | None = None


class VerificationCreate(_Input):
    """A record verified against the source (SDV)."""

    entity: Code = Field(examples=["adverse_event"])
    record_id: RecordId


class SignatureCreate(_Input):
    """An electronic signature: what is signed, its meaning, the signer's password again and
    the signer's time zone (IANA) for the local time shown; the printed name is the signer's
    account's full name (never typed)."""

    level: Literal["visit", "casebook", "study"]
    meaning: Literal["authorship", "review", "approval"]
    password: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    subject_id: Code | None = None
    visit_code: Code | None = None
