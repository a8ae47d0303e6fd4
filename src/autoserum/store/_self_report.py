"""``store.self_report``: self-report by the patient through a personal link (docs/epro.md).

A coordinator (action ``issue_patient_links``) issues a subject's link: a random token
(``secrets.token_urlsafe``, 256 bits) shown once, of which only the SHA-256 is kept (as API
tokens are, :func:`autoserum.accounts.hash_token`); issuing again revokes the subject's live
link; a link expires with the subject's participation (the end of the protocol's calendar, or
at once when the subject is withdrawn or completed) and may be revoked.

Opening a link (:meth:`SelfReportService.access`) finds its subject; a wrong, revoked or expired
token counts as a failure of the client address against the login throttle
(:func:`autoserum.store._login.client_throttled`), so guessing is throttled as passwords are.
The patient, actor ``patient:<subject>`` (:data:`autoserum.permissions.PATIENT_ROLE`), sees
only the subject's due questionnaires (:meth:`agenda`) and submits them (:meth:`submit`):
each entry is scored once by the instrument, checked against the protocol's schedule (an entry
after its window is refused or flagged, as the protocol says), audited with the link's id as
the reason, and idempotent by the submission id the patient's browser generated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.accounts import hash_token
from autoserum.errors import (
    BusyError,
    Expected,
    Message,
    NotFoundError,
    StateError,
    ValidationError,
)
from autoserum.instruments import WeeklyMean, get_instrument
from autoserum.permissions import PATIENT_ROLE, patient_actor_name
from autoserum.protocols import (
    Compliance,
    Protocol,
    SelfReportPlan,
    Slot,
    compliance,
    plan_slots,
    subject_visits,
    timing,
)
from autoserum.store._audit import insert_audited
from autoserum.store._base import SYSTEM, Actor, Service
from autoserum.store._edit import score_payload
from autoserum.store._login import DEFAULT_LIMITS, LoginLimits, client_failure, client_throttled
from autoserum.store._views import domain_record
from autoserum.store.models import PatientLinkRow, ProEntryRow, StudyRow, SubjectRow
from autoserum.study.model import ProEntry
from autoserum.study.status import TERMINAL_STATUSES, SubjectStatus

__all__ = [
    "Agenda",
    "DueSlot",
    "IssuedLink",
    "PatientAccess",
    "PatientLink",
    "SelfReportService",
    "SubjectCompliance",
    "Submitted",
    "daily_values",
    "visit_dates",
]

_SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass(frozen=True)
class PatientLink:
    """A subject's self-report link as staff see it (never its token nor its hash)."""

    id: int
    subject_id: str
    issued_at: datetime
    issued_by: str
    expires_on: date
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool


@dataclass(frozen=True)
class IssuedLink:
    """A link just issued: the token (shown once, on the card) and the link."""

    token: str = field(repr=False)
    link: PatientLink


@dataclass(frozen=True)
class PatientAccess:
    """What an open link grants: one subject of one study, as the patient actor."""

    study: str
    subject_id: str
    link_id: int
    actor: Actor
    show_score: bool
    #: the language of the subject's pages (``None``: the browser's)
    language: str | None = None


@dataclass(frozen=True)
class DueSlot:
    """One slot of the subject's self-report calendar with its state on the day asked."""

    instrument: str
    frequency: str
    slot: date
    opens: date
    closes: date | None
    visit: str | None
    state: str
    late: str
    #: the entry's exact total (done slots; shown only when the protocol's ``show_score``)
    total: Fraction | None = None


@dataclass(frozen=True)
class Agenda:
    """The patient's page: what is due today, what was missed (and may still be made when the
    protocol flags rather than refuses late entries), what was done today."""

    today: date
    due: tuple[DueSlot, ...]
    missed: tuple[DueSlot, ...]
    done: tuple[DueSlot, ...]


@dataclass(frozen=True)
class Submitted:
    """The entry a submission recorded (``created`` false: the same submission id was recorded
    before, nothing was written)."""

    entry: ProEntry
    created: bool


@dataclass(frozen=True)
class SubjectCompliance:
    """One subject's daily-diary compliance (``describe()``: ``7/7``) and its link's state."""

    subject_id: str
    site: str
    compliance: Compliance
    link_active: bool


def visit_dates(protocol: Protocol, day0: date) -> dict[str, tuple[date, date | None, date | None]]:
    """The visit dates (target, window) of a subject whose day 0 is ``day0``."""
    return subject_visits(
        ((v.code, v.day, v.window_before, v.window_after) for v in protocol.visits), day0
    )


def _end_of_participation(protocol: Protocol, day0: date) -> date:
    """The last day a link of a subject may be used: the last visit window's close, or the
    last self-report slot's, whichever is later."""
    visits = visit_dates(protocol, day0)
    last = max((late or target for target, _, late in visits.values()), default=day0)
    for plan in protocol.self_report.schedules:
        for slot in plan_slots(plan, day0, visits=visits):
            last = max(last, slot.closes or slot.slot)
    return last


def daily_values(rows: list[ProEntryRow], instrument: str) -> dict[date, Fraction | None]:
    """The daily totals of ``instrument`` by day from a subject's entries."""
    return {
        r.slot: None if r.total is None else Fraction(r.total)
        for r in rows
        if r.instrument == instrument and r.frequency == "daily"
    }


def _link_view(row: PatientLinkRow, subject_id: str, today: date) -> PatientLink:
    return PatientLink(
        id=row.id,
        subject_id=subject_id,
        issued_at=row.issued_at,
        issued_by=row.issued_by,
        expires_on=row.expires_on,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        active=row.revoked_at is None and row.expires_on >= today and row.token_hash is not None,
    )


class SelfReportService(Service):
    """``store.self_report``: links, the patient's agenda and entries, compliance."""

    # --- links (staff) --------------------------------------------------------------------
    def issue_link(self, study: str, subject_id: str, *, actor: Actor) -> IssuedLink:
        """Issue a new link for ``subject_id`` (revoking the live one): the token is returned
        once and never stored. The subject needs day 0 (the calendar's anchor) and must still
        take part."""
        token = secrets.token_urlsafe(32)
        with self._write(actor, "self-report link issued") as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="issue_patient_links")
            if SubjectStatus(subject.status) in TERMINAL_STATUSES or subject.day0 is None:
                raise StateError(
                    Message(
                        "%(subject_id)s has no self-report calendar: a link needs a "
                        "subject who takes part and has day 0 (status %(status)s)",
                        subject_id=repr(subject_id),
                        status=subject.status,
                    )
                )
            now = self._now()
            self._revoke_live(s, subject, actor=actor, reason="re-issued", now=now)
            row = PatientLinkRow(
                study_id=st.id,
                subject_pk=subject.id,
                token_hash=hash_token(token),
                issued_at=now,
                issued_by=actor.username,
                expires_on=_end_of_participation(self._protocol(st), subject.day0),
                revoked_at=None,
                revoked_by=None,
                revoke_reason=None,
                version=1,
            )
            insert_audited(s, row)
            return IssuedLink(token, _link_view(row, subject_id, self._today()))

    def revoke_link(self, study: str, subject_id: str, *, actor: Actor, reason: str) -> int:
        """Revoke the subject's live link(s); returns how many were revoked."""
        why = self._nonempty("reason", reason)
        with self._write(actor, why) as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="issue_patient_links")
            return self._revoke_live(s, subject, actor=actor, reason=why, now=self._now())

    @staticmethod
    def _revoke_live(
        s: Session, subject: SubjectRow, *, actor: Actor, reason: str, now: datetime
    ) -> int:
        live = s.scalars(
            select(PatientLinkRow).where(
                PatientLinkRow.subject_pk == subject.id, PatientLinkRow.revoked_at.is_(None)
            )
        ).all()
        for row in live:
            row.revoked_at = now
            row.revoked_by = actor.username
            row.revoke_reason = reason
            row.version += 1
        s.flush()
        return len(live)

    def links(self, study: str, subject_id: str, *, actor: Actor) -> list[PatientLink]:
        """The subject's links, newest first."""
        with self._read() as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="issue_patient_links")
            rows = s.scalars(
                select(PatientLinkRow)
                .where(PatientLinkRow.subject_pk == subject.id)
                .order_by(PatientLinkRow.id.desc())
            )
            return [_link_view(r, subject_id, self._today()) for r in rows]

    # --- the patient ----------------------------------------------------------------------
    def access(
        self, token: str, *, client: str, limits: LoginLimits = DEFAULT_LIMITS
    ) -> PatientAccess | None:
        """The subject a link's ``token`` opens, or ``None`` (unknown, revoked or expired
        token, or a subject who no longer takes part): such a try counts as a failure of
        ``client``; a client over the throttle's limit is a :class:`BusyError`."""
        digest = hash_token(token)
        with self._write(SYSTEM) as s:
            now = self._now()
            if client_throttled(s, client, at=now, limits=limits):
                raise BusyError(
                    Message("too many tries from this device; wait a minute and try again"),
                    retry_after=int(limits.window.total_seconds()),
                )
            found = s.execute(
                select(PatientLinkRow, SubjectRow, StudyRow)
                .join(SubjectRow, SubjectRow.id == PatientLinkRow.subject_pk)
                .join(StudyRow, StudyRow.id == PatientLinkRow.study_id)
                .where(PatientLinkRow.token_hash == digest)
            ).first()
            usable = (
                found is not None
                and found[0].revoked_at is None
                and found[0].expires_on >= self._today()
                and SubjectStatus(found[1].status) not in TERMINAL_STATUSES
            )
            if found is None or not usable:
                client_failure(s, client, at=now)
                return None
            link, subject, st = found
            return PatientAccess(
                study=st.name,
                subject_id=subject.subject_id,
                link_id=link.id,
                actor=Actor(patient_actor_name(subject.subject_id), PATIENT_ROLE),
                show_score=self._protocol(st).self_report.show_score,
                language=subject.language,
            )

    def _own(self, s: Session, access: PatientAccess) -> tuple[StudyRow, SubjectRow]:
        """The study and subject of ``access`` (its link must still be usable)."""
        link = s.get(PatientLinkRow, access.link_id)
        subject = None if link is None else s.get(SubjectRow, link.subject_pk)
        if (
            link is None
            or subject is None
            or subject.subject_id != access.subject_id
            or link.revoked_at is not None
            or link.expires_on < self._today()
            or SubjectStatus(subject.status) in TERMINAL_STATUSES
            or access.actor.username != patient_actor_name(subject.subject_id)
        ):
            raise NotFoundError(Message("this link is not valid (revoked or expired)"))
        st = s.get(StudyRow, link.study_id)
        if st is None:  # pragma: no cover - foreign key
            raise NotFoundError(Message("no study"))
        return st, subject

    def agenda(self, access: PatientAccess) -> Agenda:
        """What the subject of ``access`` has due today, missed, and done today."""
        with self._read() as s:
            st, subject = self._own(s, access)
            protocol = self._protocol(st)
            rows = self._entries(s, subject)
        today = self._today()
        done = {(r.instrument, r.slot): r.total for r in rows}
        due: list[DueSlot] = []
        missed: list[DueSlot] = []
        finished: list[DueSlot] = []
        for plan, slot in self._slots(protocol, subject):
            state = slot.state(today, done=(slot.instrument, slot.slot) in done)
            total = done.get((slot.instrument, slot.slot))
            item = DueSlot(
                slot.instrument, slot.frequency, slot.slot, slot.opens, slot.closes,
                slot.visit, state, plan.late, None if total is None else Fraction(total),
            )  # fmt: skip
            if state == "due":
                due.append(item)
            elif state == "missed":
                missed.append(item)
            elif state == "done" and slot.opens <= today and (slot.closes or today) >= today:
                finished.append(item)

        def by_day(items: list[DueSlot]) -> tuple[DueSlot, ...]:
            return tuple(sorted(items, key=lambda d: d.slot))  # stable: the protocol's order

        return Agenda(today, by_day(due), by_day(missed), by_day(finished))

    @staticmethod
    def _slots(protocol: Protocol, subject: SubjectRow) -> list[tuple[SelfReportPlan, Slot]]:
        if subject.day0 is None:
            return []
        visits = visit_dates(protocol, subject.day0)
        return [
            (plan, slot)
            for plan in protocol.self_report.schedules
            for slot in plan_slots(plan, subject.day0, visits=visits)
        ]

    @staticmethod
    def _entries(s: Session, subject: SubjectRow) -> list[ProEntryRow]:
        return list(
            s.scalars(
                select(ProEntryRow)
                .where(ProEntryRow.subject_pk == subject.id)
                .order_by(ProEntryRow.slot, ProEntryRow.id)
            )
        )

    def submit(
        self,
        access: PatientAccess,
        instrument: str,
        slot: date | str,
        payload: Mapping[str, Any],
        *,
        submission_id: str,
    ) -> Submitted:
        """Record the patient's entry of ``instrument`` for ``slot`` (a day, a week's first
        day or a visit's target date), once: a submission id recorded before returns that
        entry and writes nothing. Refused: an instrument the protocol does not schedule for
        self-report, a slot not open yet, a slot already recorded, an entry after its window
        when the protocol refuses late entries (flagged ``late`` when it flags them)."""
        sid = self._submission_id(submission_id)
        day = slot if isinstance(slot, date) else _as_date("slot", slot)
        reason = f"self-report via link {access.link_id}"
        with self._write(access.actor, reason) as s:
            st, subject = self._own(s, access)
            earlier = s.scalar(
                select(ProEntryRow).where(
                    ProEntryRow.subject_pk == subject.id, ProEntryRow.submission_id == sid
                )
            )
            if earlier is not None:
                if earlier.instrument != instrument or earlier.slot != day:
                    raise ValidationError(
                        "submission_id",
                        sid,
                        Expected("a new id for a new entry (this one was used)"),
                    )
                return Submitted(domain_record("pro_entry", earlier, subject.subject_id), False)
            protocol = self._protocol(st)
            plan = protocol.self_report.plan(instrument)
            if plan is None or subject.day0 is None:
                scheduled = ", ".join(p.instrument for p in protocol.self_report.schedules)
                raise ValidationError(
                    "instrument",
                    instrument,
                    Expected("one of %(values)s", values=scheduled or "none"),
                )
            visits = visit_dates(protocol, subject.day0)
            when = timing(plan, subject.day0, visits=visits, slot=day, today=self._today())
            if when == "early":
                raise StateError(
                    Message(
                        "%(instrument)s for %(day)s is not due yet",
                        instrument=instrument,
                        day=day.isoformat(),
                    )
                )
            if when == "late" and plan.late == "refuse":
                raise StateError(
                    Message(
                        "%(instrument)s for %(day)s can no longer be entered: its "
                        "window has closed",
                        instrument=instrument,
                        day=day.isoformat(),
                    )
                )
            taken = s.scalar(
                select(ProEntryRow.id).where(
                    ProEntryRow.subject_pk == subject.id,
                    ProEntryRow.instrument == instrument,
                    ProEntryRow.slot == day,
                )
            )
            if taken is not None:
                raise StateError(
                    Message(
                        "%(instrument)s for %(day)s is recorded already",
                        instrument=instrument,
                        day=day.isoformat(),
                    )
                )
            total, band = score_payload(instrument, payload, subject.age, scorable=True)
            visit = next((sl.visit for sl in plan_slots(plan, subject.day0, visits=visits)
                          if sl.slot == day), None)  # fmt: skip
            row = ProEntryRow(
                study_id=st.id,
                subject_pk=subject.id,
                instrument=instrument,
                frequency=plan.frequency,
                slot=day,
                visit_code=visit,
                payload=dict(payload),
                total=total,
                band=band,
                submitted_at=self._now(),
                late=when == "late",
                submission_id=sid,
                link_id=access.link_id,
                version=1,
            )
            insert_audited(s, row)
            return Submitted(domain_record("pro_entry", row, subject.subject_id), True)

    @staticmethod
    def _submission_id(value: str) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if _SUBMISSION_ID.fullmatch(text) is None:
            raise ValidationError(
                "submission_id",
                value,
                Expected("8 to 64 letters, digits, '-' or '_' (made by the browser)"),
            )
        return text

    # --- staff views ----------------------------------------------------------------------
    def compliance(self, study: str, *, actor: Actor) -> list[SubjectCompliance]:
        """The daily-diary compliance of every subject with a self-report calendar at the
        actor's sites, by subject."""
        with self._read() as s:
            st = self._study(s, study)
            self._require(actor, "read_subject", study=st.name)
            protocol = self._protocol(st)
            out: list[SubjectCompliance] = []
            today = self._today()
            subjects = s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id, SubjectRow.day0.is_not(None))
                .order_by(SubjectRow.subject_id)
            )
            for subject in subjects:
                site = self._site_code(s, subject.site_id)
                if not actor.may("read_subject", st.name, site) or subject.day0 is None:
                    continue
                done: dict[str, set[date]] = {}
                for r in self._entries(s, subject):
                    done.setdefault(r.instrument, set()).add(r.slot)
                visits = visit_dates(protocol, subject.day0)
                c = compliance(
                    protocol.self_report.schedules, subject.day0, visits=visits, done=done,
                    today=today,
                )  # fmt: skip
                live = s.scalar(
                    select(PatientLinkRow.id).where(
                        PatientLinkRow.subject_pk == subject.id,
                        PatientLinkRow.revoked_at.is_(None),
                        PatientLinkRow.expires_on >= today,
                    )
                )
                out.append(SubjectCompliance(subject.subject_id, site, c, live is not None))
            return out

    def weekly_mean(
        self, study: str, subject_id: str, instrument: str, *, end: date, actor: Actor
    ) -> WeeklyMean:
        """The weekly mean of a diary instrument over the days ending on ``end``, by the rule
        the instrument declares."""
        rule = get_instrument(instrument).diary
        if rule is None:
            raise ValidationError("instrument", instrument, Expected("a diary instrument"))
        with self._read() as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="read_subject")
            rows = self._entries(s, subject)
        return rule.weekly_mean(daily_values(rows, instrument), end=end)


def _as_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ValidationError(name, value, Expected("an ISO date YYYY-MM-DD")) from None
