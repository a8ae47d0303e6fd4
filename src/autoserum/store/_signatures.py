"""Electronic signatures in the store (``store.signatures``): sign a visit, a casebook or the
study after the signer's password is proven again (counted like a login: the same lockout and
security events), bound to the SHA-256 of the signed content; :func:`invalidate_touched` (the
review hook) invalidates, in the same transaction, every signature whose content a write
changed. Rules: :mod:`autoserum.study.signatures`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from autoserum.errors import (
    Expected,
    Message,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from autoserum.store._accounts import AccountService
from autoserum.store._audit import encode
from autoserum.store._base import Actor, Service
from autoserum.store._reviewed import CONTENT, content_fields
from autoserum.store._subjects import subject_by_pk
from autoserum.store._types import utcnow
from autoserum.store.models import SignatureRow, StudyRow, SubjectRow, VisitRow
from autoserum.study.blinding import MASK
from autoserum.study.signatures import (
    Signature,
    check_level,
    check_meaning,
    content_digest,
    local_time,
)

__all__ = [
    "SignatureService",
    "content_of",
    "invalidate_touched",
    "touched_signatures_exist",
]


def _records(s: Session, model: type[Any], entity: str, *where: Any) -> list[list[Any]]:
    fields = content_fields(entity)
    rows = s.scalars(select(model).where(*where).order_by(model.id))
    return [
        [entity, r.id, {f: encode(getattr(r, f)) for f in fields if getattr(r, f) is not None}]
        for r in rows
    ]


def content_of(
    s: Session, st: StudyRow, level: str, subject: SubjectRow | None, visit: VisitRow | None
) -> dict[str, Any]:
    """The signed content: the study, the level, the subject and visit signed, and every
    record they cover (visit: the visit and the records made at it; casebook: every record of
    the subject; study: every record of the study), fields as in the audit trail."""
    records: list[list[Any]] = []
    for entity, model in CONTENT.items():
        if level == "visit" and visit is not None:
            if entity == "visit":
                records += _records(s, model, entity, model.id == visit.id)
            elif hasattr(model, "visit_id"):
                records += _records(s, model, entity, model.visit_id == visit.id)
        elif level == "casebook" and subject is not None:
            column = model.id if model is SubjectRow else model.subject_pk
            records += _records(s, model, entity, column == subject.id)
        elif level == "study":
            records += _records(s, model, entity, model.study_id == st.id)
    return {
        "study": st.name,
        "level": level,
        "subject": None if subject is None else subject.subject_id,
        "visit": None if visit is None else visit.visit_code,
        "records": records,
    }


def _target(s: Session, row: SignatureRow) -> tuple[SubjectRow | None, VisitRow | None]:
    subject = None if row.subject_pk is None else subject_by_pk(s, row.subject_pk)
    visit = None if row.visit_id is None else s.get(VisitRow, row.visit_id)
    return subject, visit


def _view(
    s: Session, st: StudyRow, row: SignatureRow, *, recheck: bool = True, sees_arm: bool = True
) -> Signature:
    """A signature, its validity re-checked (``recheck``); the content's hash shown to a reader
    who sees arms only (``MASK`` to a blinded one: the signed content covers records whose
    presence tells the arm; the hash stored, and so every signature's validity, is unchanged)."""
    subject, visit = _target(s, row)
    valid = row.invalidated_at is None
    reason = row.invalid_reason
    if valid and recheck:
        now = content_digest(content_of(s, st, row.level, subject, visit))
        if now != row.content_sha256:
            valid, reason = False, "the signed content differs from the content now stored"
    return Signature(
        id=row.id,
        level=row.level,
        subject_id=None if subject is None else subject.subject_id,
        visit_code=None if visit is None else visit.visit_code,
        meaning=row.meaning,
        signer=row.signer,
        printed_name=row.printed_name,
        role=row.role,
        signed_at=row.signed_at,
        local_signed_at=datetime.fromisoformat(row.local_signed_at),
        timezone=row.timezone,
        content_sha256=row.content_sha256 if sees_arm else MASK,
        valid=valid,
        invalidated_at=row.invalidated_at,
        invalid_reason=reason,
    )


# the valid signatures of a study (bound parameter ``study``) over content of some subjects
# and visits (``subjects``, ``visits``): built once
_TOUCHED = and_(
    SignatureRow.study_id == bindparam("study"),
    SignatureRow.invalidated_at.is_(None),
    or_(
        SignatureRow.level == "study",
        (SignatureRow.level == "casebook")
        & SignatureRow.subject_pk.in_(bindparam("subjects", expanding=True)),
        (SignatureRow.level == "visit")
        & SignatureRow.visit_id.in_(bindparam("visits", expanding=True)),
    ),
)
_TOUCHED_SIGNATURES = select(SignatureRow).where(_TOUCHED)


def touched_signatures_exist() -> ColumnElement[bool]:
    """Whether :func:`invalidate_touched` would find a signature, as an SQL expression with
    the bound parameters ``study``, ``subjects`` and ``visits`` (to be read with other values
    at once: the review hook skips the signatures' read when there is none)."""
    return exists().where(_TOUCHED)


def invalidate_touched(
    s: Session,
    study_id: int,
    subjects: Iterable[int],
    visits: Iterable[int],
    why: str,
) -> int:
    """Invalidate the valid signatures whose content a write of this transaction changed:
    those of the ``visits`` touched, the casebooks of the ``subjects`` touched and the study.
    The number invalidated."""
    rows = s.scalars(
        _TOUCHED_SIGNATURES,
        {"study": study_id, "subjects": list(subjects), "visits": list(visits)},
    ).all()
    now = utcnow()
    for row in rows:
        row.invalidated_at = now
        row.invalid_reason = why
    return len(rows)


class SignatureService(Service):
    """``store.signatures``: sign and list signatures."""

    def sign(
        self,
        study: str,
        level: str,
        *,
        actor: Actor,
        password: str,
        meaning: str,
        printed_name: str | None = None,
        timezone: str = "UTC",
        subject_id: str | None = None,
        visit_code: str | None = None,
    ) -> Signature:
        """Sign ``level`` (``visit``: ``subject_id`` and ``visit_code``; ``casebook``:
        ``subject_id``; ``study``) with ``meaning`` (authorship, review, approval). The
        signer's ``password`` is checked again first (21 CFR 11.200(a): both components at
        each signing); the signature records the printed name (the signer's account's
        ``full_name``, set by an administrator: never typed at signing, 21 CFR 11.50), UTC and
        local time (``timezone``, IANA), the role and the SHA-256 of the signed content. A
        ``printed_name`` given (a client that shows the name it signs under) must be that
        name."""
        check_level(level)
        check_meaning(meaning)
        local_time(utcnow(), timezone)  # an unknown zone is refused before the password
        self._require(actor, "sign", study=study)
        if level in {"visit", "casebook"} and not subject_id:
            raise ValidationError(
                "subject_id",
                subject_id,
                Expected("the subject whose %(level)s is signed", level=level),
            )
        if level == "visit" and not visit_code:
            raise ValidationError("visit_code", visit_code, Expected("the visit signed"))
        proven = AccountService(self._uow).prove(
            actor.username, password=password, client="signature"
        )
        if proven.username != actor.username or proven.role != actor.role:
            raise PermissionDeniedError(
                Message("%(username)s is not proven", username=repr(actor.username))
            )
        account = AccountService(self._uow).get_user(actor.username)
        name = None if account is None else account.full_name
        if not name:
            raise ValidationError(
                "full_name",
                None,
                Expected(
                    "the full name of %(username)s on their account (the printed "
                    "name of the signature; an administrator sets it)",
                    username=repr(actor.username),
                ),
            )
        if printed_name is not None and printed_name.strip() != name:
            raise ValidationError(
                "printed_name",
                printed_name,
                Expected("the full name on the signer's account (%(name)s)", name=name),
            )
        with self._write(actor, f"electronic signature ({meaning})") as s:
            st = self._study(s, study)
            subject = visit = None
            if subject_id is not None and level != "study":
                subject = self._subject(s, st, subject_id, actor, action="sign")
            if level == "visit" and subject is not None:
                visit = s.scalar(
                    select(VisitRow).where(
                        VisitRow.subject_pk == subject.id, VisitRow.visit_code == visit_code
                    )
                )
                if visit is None:
                    raise NotFoundError(
                        Message(
                            "no visit %(visit_code)s of %(subject_id)s is recorded",
                            visit_code=repr(visit_code),
                            subject_id=repr(subject_id),
                        )
                    )
            now = utcnow()
            row = SignatureRow(
                study_id=st.id,
                subject_pk=None if subject is None else subject.id,
                visit_id=None if visit is None else visit.id,
                level=level,
                meaning=meaning,
                signer=actor.username,
                printed_name=name,
                role=actor.role,
                signed_at=now,
                timezone=timezone,
                local_signed_at=local_time(now, timezone).isoformat(),
                content_sha256=content_digest(content_of(s, st, level, subject, visit)),
                version=1,
            )
            s.add(row)
            s.flush()
            return _view(s, st, row, recheck=False)

    def signatures(
        self, study: str, *, actor: Actor, subject_id: str | None = None
    ) -> list[Signature]:
        """The study's signatures (of one subject with ``subject_id``: its visits and
        casebook) at the actor's sites, each re-checked against the content now stored (the
        content's hash not shown to a blinded actor: ``"blinded"``)."""
        self._require(actor, "read_subject", study=study)
        with self._read() as s:
            st = self._study(s, study)
            stmt = select(SignatureRow).where(SignatureRow.study_id == st.id)
            if subject_id is not None:
                subject = self._subject(s, st, subject_id, actor, action="read_subject")
                stmt = stmt.where(SignatureRow.subject_pk == subject.id)
            out = []
            for row in s.scalars(stmt.order_by(SignatureRow.id)):
                if row.subject_pk is not None:
                    owner = subject_by_pk(s, row.subject_pk)
                    if not actor.may("read_subject", st.name, self._site_code(s, owner.site_id)):
                        continue
                out.append(_view(s, st, row, sees_arm=actor.sees_arm(st)))
            return out
