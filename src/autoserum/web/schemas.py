"""Pydantic schemas of the API: separate ``*Create``/``*Update`` (input) and ``*Public`` (output).

Input models forbid unknown fields, so a misspelt item code is an error, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from autoserum.errors import ValidationError
from autoserum.instruments import Score, get_instrument, score
from autoserum.web.forms import parse_instrument_form

__all__ = [
    "AdverseEventCreate",
    "AssessmentCreate",
    "AssessmentNotDone",
    "AssessmentPublic",
    "AssessmentUpdate",
    "AuditPublic",
    "Code",
    "ConMedCreate",
    "ConsentCreate",
    "ConsentDocumentCreate",
    "ConsentWithdrawal",
    "EligibilityPublic",
    "InjectionCreate",
    "InstrumentPublic",
    "ItemPublic",
    "ItemValue",
    "LabCreate",
    "RandomiseRequest",
    "RecordId",
    "RecordUpdate",
    "ScoreRequest",
    "StudyPublic",
    "SubjectCreate",
    "SubjectPublic",
    "SubjectScreened",
    "UnblindPublic",
    "UnblindRequest",
    "VisitCreate",
    "WithdrawRequest",
    "parse_items",
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


class InjectionCreate(_Input):
    given_on: dt.date
    volume_ml: Decimalish | None = None
    site: ShortText | None = None
    lot: ShortText | None = None
    visit_code: Code | None = None


class LabCreate(_Input):
    visit_code: Code
    analyte: Code
    value: Decimalish
    unit: ShortText
    ref_low: Decimalish | None = None
    ref_high: Decimalish | None = None


class AdverseEventCreate(_Input):
    term: Text
    severity: Literal["mild", "moderate", "severe"]
    serious: bool
    related: Literal["not_related", "unlikely", "possible", "probable", "definite"]
    outcome: Literal["recovered", "recovering", "not_recovered", "fatal", "unknown"]
    onset_date: dt.date | None = None


class ConMedCreate(_Input):
    name: Text
    dose: ShortText | None = None
    route: ShortText | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    indication: Text | None = None


class RecordUpdate(_Input):
    """A correction: the fields to change, the version read, and why."""

    changes: dict[Code, ItemValue] = Field(examples=[{"outcome": "recovered"}])
    expected_version: RecordId
    reason: Text


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
                key, items[key], f"an item column of {code}: " + ", ".join(sorted(columns))
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
