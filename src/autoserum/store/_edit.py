"""Reading a subject's whole record, and correcting recorded data (``update_record`` with a
reason and the version the editor saw; ``delete_record`` likewise)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from autoserum.store._base import CLINICAL_WRITERS, Actor
from autoserum.store._coerce import as_bool, as_date, as_decimal, as_int, as_text, optional
from autoserum.store._records import RecordsMixin, ae_fields, lab_fields, score_payload
from autoserum.store._subjects import SubjectsMixin
from autoserum.store._views import (
    adverse_event_view,
    assessment_view,
    con_med_view,
    deviation_view,
    injection_view,
    lab_view,
    visit_view,
)
from autoserum.store.models import (
    AUDITED,
    AdverseEventRow,
    AssessmentRow,
    ConMedRow,
    DeviationRow,
    InjectionRow,
    LabRow,
    SiteRow,
    StudyRow,
    SubjectRow,
    VisitRow,
)
from autoserum.study.model import SubjectDetail
from autoserum.study.vocab import PRODUCTS, SEXES, check_choice

__all__ = ["EDITABLE", "EditMixin"]

Conv = Callable[[str, Any], Any]


def _choice(allowed: tuple[str, ...]) -> Conv:
    return lambda field, value: check_choice(field, value, allowed)


def _opt(conv: Conv) -> Conv:
    return lambda field, value: optional(conv, field, value)


def _opt_text(field: str, value: Any) -> Any:
    return None if value is None else as_text(field, value)


def _facts(field: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValidationError(field, value, "a mapping of fact names to values")
    return dict(value)


EDITABLE: dict[str, dict[str, Conv]] = {
    "site": {"name": as_text},
    "subject": {
        "facts": _facts,
        "age": _opt(as_decimal),
        "sex": _opt(_choice(SEXES)),
        "per_protocol": _opt(as_bool),
        "treated": _opt(as_bool),
    },
    "visit": {"visit_date": _opt(as_date), "week": _opt(as_decimal)},
    "assessment": {"payload": _facts, "total": _opt(as_decimal)},
    "lab": {
        "value": as_decimal,
        "unit": as_text,
        "ref_low": _opt(as_decimal),
        "ref_high": _opt(as_decimal),
    },
    "injection": {
        "given_on": as_date,
        "product": _choice(PRODUCTS),
        "volume_ml": _opt(as_decimal),
        "site": _opt_text,
        "lot": _opt_text,
        "given_by": _opt_text,
    },
    "adverse_event": {
        k: (lambda f, v: v)
        for k in ("term", "severity", "serious", "related", "outcome", "onset_date", "onset_week")
    },
    "con_med": {
        "name": as_text,
        "dose": _opt_text,
        "route": _opt_text,
        "start_date": _opt(as_date),
        "end_date": _opt(as_date),
        "indication": _opt_text,
    },
    "deviation": {"kind": as_text, "description": as_text, "days": _opt(as_int)},
}
"""Entity → the fields ``update_record`` may change, with their converters."""

_DELETABLE = frozenset({"assessment", "lab", "injection", "adverse_event", "con_med", "deviation"})


class EditMixin(RecordsMixin, SubjectsMixin):
    """Subject detail and corrections."""

    def subject_detail(self, study: str, subject_id: str, actor: Actor) -> SubjectDetail:
        """Everything recorded about a subject (arm and injected product masked if blinded)."""
        with self._read() as s:
            st = self._study(s, study)
            row = self._subject(s, st, subject_id, actor)
            label = row.subject_id
            sees = actor.sees_arm(st)

            def rows(model: type[Any]) -> list[Any]:
                return list(
                    s.scalars(select(model).where(model.subject_pk == row.id).order_by(model.id))
                )

            return SubjectDetail(
                subject=self._subject_out(s, st, row, actor),
                visits=tuple(visit_view(r, label) for r in rows(VisitRow)),
                assessments=tuple(assessment_view(r, label) for r in rows(AssessmentRow)),
                labs=tuple(lab_view(r, label) for r in rows(LabRow)),
                injections=tuple(
                    injection_view(r, label, sees_arm=sees) for r in rows(InjectionRow)
                ),
                adverse_events=tuple(adverse_event_view(r, label) for r in rows(AdverseEventRow)),
                con_meds=tuple(con_med_view(r, label) for r in rows(ConMedRow)),
                deviations=tuple(deviation_view(r, label) for r in rows(DeviationRow)),
            )

    def _editable_row(
        self, s: Session, entity: str, record_id: int, expected_version: int, actor: Actor
    ) -> tuple[Any, StudyRow, SubjectRow | None]:
        self._require(actor, CLINICAL_WRITERS, "correct recorded data")
        model = AUDITED.get(entity) if entity in EDITABLE else None
        if model is None:
            raise ValidationError("entity", entity, f"one of {', '.join(sorted(EDITABLE))}")
        row = s.get(model, record_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no {entity} with id {record_id}")
        st = s.get(StudyRow, row.study_id)
        assert st is not None  # foreign key
        subject: SubjectRow | None = None
        if isinstance(row, SiteRow):
            self._require(actor, {"admin"}, "rename sites")
        else:
            subject = row if isinstance(row, SubjectRow) else self._subject_by_pk(s, row.subject_pk)
            self._require_site(actor, self._site_code(s, subject.site_id))
        if row.version != expected_version:
            raise ConflictError(
                f"{entity} {record_id} is at version {row.version}, not {expected_version}: "
                "someone changed it meanwhile; reload and retry"
            )
        return row, st, subject

    def update_record(
        self,
        entity: str,
        id: int,
        changes: Mapping[str, Any],
        expected_version: int,
        reason: str,
        actor: Actor,
    ) -> Any:
        """Correct fields of a recorded ``entity`` (``subject``, ``visit``, ``assessment``, ``lab``,
        ``injection``, ``adverse_event``, ``con_med``, ``deviation``, ``site``).

        Needs a reason and the version the editor saw (:class:`ConflictError` when stale).
        Derived fields follow: an assessment is rescored, a lab reconverted and reflagged, a
        visit re-placed in its window. Returns the updated record.
        """
        self._nonempty("reason", reason)
        if not changes:
            raise ValidationError("changes", dict(changes), "at least one field to change")
        with self._write(actor, reason) as s:
            row, st, subject = self._editable_row(s, entity, id, expected_version, actor)
            allowed = EDITABLE[entity]
            values: dict[str, Any] = {}
            for key, value in changes.items():
                conv = allowed.get(key)
                if conv is None:
                    raise ValidationError(
                        f"{entity}.{key}", value, f"one of {', '.join(sorted(allowed))}"
                    )
                values[key] = conv(key, value)
            if entity == "injection" and "product" in values and not actor.sees_arm(st):
                raise PermissionDeniedError("a blinded actor may not change an injected product")
            self._apply(s, entity, row, subject, values)
            s.flush()
            return self._view(s, entity, row, st, subject, actor)

    def _apply(
        self, s: Session, entity: str, row: Any, subject: SubjectRow | None, values: dict[str, Any]
    ) -> None:
        if entity == "lab":
            merged = {k: getattr(row, k) for k in ("value", "unit", "ref_low", "ref_high")}
            merged.update(values)
            values = lab_fields(
                row.analyte, merged["value"], merged["unit"], merged["ref_low"], merged["ref_high"]
            )
        elif entity == "adverse_event":
            merged = {k: getattr(row, k) for k in EDITABLE["adverse_event"]}
            merged.update(values)
            values = ae_fields(**merged)
        elif entity == "assessment" and "payload" in values:
            assert subject is not None
            values["total"], values["band"] = score_payload(
                row.instrument, values["payload"], subject.age
            )
        elif entity == "assessment" and "total" in values:
            if row.payload is not None:
                raise ValidationError(
                    "assessment.total",
                    str(values["total"]),
                    "a payload change (the total is computed)",
                )
            values["total"] = str(values["total"])
        for key, value in values.items():
            setattr(row, key, value)
        if entity in {"visit", "injection"} and subject is not None:
            st = s.get(StudyRow, subject.study_id)
            assert st is not None
            s.flush()
            self._evaluate_windows(s, self._protocol(st), subject)

    def _view(
        self,
        s: Session,
        entity: str,
        row: Any,
        st: StudyRow,
        subject: SubjectRow | None,
        actor: Actor,
    ) -> Any:
        if subject is None:
            return None
        label = subject.subject_id
        views: dict[str, Callable[[], Any]] = {
            "subject": lambda: self._subject_out(s, st, row, actor),
            "visit": lambda: visit_view(row, label),
            "assessment": lambda: assessment_view(row, label),
            "lab": lambda: lab_view(row, label),
            "injection": lambda: injection_view(row, label, sees_arm=actor.sees_arm(st)),
            "adverse_event": lambda: adverse_event_view(row, label),
            "con_med": lambda: con_med_view(row, label),
            "deviation": lambda: deviation_view(row, label),
        }
        return views[entity]()

    def delete_record(
        self,
        entity: str,
        id: int,
        expected_version: int,
        reason: str,
        actor: Actor,
    ) -> None:
        """Delete a recorded ``assessment``, ``lab``, ``injection``, ``adverse_event``,
        ``con_med`` or ``deviation`` entered in error (audited with its reason and content)."""
        self._nonempty("reason", reason)
        if entity not in _DELETABLE:
            raise ValidationError("entity", entity, f"one of {', '.join(sorted(_DELETABLE))}")
        with self._write(actor, reason) as s:
            row, _, _ = self._editable_row(s, entity, id, expected_version, actor)
            s.delete(row)
