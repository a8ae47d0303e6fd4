"""``store.product``: the autologous product's chain of identity (docs/product.md).

The unblinded preparer (action ``prepare_product``) records a subject's blood draw, its
processing (parameters checked against the arm's ``process`` in the protocol; a deviation is
flagged on the record and recorded as a ``product_process`` protocol deviation), the aliquots
(each with its label code, :func:`autoserum.study.aliquots.label_code`, and its expiry from the
protocol's shelf life), their storage events (freeze, thaw, move), their disposal, and blinded
kits (serum from an aliquot, or saline, per allocation; the injector sees only the kit's code
and volume).

An injection names its product by code (:func:`resolve_product`, called by
``records.add_injection`` on every path): once a study records its product chain (a draw or a
kit), every injection needs a code; a code of another subject, an expired, used, disposed or
too often thawed aliquot, a used kit or whole blood past the draw-to-injection limit is
refused, and the refusal audited. The product is judged as it was when the injection was given
(:func:`autoserum.study.aliquots.administered_at`), so a back-dated record is checked against
expiry, thaws, disposal and the draw time as they were then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, NotFoundError, StateError, ValidationError
from autoserum.protocols import (
    ProductProcess,
    Protocol,
    draw_to_injection_refusal,
    expiry,
    fact_number,
    process_deviations,
)
from autoserum.store._accountability import accountability
from autoserum.store._base import Actor, Service
from autoserum.store._consent import require_consent
from autoserum.store._locks import require_unlocked
from autoserum.store._subjects import subject_by_pk
from autoserum.store._views import domain_record, injection_view
from autoserum.store.models import (
    AliquotRow,
    BloodDrawRow,
    DeviationRow,
    DisposalRow,
    InjectionRow,
    PreparationRow,
    ProcessingRow,
    StorageEventRow,
    StudyRow,
    SubjectRow,
)
from autoserum.study.aliquots import (
    AliquotState,
    administered_at,
    kit_expiry_refusal,
    kit_shelf_life,
    kit_source_refusal,
    kit_use_by,
    label_code,
    parse_label_code,
    refusal,
)
from autoserum.study.deviations import PROCESSING, joined
from autoserum.study.entities import PROCESS_CODE_PREFIXES, PRODUCT_DEVIATION, entity
from autoserum.study.locks import Target
from autoserum.study.model import (
    Aliquot,
    BloodDraw,
    Preparation,
    Processing,
    ProductLife,
    StorageEvent,
)
from autoserum.study.status import TERMINAL_STATUSES, SubjectStatus

__all__ = [
    "ProductService",
    "Resolved",
    "chain_in_use",
    "chain_in_use_clause",
    "kit_use_by_of",
    "resolve_product",
]


@dataclass(frozen=True)
class Resolved:
    """The product an injection's code names: its link (``draw_id``, ``aliquot_id`` or
    ``preparation_id``) and the product injected."""

    links: Mapping[str, int]
    product: str


def _process(protocol: Protocol, arm: str | None) -> ProductProcess | None:
    return next((a.process for a in protocol.arms if a.code == arm), None)


def _arm_product(protocol: Protocol, arm: str | None) -> str:
    return next((a.product for a in protocol.arms if a.code == arm), "none")


def chain_in_use(s: Session, study_id: int) -> bool:
    """Whether the study records its product chain (a draw or a kit): then every injection
    must name its product by code."""
    return bool(s.scalar(select(chain_in_use_clause(study_id))))


def chain_in_use_clause(study_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """:func:`chain_in_use` as an SQL expression (to be read with other values at once; the
    study's id or a bound parameter)."""
    return or_(
        exists().where(BloodDrawRow.study_id == study_id),
        exists().where(PreparationRow.study_id == study_id),
    )


def _given(s: Session, column: Any, row_id: int) -> list[tuple[date, Decimal | None]]:
    return [
        (r.given_on, r.volume_ml) for r in s.execute(
            select(InjectionRow.given_on, InjectionRow.volume_ml).where(column == row_id)
        )
    ]  # fmt: skip


def _volume_refusal(
    what: str, available: Decimal | None, given: list[tuple[date, Decimal | None]],
    volume: Decimal | None,
) -> str | None:  # fmt: skip
    if available is None or volume is None:
        return None
    left = available - sum((v for _, v in given if v is not None), Decimal(0))
    if volume > left:
        return f"{what} has {left} mL left, not {volume} mL"
    return None


def _thaws(s: Session, aliquot_id: int, *, until: datetime) -> int:
    """Thaws of the aliquot recorded at or before ``until``."""
    return int(
        s.scalar(
            select(func.count()).where(
                StorageEventRow.aliquot_id == aliquot_id,
                StorageEventRow.kind == "thawed",
                StorageEventRow.at <= until,
            )
        )
        or 0
    )


def _disposed(s: Session, link: Any, row_id: int, *, until: datetime | None = None) -> bool:
    """Whether the aliquot, kit or draw ``row_id`` (``link``: the disposal's column naming
    it, ``DisposalRow.aliquot_id``) was disposed of (at or before ``until`` when given)."""
    query = select(DisposalRow.id).where(link == row_id)
    if until is not None:
        query = query.where(DisposalRow.at <= until)
    return s.scalar(query.limit(1)) is not None


def _aliquot_refusal(
    s: Session,
    row: AliquotRow,
    protocol: Protocol,
    *,
    owner: SubjectRow,
    subject_id: str,
    at: datetime,
    given_on: date,
    volume: Decimal | None,
) -> str | None:
    """Why the aliquot may not be given at ``at`` (as it was then)."""
    ident = parse_label_code(row.code)[2]
    given = _given(s, InjectionRow.aliquot_id, row.id)
    process = _process(protocol, owner.arm)
    state = AliquotState(
        aliquot_id=ident,
        subject_id=owner.subject_id,
        expires_at=row.expires_at,
        used=any(day != given_on for day, _ in given),
        disposed=_disposed(s, DisposalRow.aliquot_id, row.id, until=at),
        thaws=_thaws(s, row.id, until=at),
        max_thaws=None if process is None else _int(fact_number(process.freeze_thaw_max)),
        made_at=s.scalar(select(ProcessingRow.started_at).where(
            ProcessingRow.id == row.processing_id
        )),
    )  # fmt: skip
    return refusal(state, subject_id=subject_id, at=at) or _volume_refusal(
        f"aliquot {ident}", row.volume_ml, given, volume
    )


def _int(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def resolve_product(
    s: Session,
    st: StudyRow,
    subject: SubjectRow,
    protocol: Protocol,
    code: str,
    *,
    given_on: date,
    given_at: datetime | None,
    now: datetime,
    today: date,
    volume: Decimal | None,
) -> Resolved | str:
    """The product labelled ``code`` if ``subject`` may be injected with it at the time given
    (:func:`~autoserum.study.aliquots.administered_at` of ``given_on``, ``given_at``, ``now``
    and ``today``); else why not (a refusal naming the mismatch). A malformed code or a wrong
    check value, a time given after now or off its date, and a whole-blood injection of an
    earlier day without its time (the draw-to-injection limit cannot be checked) are a
    :class:`ValidationError` (a typing error, not a refusal)."""
    at = administered_at(given_on, given_at, now=now, today=today)
    study_name, _, ident = parse_label_code(code)
    code = code.strip()
    if study_name != st.name:
        return f"label {code} is of study {study_name}, not of {st.name}"
    row, kind = _labelled(s, st, ident, code)
    if row is None:
        return f"no aliquot, kit or blood draw labelled {code} in study {st.name}"
    owner = subject_by_pk(s, row.subject_pk)
    if owner.id != subject.id:
        what = {"aliquot": "aliquot", "preparation": "kit", "blood_draw": "blood draw"}[kind]
        return f"{what} {ident} belongs to subject {owner.subject_id}, not to {subject.subject_id}"
    if isinstance(row, AliquotRow):
        why = _aliquot_refusal(
            s, row, protocol, owner=owner, subject_id=subject.subject_id, at=at,
            given_on=given_on, volume=volume,
        )  # fmt: skip
        product = _arm_product(protocol, owner.arm)
        return why or Resolved({"aliquot_id": row.id}, product)
    process = _process(protocol, owner.arm)
    if isinstance(row, PreparationRow):
        draw = None if row.blood_draw_id is None else s.get(BloodDrawRow, row.blood_draw_id)
        if draw is not None:
            _require_time(process, given_on=given_on, given_at=given_at, today=today)
        why = _kit_refusal(s, row, ident, at, protocol=protocol, draw=draw, process=process)
        return why or Resolved({"preparation_id": row.id}, row.product)
    _require_time(process, given_on=given_on, given_at=given_at, today=today)
    if _disposed(s, DisposalRow.blood_draw_id, row.id, until=at):
        return f"blood draw {ident} was disposed of"
    why = draw_to_injection_refusal(
        process, label=ident, drawn_at=row.drawn_at, at=at
    ) or _volume_refusal(f"blood draw {ident}", row.volume_ml, _draw_uses(s, row.id), volume)
    return why or Resolved({"draw_id": row.id}, "whole_blood")


def _require_time(
    process: ProductProcess | None, *, given_on: date, given_at: datetime | None, today: date
) -> None:
    """Whole blood given on an earlier day needs its time given (the draw-to-injection limit
    is checked against it): a :class:`ValidationError` otherwise."""
    timed = given_at is not None or given_on >= today
    if not timed and process is not None and fact_number(process.max_minutes_draw_to_injection):
        raise ValidationError(
            "given_at",
            None,
            Expected(
                "the time given (whole blood given on an earlier day: the "
                "draw-to-injection limit is checked against it)"
            ),
        )


def _draw_uses(s: Session, draw_id: int) -> list[tuple[date, Decimal | None]]:
    """What was taken from a draw: its injections given by the draw's code and the kits
    filled from it (the kit's volume, on the day it was prepared)."""
    kits = s.execute(
        select(PreparationRow.prepared_at, PreparationRow.volume_ml).where(
            PreparationRow.blood_draw_id == draw_id
        )
    )
    return [*_given(s, InjectionRow.draw_id, draw_id), *((at.date(), v) for at, v in kits)]


_LABELLED: dict[str, Any] = {
    "aliquot": AliquotRow,
    "preparation": PreparationRow,
    "blood_draw": BloodDrawRow,
}


_DISPOSED_BY: dict[str, str] = {
    "aliquot": "aliquot_id",
    "preparation": "preparation_id",
    "blood_draw": "blood_draw_id",
}
"""Per labelled record type, the column of its disposal (``disposals.aliquot_id``)."""


def _labelled(s: Session, st: StudyRow, ident: str, code: str) -> tuple[Any, str]:
    """The aliquot, kit or draw labelled ``code`` in ``st`` (``None`` if none), and its kind."""
    kind = next((k for k, prefix in PROCESS_CODE_PREFIXES.items() if ident.startswith(prefix)), "")
    model = _LABELLED.get(kind)
    if model is None:
        return None, kind
    return s.scalar(select(model).where(model.study_id == st.id, model.code == code)), kind


def _kit_refusal(
    s: Session,
    row: PreparationRow,
    ident: str,
    at: datetime,
    *,
    protocol: Protocol,
    draw: BloodDrawRow | None = None,
    process: ProductProcess | None = None,
) -> str | None:
    """Why the kit may not be given at ``at`` (as it was then): already injected, prepared
    after it, past its use-by (:func:`kit_use_by`: the same rule and words for every kit,
    whatever the arm; for an active arm's kit capped by its aliquot's expiry or its draw's
    draw-to-injection limit), or disposed of (``kit KIT-n was disposed of``: the same words
    for every kit, whatever the arm; a kit is disposed of with its aliquot or draw,
    :meth:`ProductService.dispose`). A kit whose aliquot was disposed of before kits were
    (migration ``0029``) is refused for its source (a :func:`kit_source_refusal`, worded
    alike for blinded readers)."""
    if s.scalar(select(InjectionRow.id).where(InjectionRow.preparation_id == row.id)):
        return f"kit {ident} was already injected"
    if at < row.prepared_at:
        return f"kit {ident} was prepared at {row.prepared_at.isoformat()}, after the injection"
    aliquot = None if row.aliquot_id is None else s.get(AliquotRow, row.aliquot_id)
    why = kit_expiry_refusal(
        ident, _use_by(protocol, row, aliquot=aliquot, draw=draw, process=process), at=at
    )
    if why is not None:
        return why
    if _disposed(s, DisposalRow.preparation_id, row.id, until=at):
        return f"kit {ident} was disposed of"
    if row.aliquot_id is not None and (
        aliquot is None or _disposed(s, DisposalRow.aliquot_id, aliquot.id, until=at)
    ):
        return kit_source_refusal(ident, "its aliquot was disposed of")
    return None


def _use_by(
    protocol: Protocol,
    row: PreparationRow,
    *,
    aliquot: AliquotRow | None,
    draw: BloodDrawRow | None,
    process: ProductProcess | None,
) -> datetime:
    """The kit's use-by (:func:`kit_use_by`) from its filling time and its source's expiry:
    the aliquot's, or the draw's time plus the arm's draw-to-injection limit."""
    source: datetime | None = None if aliquot is None else aliquot.expires_at
    if draw is not None:
        limit = None if process is None else fact_number(process.max_minutes_draw_to_injection)
        if limit is not None:
            source = draw.drawn_at + timedelta(minutes=float(limit))
    return kit_use_by(protocol, row.prepared_at, source_expires_at=source)


def kit_use_by_of(s: Session, protocol: Protocol, row: PreparationRow) -> datetime:
    """The use-by of the kit ``row`` (:func:`kit_use_by`, its source read from ``s``)."""
    aliquot = None if row.aliquot_id is None else s.get(AliquotRow, row.aliquot_id)
    draw = None if row.blood_draw_id is None else s.get(BloodDrawRow, row.blood_draw_id)
    owner = subject_by_pk(s, row.subject_pk)
    return _use_by(protocol, row, aliquot=aliquot, draw=draw, process=_process(protocol, owner.arm))


def _next_code(s: Session, st: StudyRow, model: Any, subject_id: str, kind: str) -> str:
    n = int(s.scalar(select(func.count()).where(model.study_id == st.id)) or 0) + 1
    return label_code(st.name, subject_id, f"{PROCESS_CODE_PREFIXES[kind]}{n:04d}")


class ProductService(Service):
    """``store.product``: recording the product's chain of identity (``prepare_product``) and
    reading a subject's product life (masked for blinded viewers)."""

    # --- helpers ------------------------------------------------------------------------
    def _preparing(
        self, s: Session, study: str, subject_id: str, actor: Actor
    ) -> tuple[StudyRow, SubjectRow]:
        self._require(actor, "prepare_product")
        st = self._study(s, study)
        row = self._subject(s, st, subject_id, actor, action="prepare_product", lock=True)
        if SubjectStatus(row.status) in TERMINAL_STATUSES - {SubjectStatus.COMPLETED}:
            raise StateError(
                Message(
                    "subject %(subject_id)s is %(status)s: no new product",
                    subject_id=repr(subject_id),
                    status=row.status,
                )
            )
        if row.arm is None:
            raise StateError(
                Message("subject %(subject_id)s is not allocated yet", subject_id=repr(subject_id))
            )
        require_unlocked(
            s,
            st,
            Target(subject_pk=row.id),
            what=Message("record product of %(subject_id)s", subject_id=subject_id),
        )
        return st, row

    def _coded(
        self, s: Session, study: str, code: str, model: Any, actor: Actor
    ) -> tuple[StudyRow, SubjectRow, Any]:
        """The record of ``model`` labelled ``code`` in ``study``, for a preparer."""
        st_name, subject_id, _ = parse_label_code(code)
        if st_name != study:
            raise ValidationError("code", code, Expected("a label of study %(study)s", study=study))
        st, subject = self._preparing(s, study, subject_id, actor)
        row = s.scalar(select(model).where(model.study_id == st.id, model.code == code.strip()))
        if row is None:
            raise NotFoundError(
                Message(
                    "no %(entity)s labelled %(code)s",
                    entity=model.__entity__.replace("_", " "),
                    code=repr(code),
                )
            )
        return st, subject, row

    def _at(self, name: str, value: datetime | str | None) -> datetime:
        when = self._now() if value is None else entity("blood_draw").field("drawn_at").convert(
            value, name=name
        )  # fmt: skip
        if when > self._now():
            raise ValidationError(name, value, Expected("a time not after now"))
        return when

    def _insert(self, s: Session, row: Any) -> Any:
        s.add(row)
        s.flush()
        return row

    # --- recording ----------------------------------------------------------------------
    def draw(
        self,
        study: str,
        subject_id: str,
        *,
        actor: Actor,
        volume_ml: Decimal | int | float | str,
        drawn_at: datetime | str | None = None,
        tube: str | None = None,
        drawn_by: str | None = None,
    ) -> BloodDraw:
        """Record a blood draw of ``subject_id`` (whole blood: the product itself); its code
        ``AS1:<study>:<subject>:BD-nnnn:<check>`` labels the tube."""
        spec = entity("blood_draw")
        when = self._at("drawn_at", drawn_at)
        with self._write(actor, "blood draw") as s:
            st, subject = self._preparing(s, study, subject_id, actor)
            require_consent(s, st, subject, on=when.date(), what=Message("draw blood"))
            process = _process(self._protocol(st), subject.arm)
            row = BloodDrawRow(
                study_id=st.id,
                subject_pk=subject.id,
                code=_next_code(s, st, BloodDrawRow, subject.subject_id, "blood_draw"),
                drawn_at=when,
                volume_ml=spec.field("volume_ml").convert(volume_ml),
                tube=spec.field("tube").convert(
                    tube or (None if process is None else _text(process.tube.value))
                ),
                drawn_by=spec.field("drawn_by").convert(drawn_by or actor.username),
                version=1,
            )
            return domain_record("blood_draw", self._insert(s, row), subject.subject_id)

    def process(
        self,
        study: str,
        draw_code: str,
        *,
        actor: Actor,
        started_at: datetime | str | None = None,
        processed_by: str | None = None,
        **parameters: Any,
    ) -> Processing:
        """Record the processing of the draw labelled ``draw_code``: ``parameters`` are the
        registry's (``clotting_minutes``, ``centrifuge_g``, ``centrifuge_minutes``,
        ``centrifuge_temperature``, ``purification``, ``protein_concentration``, ``purity``).
        Parameters that deviate from the arm's process are flagged and recorded as a
        ``product_process`` protocol deviation."""
        spec = entity("processing")
        allowed = set(spec.names) - {"started_at", "processed_by", "deviates", "deviations"}
        for key in parameters:
            if key not in allowed:
                raise ValidationError(
                    f"processing.{key}",
                    parameters[key],
                    Expected("one of %(values)s", values=sorted(allowed)),
                )
        values = {k: spec.field(k).convert(v) for k, v in parameters.items() if v not in (None, "")}
        when = self._at("started_at", started_at)
        with self._write(actor, "processing") as s:
            st, subject, draw = self._coded(s, study, draw_code, BloodDrawRow, actor)
            if when < draw.drawn_at:
                raise ValidationError(
                    "started_at", when.isoformat(), Expected("a time after the draw")
                )
            process = _process(self._protocol(st), subject.arm)
            if process is None:
                arm = subject.arm
                raise StateError(
                    Message("arm %(arm)s declares no product process to follow", arm=repr(arm))
                )
            found = process_deviations(process, values)
            row = ProcessingRow(
                study_id=st.id,
                subject_pk=subject.id,
                draw_id=draw.id,
                started_at=when,
                processed_by=spec.field("processed_by").convert(processed_by or actor.username),
                deviates=bool(found),
                deviations="; ".join(found) or None,
                version=1,
                **values,
            )
            self._insert(s, row)
            if found:
                self._insert(s, DeviationRow(
                    study_id=st.id, subject_pk=subject.id, kind=PRODUCT_DEVIATION,
                    description=PROCESSING(draw=draw.code, found=joined(found)), version=1,
                ))  # fmt: skip
            return domain_record("processing", row, subject.subject_id)

    def make_aliquots(
        self,
        study: str,
        processing_id: int,
        *,
        actor: Actor,
        count: int | None = None,
        volume_ml: Decimal | int | float | str | None = None,
        expires_at: datetime | str | None = None,
    ) -> tuple[Aliquot, ...]:
        """Make ``count`` aliquots (default: the protocol's ``aliquot_count``) of
        ``volume_ml`` (default: ``aliquot_volume``) from a processing; each expires at the
        protocol's shelf life after processing unless ``expires_at`` is given."""
        spec = entity("aliquot")
        with self._write(actor, "aliquots") as s:
            self._require(actor, "prepare_product")
            proc = s.get(ProcessingRow, processing_id)
            st = self._study(s, study)
            if proc is None or proc.study_id != st.id:
                raise NotFoundError(
                    Message(
                        "no processing with id %(processing_id)s in study %(study)s",
                        processing_id=processing_id,
                        study=repr(study),
                    )
                )
            owner = subject_by_pk(s, proc.subject_pk)
            st, subject = self._preparing(s, study, owner.subject_id, actor)
            process = _process(self._protocol(st), subject.arm)
            assert process is not None  # a processing exists only for an arm with a process
            n = count if count is not None else _int(fact_number(process.aliquot_count))
            if n is None or not 1 <= int(n) <= 100:
                raise ValidationError(
                    "count", count, Expected("a number of aliquots from 1 to 100")
                )
            volume = volume_ml if volume_ml is not None else fact_number(process.aliquot_volume)
            until = (
                expiry(process, proc.started_at)
                if expires_at is None
                else spec.field("expires_at").convert(expires_at)
            )
            if until is None:
                raise ValidationError(
                    "expires_at",
                    None,
                    Expected("an expiry (the protocol declares no storage_max_days)"),
                )
            out = []
            for _ in range(int(n)):
                row = AliquotRow(
                    study_id=st.id,
                    subject_pk=subject.id,
                    processing_id=proc.id,
                    code=_next_code(s, st, AliquotRow, subject.subject_id, "aliquot"),
                    volume_ml=spec.field("volume_ml").convert(volume),
                    expires_at=until,
                    prepared_by=actor.username,
                    version=1,
                )
                out.append(domain_record("aliquot", self._insert(s, row), subject.subject_id))
            return tuple(out)

    def storage_event(
        self,
        study: str,
        aliquot_code: str,
        kind: str,
        *,
        actor: Actor,
        at: datetime | str | None = None,
        temperature: Decimal | int | float | str | None = None,
        location: str | None = None,
    ) -> StorageEvent:
        """Record what happened to a stored aliquot (``stored``, ``frozen``, ``thawed``,
        ``moved``); each ``thawed`` counts against the protocol's freeze-thaw limit."""
        spec = entity("storage_event")
        values = {
            "kind": spec.field("kind").convert(kind),
            "temperature": spec.field("temperature").convert(temperature),
            "location": spec.field("location").convert(location),
        }
        when = self._at("at", at)
        with self._write(actor, f"aliquot {kind}") as s:
            st, subject, aliquot = self._coded(s, study, aliquot_code, AliquotRow, actor)
            row = StorageEventRow(
                study_id=st.id, subject_pk=subject.id, aliquot_id=aliquot.id, at=when,
                recorded_by=actor.username, version=1, **values,
            )  # fmt: skip
            return domain_record("storage_event", self._insert(s, row), subject.subject_id)

    def dispose(
        self,
        study: str,
        code: str,
        *,
        actor: Actor,
        reason: str,
        at: datetime | str | None = None,
    ) -> Any:
        """Record the disposal of the aliquot, blinded kit (of any arm: a saline kit too) or
        blood draw labelled ``code``, with the reason: it can no longer be injected (a kit is
        refused ``kit KIT-n was disposed of`` whatever its arm). Disposing of an aliquot or a
        draw disposes of the kits filled from it that were neither injected nor disposed of,
        each a disposal of its own (audited; at the same time, or the kit's filling time if
        later, with the same reason). Returns the disposal of ``code``."""
        why = entity("disposal").field("reason").convert(reason)
        when = self._at("at", at)
        ident = parse_label_code(code)[2]
        kind = next((k for k, p in PROCESS_CODE_PREFIXES.items() if ident.startswith(p)), "")
        if kind not in _DISPOSED_BY:
            raise ValidationError(
                "code",
                code,
                Expected("the label code of an aliquot, a blinded kit or a blood draw"),
            )
        link = _DISPOSED_BY[kind]
        with self._write(actor, why) as s:
            st, subject, item = self._coded(s, study, code, _LABELLED[kind], actor)
            if _disposed(s, getattr(DisposalRow, link), item.id):
                raise StateError(
                    Message("%(code)s is disposed of already", code=repr(code.strip()))
                )
            row = DisposalRow(
                study_id=st.id, subject_pk=subject.id, at=when, reason=why,
                disposed_by=actor.username, version=1, **{link: item.id},
            )  # fmt: skip
            self._insert(s, row)
            if kind != "preparation":
                source = getattr(PreparationRow, link)
                for kit in s.scalars(
                    select(PreparationRow)
                    .where(
                        source == item.id,
                        ~exists().where(InjectionRow.preparation_id == PreparationRow.id),
                        ~exists().where(DisposalRow.preparation_id == PreparationRow.id),
                    )
                    .order_by(PreparationRow.id)
                ):
                    self._insert(s, DisposalRow(
                        study_id=st.id, subject_pk=subject.id, preparation_id=kit.id,
                        at=max(when, kit.prepared_at), reason=why,
                        disposed_by=actor.username, version=1,
                    ))  # fmt: skip
            return domain_record("disposal", row, subject.subject_id)

    def prepare_kit(
        self,
        study: str,
        subject_id: str,
        *,
        actor: Actor,
        volume_ml: Decimal | int | float | str | None = None,
        aliquot_code: str | None = None,
        blood_draw_code: str | None = None,
        prepared_at: datetime | str | None = None,
    ) -> Preparation:
        """Prepare a blinded kit for ``subject_id`` per allocation: a serum or IgG arm's kit
        is filled from one of the subject's usable aliquots (``aliquot_code``), a whole-blood
        arm's from one of the subject's blood draws (``blood_draw_code``: within the
        draw-to-injection limit, with the volume left), a saline arm's from saline; the volume
        defaults to the arm's dose. The injector sees the kit's code and volume only."""
        spec = entity("preparation")
        when = self._at("prepared_at", prepared_at)
        if aliquot_code and blood_draw_code:
            raise ValidationError(
                "blood_draw_code", blood_draw_code,
                Expected("either an aliquot code or a blood draw code, not both"),
            )  # fmt: skip
        with self._write(actor, "blinded kit") as s:
            st, subject = self._preparing(s, study, subject_id, actor)
            protocol = self._protocol(st)
            arm = next(a for a in protocol.arms if a.code == subject.arm)
            whole = arm.process is not None and arm.product == "whole_blood"
            if blood_draw_code and not whole:
                raise ValidationError(
                    "blood_draw_code", blood_draw_code,
                    Expected("no blood draw code (arm %(arm)s is not given whole blood)",
                             arm=arm.code),
                )  # fmt: skip
            volume = spec.field("volume_ml").convert(
                volume_ml if volume_ml is not None else fact_number(arm.dose)
            )
            links: dict[str, int | None] = {"aliquot_id": None, "blood_draw_id": None}
            if whole:
                links["blood_draw_id"] = self._source(
                    s, st, subject, protocol, name="blood_draw_code", code=blood_draw_code,
                    link="draw_id", when=when, volume=volume,
                )  # fmt: skip
            elif arm.process is not None:
                source = self._source(
                    s, st, subject, protocol, name="aliquot_code", code=aliquot_code,
                    link="aliquot_id", when=when, volume=None,
                )  # fmt: skip
                self._keeps(s, protocol, source, aliquot_code, when=when)
                links["aliquot_id"] = source
            row = PreparationRow(
                study_id=st.id,
                subject_pk=subject.id,
                **links,
                code=_next_code(s, st, PreparationRow, subject.subject_id, "preparation"),
                product=arm.product,
                volume_ml=volume,
                prepared_at=when,
                prepared_by=actor.username,
                version=1,
            )
            return domain_record("preparation", self._insert(s, row), subject.subject_id)

    @staticmethod
    def _keeps(
        s: Session, protocol: Protocol, aliquot_id: int, code: str | None, *, when: datetime
    ) -> None:
        """An aliquot a kit is filled from at ``when`` must keep beyond the kit's shelf life
        (:func:`kit_shelf_life`): every kit's use-by is then its filling time plus that
        window, whatever the arm (a use-by cut short by its aliquot would tell the arm)."""
        aliquot = s.get(AliquotRow, aliquot_id)
        assert aliquot is not None
        use_by = when + kit_shelf_life(protocol)
        if aliquot.expires_at <= use_by:
            raise ValidationError(
                "aliquot_code", code,
                Expected("an aliquot that keeps beyond the kit's use-by (%(use_by)s; it "
                         "expires at %(expires)s)", use_by=use_by.isoformat(),
                         expires=aliquot.expires_at.isoformat()),
            )  # fmt: skip

    def _source(
        self,
        s: Session,
        st: StudyRow,
        subject: SubjectRow,
        protocol: Protocol,
        *,
        name: str,
        code: str | None,
        link: str,
        when: datetime,
        volume: Decimal | None,
    ) -> int:
        """The id of the aliquot or draw (``link``) labelled ``code`` (the parameter
        ``name``) a kit of ``subject`` is filled from at ``when``: the subject's, usable then
        (a draw: within its draw-to-injection limit, ``volume`` left)."""
        expected = (
            Expected("the code of a blood draw of %(subject_id)s", subject_id=subject.subject_id)
            if link == "draw_id"
            else Expected("the code of an aliquot of %(subject_id)s", subject_id=subject.subject_id)
        )
        if not code:
            raise ValidationError(name, code, expected)
        outcome = resolve_product(
            s, st, subject, protocol, code, given_on=when.date(), given_at=when,
            now=self._now(), today=self._today(), volume=volume,
        )  # fmt: skip
        if isinstance(outcome, str):
            raise ValidationError(
                name, code, Expected("a usable product for a kit (%(why)s)", why=outcome)
            )
        found = outcome.links.get(link)
        if found is None:
            raise ValidationError(name, code, expected)
        return found

    # --- reading ------------------------------------------------------------------------
    def life(self, study: str, subject_id: str, *, actor: Actor) -> ProductLife:
        """The subject's product from draw to injection as ``actor`` may see it (readers of
        the subject or preparers; a blinded viewer sees the kits only, their product masked)."""
        with self._read() as s:
            st = self._study(s, study)
            action = "read_subject" if actor.may("read_subject", st.name) else "prepare_product"
            subject = self._subject(s, st, subject_id, actor, action=action)
            sees = actor.sees_arm(st)
            label = subject.subject_id

            def rows(model: Any, name: str) -> tuple[Any, ...]:
                found = s.scalars(
                    select(model).where(model.subject_pk == subject.id).order_by(model.id)
                )
                return tuple(domain_record(name, r, label, sees_arm=sees) for r in found)

            kits = rows(PreparationRow, "preparation")
            protocol = self._protocol(st)
            use_by = {
                r.id: kit_use_by_of(s, protocol, r)
                for r in s.scalars(
                    select(PreparationRow).where(PreparationRow.subject_pk == subject.id)
                )
            }
            injections = tuple(
                injection_view(r, label, sees_arm=sees)
                for r in s.scalars(
                    select(InjectionRow)
                    .where(InjectionRow.subject_pk == subject.id)
                    .order_by(InjectionRow.given_on, InjectionRow.id)
                )
            )
            if not sees:
                return ProductLife(
                    label, blinded=True, kits=kits, injections=injections, use_by=use_by
                )
            aliquots = rows(AliquotRow, "aliquot")
            return ProductLife(
                label,
                blinded=False,
                draws=rows(BloodDrawRow, "blood_draw"),
                processings=rows(ProcessingRow, "processing"),
                aliquots=aliquots,
                storage_events=rows(StorageEventRow, "storage_event"),
                disposals=rows(DisposalRow, "disposal"),
                kits=kits,
                injections=injections,
                status={a.id: self._status(s, st, subject, a.id) for a in aliquots},
                use_by=use_by,
            )

    def _status(self, s: Session, st: StudyRow, subject: SubjectRow, aliquot_id: int) -> str:
        row = s.get(AliquotRow, aliquot_id)
        assert row is not None
        if _disposed(s, DisposalRow.aliquot_id, aliquot_id):
            return "disposed"
        if _given(s, InjectionRow.aliquot_id, aliquot_id):
            return "injected"
        why = _aliquot_refusal(
            s, row, self._protocol(st), owner=subject, subject_id=subject.subject_id,
            at=self._now(), given_on=self._today(), volume=None,
        )  # fmt: skip
        if why is None:
            return "available"
        return "expired" if "expired" in why else "thawed too often"

    def accountability(self, study: str, *, actor: Actor) -> tuple[Any, Any]:
        """The product's accountability for the report (``read_study``): per allocated subject
        the draws, aliquots, kits and injections given against the protocol's planned
        injections, and each refused injection with its kind (polars frames; arms
        ``"blinded"`` for an actor who does not see them; ``store/_accountability.py``)."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_study", study=st.name)
            return accountability(
                s, st, planned=len(self._protocol(st).injections), sees_arm=actor.sees_arm(st),
                reach=lambda site: actor.may("read_study", st.name, site),
            )  # fmt: skip

    def allocated(self, study: str, *, actor: Actor) -> list[tuple[str, str]]:
        """(subject, arm) of every allocated subject the preparer may prepare for."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "prepare_product", study=st.name)
            if not actor.sees_arm(st):  # pragma: no cover - preparers and admins see arms
                raise StateError(Message("preparing needs an unblinded actor"))
            out = []
            for subject in s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id, SubjectRow.arm.is_not(None))
                .order_by(SubjectRow.subject_id)
            ):
                if actor.may("prepare_product", st.name, self._site_code(s, subject.site_id)):
                    out.append((subject.subject_id, subject.arm))
            return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:100]
