"""API: injections, labs, vital signs, adverse events, concomitant medication, the subject's
demographics and history (previous systemic treatments, atopic comorbidities), and corrections
of any recorded value (``PATCH /api/v1/studies/{study}/records/{entity}/{id}``, reason
required)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from autoserum.store import Store
from autoserum.study.history import HISTORY_FIELDS
from autoserum.web.api._common import StudyPath, SubjectPath, jsonable, record_json
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import (
    AdverseEventCreate,
    ComorbidityCreate,
    ConMedCreate,
    DeviationCreate,
    HistoryUpdate,
    InjectionCreate,
    LabCreate,
    PriorTreatmentCreate,
    RecordUpdate,
    VitalSignCreate,
)
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}", tags=["records"])

_SUBJECT = "/subjects/{subject_id}"
#: Entities corrected here; assessments are corrected through their own route (items).
Entity = Literal[
    "subject", "visit", "lab", "injection", "adverse_event", "con_med", "deviation", "vital_sign",
    "prior_treatment", "comorbidity",
]  # fmt: skip


@router.post(_SUBJECT + "/injections", status_code=201)
def record_injection(
    study: StudyPath, subject_id: SubjectPath, body: InjectionCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record an injection given (the product follows the subject's arm)."""
    return add_injection(store, user, study, subject_id, body.model_dump())


def add_injection(
    store: Store, user: ApiUser, study: str, subject_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """An injection through ``records.add_injection`` (the one owner of its rules, product
    codes included), as the API answers it; shared by the product chain's injection route."""
    user.require("write_data")
    study_for(store, user, study)
    row = store.records.add_injection(
        study,
        subject_id,
        values.pop("given_on"),
        actor=user.actor,
        visit_code=values.pop("visit_code"),
        **values,
    )
    return record_json(row)


@router.post(_SUBJECT + "/labs", status_code=201)
def record_lab(
    study: StudyPath, subject_id: SubjectPath, body: LabCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a lab result (converted to the analyte's canonical UCUM unit and flagged)."""
    user.require("write_data")
    study_for(store, user, study)
    values = body.model_dump()
    row = store.records.add_lab(
        study,
        subject_id,
        values.pop("visit_code"),
        values.pop("analyte"),
        values.pop("value"),
        values.pop("unit"),
        actor=user.actor,
        **values,
    )
    return record_json(row)


@router.post(_SUBJECT + "/vital-signs", status_code=201)
def record_vital_signs(
    study: StudyPath, subject_id: SubjectPath, body: VitalSignCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record the vital signs of a recorded visit (each within its plausibility range, the
    diastolic pressure below the systolic; one record per visit)."""
    user.require("write_data")
    study_for(store, user, study)
    values = body.model_dump()
    row = store.records.add_vital_signs(
        study, subject_id, values.pop("visit_code"), actor=user.actor, **values
    )
    return record_json(row)


@router.post(_SUBJECT + "/adverse-events", status_code=201)
def record_adverse_event(
    study: StudyPath,
    subject_id: SubjectPath,
    body: AdverseEventCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record an adverse event."""
    user.require("write_data")
    study_for(store, user, study)
    row = store.records.add(study, subject_id, "adverse_event", body.model_dump(), actor=user.actor)
    return record_json(row)


@router.post(_SUBJECT + "/con-meds", status_code=201)
def record_con_med(
    study: StudyPath, subject_id: SubjectPath, body: ConMedCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a concomitant medication."""
    user.require("write_data")
    study_for(store, user, study)
    row = store.records.add(study, subject_id, "con_med", body.model_dump(), actor=user.actor)
    return record_json(row)


@router.put(_SUBJECT + "/history")
def record_history(
    study: StudyPath, subject_id: SubjectPath, body: HistoryUpdate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record the subject's demographics and history of atopic dermatitis: ``birth_date`` or
    ``age`` (given a date of birth, the age is derived on the screening date), ``sex``,
    ``ethnicity`` and ``race`` (the protocol's categories), ``fitzpatrick`` (I-VI),
    ``ad_onset_age`` (not above the age). Only the fields given change, each audited."""
    user.require("write_data")
    study_for(store, user, study)
    values = body.model_dump(exclude_unset=True)
    subject = store.records.record_history(study, subject_id, actor=user.actor, **values)
    return {
        "subject_id": subject.subject_id,
        "version": subject.version,
        **{name: jsonable(getattr(subject, name)) for name in HISTORY_FIELDS},
        "ad_duration": jsonable(subject.ad_duration),
    }


@router.post(_SUBJECT + "/prior-treatments", status_code=201)
def record_prior_treatment(
    study: StudyPath,
    subject_id: SubjectPath,
    body: PriorTreatmentCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record a previous systemic treatment of atopic dermatitis (the class follows from the
    ATC code; its years within the subject's life, the start not after the end)."""
    user.require("write_data")
    study_for(store, user, study)
    values = body.model_dump()
    row = store.records.add(study, subject_id, "prior_treatment", values, actor=user.actor)
    return record_json(row)


@router.post(_SUBJECT + "/comorbidities", status_code=201)
def record_comorbidity(
    study: StudyPath,
    subject_id: SubjectPath,
    body: ComorbidityCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record an atopic comorbidity (``other`` described; its onset not above the age)."""
    user.require("write_data")
    study_for(store, user, study)
    row = store.records.add(study, subject_id, "comorbidity", body.model_dump(), actor=user.actor)
    return record_json(row)


@router.post(_SUBJECT + "/deviations", status_code=201)
def record_deviation(
    study: StudyPath, subject_id: SubjectPath, body: DeviationCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a protocol deviation noticed by staff: ``kind`` (its category), ``description``,
    ``occurred_on``, ``importance`` (major or minor: a major one takes the subject out of the
    per-protocol set), ``corrective_action``."""
    user.require("write_data")
    study_for(store, user, study)
    row = store.records.add(study, subject_id, "deviation", body.model_dump(), actor=user.actor)
    return record_json(row)


@router.get("/deviations")
def list_deviations(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """Every protocol deviation of the subjects at the caller's sites (automatic and manual)."""
    user.require("read_subject")
    study_for(store, user, study)
    return [record_json(d) for d in store.records.deviations(study, actor=user.actor)]


@router.patch("/records/{entity}/{record_id}")
def update_record(
    study: StudyPath,
    entity: Entity,
    record_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: RecordUpdate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Correct a recorded value; the reason and the version read are required (409 when
    someone changed the record meanwhile). Assessments: ``PATCH …/assessments/{id}``."""
    user.require("write_data")
    study_for(store, user, study)
    changes: dict[str, Any] = dict(body.changes)
    updated = store.records.update(
        study,
        entity,
        record_id,
        changes,
        actor=user.actor,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return {} if updated is None else record_json(updated)
