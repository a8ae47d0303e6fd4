"""Informed consent in the store (``store.consent``): the study's consent documents, the
subjects' consents and withdrawals, and :func:`require_consent`, the gate every writer of
subject data calls (records, randomisation) with the rule of
:func:`autoserum.study.consent.check_consented`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.store._base import Actor, Service
from autoserum.store._locks import require_unlocked
from autoserum.store.models import (
    ConsentDocumentRow,
    ConsentRow,
    SiteRow,
    StudyRow,
    SubjectRow,
)
from autoserum.study.coerce import as_date
from autoserum.study.consent import (
    Consent,
    ConsentDocument,
    ConsentState,
    check_components,
    check_consented,
    check_in_effect,
    check_sha256,
    check_withdrawal,
    consent_state,
)
from autoserum.study.entities import CONSENT, CONSENT_DOCUMENT
from autoserum.study.locks import Target
from autoserum.study.rules import NOTE_MAX, bounded_text, check_not_future

__all__ = [
    "ConsentService",
    "SubjectConsent",
    "as_datetime",
    "consent_counts",
    "consents_of",
    "require_consent",
]


def as_datetime(field: str, value: Any) -> datetime:
    """An aware date and time from a ``datetime`` or ISO text with its UTC offset."""
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            when = None
    if when is None or when.tzinfo is None:
        raise ValidationError(
            field,
            value,
            Expected("an ISO date and time with its UTC offset, e.g. 2026-02-16T09:30+01:00"),
        )
    return when.astimezone(UTC)


def _document(row: ConsentDocumentRow) -> ConsentDocument:
    return ConsentDocument(
        document_version=row.document_version,
        language=row.language,
        effective_on=row.effective_on,
        sha256=row.sha256,
        title=row.title or "",
        id=row.id,
    )


def _documents(s: Session, study: StudyRow) -> dict[int, ConsentDocumentRow]:
    rows = s.scalars(
        select(ConsentDocumentRow)
        .where(ConsentDocumentRow.study_id == study.id)
        .order_by(ConsentDocumentRow.effective_on, ConsentDocumentRow.id)
    )
    return {r.id: r for r in rows}


def _consents(
    s: Session, subject: SubjectRow, documents: Mapping[int, ConsentDocumentRow]
) -> list[Consent]:
    rows = s.scalars(
        select(ConsentRow)
        .where(ConsentRow.subject_pk == subject.id)
        .order_by(ConsentRow.consented_at, ConsentRow.id)
    )
    out = []
    for r in rows:
        doc = documents[r.document_id]
        out.append(
            Consent(
                subject_id=subject.subject_id,
                document_version=doc.document_version,
                language=doc.language,
                consented_at=r.consented_at,
                obtained_by=r.obtained_by,
                witness=r.witness,
                representative=r.representative,
                components=dict(r.components or {}),
                withdrawn_on=r.withdrawn_on,
                withdrawal_reason=r.withdrawal_reason,
                id=r.id,
                version=r.version,
            )
        )
    return out


def require_consent(
    s: Session, study: StudyRow, subject: SubjectRow, *, on: date, what: str | Message
) -> None:
    """Refuse to ``what`` on ``on`` without the subject's valid consent then
    (:class:`ValidationError`, field ``consent``); a study without consent documents is not
    gated. Called inside the writer's transaction, so nothing is written when it refuses."""
    documents = _documents(s, study)
    if not documents:
        return
    check_consented(
        subject.subject_id,
        [_document(d) for d in documents.values()],
        _consents(s, subject, documents),
        on=on,
        what=what,
    )


def consents_of(
    s: Session, study: StudyRow, subject: SubjectRow
) -> tuple[list[ConsentDocument], list[Consent]]:
    """The study's consent documents and the subject's consents (for a rule of the core such
    as :func:`autoserum.study.consent.check_component`)."""
    documents = _documents(s, study)
    return [_document(d) for d in documents.values()], _consents(s, subject, documents)


def consent_counts(s: Session, study: StudyRow, actor: Actor) -> tuple[int, int] | None:
    """``(consented, withdrew consent)`` over the subjects the actor may see; ``None`` when the
    study does not manage consent (no consent document)."""
    if not _documents(s, study):
        return None
    rows = s.execute(
        select(ConsentRow.subject_pk, ConsentRow.withdrawn_on, SiteRow.code)
        .join(SubjectRow, SubjectRow.id == ConsentRow.subject_pk)
        .join(SiteRow, SiteRow.id == SubjectRow.site_id)
        .where(ConsentRow.study_id == study.id)
    ).all()
    seen = {pk for pk, _, site in rows if actor.may("read_study", study.name, site)}
    gone = {
        pk
        for pk, off, site in rows
        if off is not None and actor.may("read_study", study.name, site)
    }
    return len(seen), len(gone)


class SubjectConsent:
    """A subject's consents and their state on a date (``state.status``: none, valid,
    reconsent, withdrawn)."""

    __slots__ = ("consents", "state", "subject_id")

    def __init__(self, subject_id: str, consents: list[Consent], state: ConsentState) -> None:
        self.subject_id = subject_id
        self.consents = consents
        self.state = state

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "subject_id": self.subject_id,
            "status": self.state.status,
            "signed_version": self.state.signed_version,
            "current_version": self.state.current,
            "withdrawn_on": None
            if self.state.withdrawn_on is None
            else self.state.withdrawn_on.isoformat(),
            "consents": [c.to_dict() for c in self.consents],
        }


class ConsentService(Service):
    """``store.consent``: consent documents (admin), consents and withdrawals (site staff)."""

    def add_document(
        self,
        study: str,
        document_version: str,
        language: str,
        effective_on: date | str,
        *,
        actor: Actor,
        sha256: str | None = None,
        content: bytes | None = None,
        title: str | None = None,
    ) -> ConsentDocument:
        """Register an approved version of the consent document in one language, effective
        from ``effective_on``; identified by the SHA-256 of its file (``content``, or the
        digest given as ``sha256``). From then on the study's subjects need consent before
        anything after the pre-screen; subjects who signed an older version of that language
        are flagged for re-consent from the effective date.

        Example: ``store.consent.add_document("AST-1", "2.0", "en", "2026-04-01",
        actor=admin, content=pdf_bytes)``.
        """
        self._require(actor, "manage_study", study=study)
        version = CONSENT_DOCUMENT.field("document_version").convert(document_version)
        lang = CONSENT_DOCUMENT.field("language").convert(language)
        effective = as_date("effective_on", effective_on)
        if content is not None:
            digest = hashlib.sha256(content).hexdigest()
            if sha256 is not None and check_sha256("sha256", sha256) != digest:
                raise ValidationError(
                    "sha256",
                    sha256,
                    Expected("the SHA-256 of the file (%(digest)s)", digest=digest),
                )
        elif sha256 is not None:
            digest = check_sha256("sha256", sha256)
        else:
            raise ValidationError("sha256", None, Expected("the document file or its SHA-256"))
        name = CONSENT_DOCUMENT.field("title").convert(title)
        with self._write(actor) as s:
            st = self._study(s, study)
            require_unlocked(s, st, Target(), what=Message("register a consent document"))
            for d in _documents(s, st).values():
                if (d.document_version, d.language) == (version, lang):
                    raise StateError(
                        Message(
                            "consent document %(version)s (%(lang)s) exists already in "
                            "study %(study)s",
                            version=version,
                            lang=lang,
                            study=repr(study),
                        )
                    )
            row = ConsentDocumentRow(
                study_id=st.id,
                document_version=version,
                language=lang,
                effective_on=effective,
                sha256=digest,
                title=name,
                version=1,
            )
            s.add(row)
            s.flush()
            return _document(row)

    def documents(self, study: str) -> list[ConsentDocument]:
        """The study's consent documents, by effective date."""
        with self._read() as s:
            return [_document(d) for d in _documents(s, self._study(s, study)).values()]

    def record(
        self,
        study: str,
        subject_id: str,
        document_version: str,
        consented_at: datetime | str,
        *,
        actor: Actor,
        obtained_by: str,
        language: str | None = None,
        witness: str | None = None,
        representative: str | None = None,
        components: Mapping[str, bool] | None = None,
    ) -> Consent:
        """Record the subject's consent to a document version, signed at ``consented_at`` (an
        aware date and time), obtained by ``obtained_by``; ``witness`` and ``representative``
        (legally authorised) when there were; ``components``: the optional parts agreed to
        (``{"photographs": True, "sample_storage": False}``).

        The document must be in effect on the signing date; nothing is recorded after the
        subject withdrew consent.
        """
        self._require(actor, "record_consent")
        at = as_datetime("consented_at", consented_at)
        check_not_future("consented_at", at.date(), today=self._today())
        # bounded as the registry declares them (the widths of their columns)
        by = CONSENT.field("obtained_by").convert(obtained_by)
        seen = CONSENT.field("witness").convert(witness)
        lar = CONSENT.field("representative").convert(representative)
        parts = check_components(components)
        with self._write(actor, "informed consent") as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="record_consent", lock=True)
            require_unlocked(s, st, Target(subject_pk=subject.id), what=Message("record consent"))
            documents = _documents(s, st)
            matches = [
                d
                for d in documents.values()
                if d.document_version == document_version
                and (language is None or d.language == language)
            ]
            if len(matches) != 1:
                known = ", ".join(
                    sorted({f"{d.document_version} ({d.language})" for d in documents.values()})
                )
                what: Message | str = known or Message("none yet")
                if len(matches) > 1:
                    what = Message("one language: give language")
                raise ValidationError(
                    "document_version",
                    document_version,
                    Expected("a registered document (%(what)s)", what=what),
                )
            doc = matches[0]
            check_in_effect(_document(doc), at)
            past = _consents(s, subject, documents)
            if any(c.withdrawn_on is not None for c in past):
                raise StateError(
                    Message(
                        "subject %(subject_id)s withdrew consent: no new consent",
                        subject_id=repr(subject_id),
                    )
                )
            row = ConsentRow(
                study_id=st.id,
                subject_pk=subject.id,
                document_id=doc.id,
                consented_at=at,
                obtained_by=by,
                witness=seen,
                representative=lar,
                components=parts or None,
                version=1,
            )
            s.add(row)
            s.flush()
            return next(c for c in _consents(s, subject, documents) if c.id == row.id)

    def withdraw(
        self, study: str, subject_id: str, withdrawn_on: date | str, *, actor: Actor, reason: str
    ) -> SubjectConsent:
        """Record the withdrawal of the subject's consent from ``withdrawn_on``: data
        collected before are kept, nothing dated on or after it is collected. The subject's
        status is not changed here (``subjects.withdraw`` ends participation)."""
        self._require(actor, "record_consent")
        when = as_date("withdrawn_on", withdrawn_on)
        check_not_future("withdrawn_on", when, today=self._today())
        why = bounded_text("reason", reason, limit=NOTE_MAX)
        with self._write(actor, why) as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="record_consent", lock=True)
            require_unlocked(s, st, Target(subject_pk=subject.id), what=Message("withdraw consent"))
            rows = list(
                s.scalars(
                    select(ConsentRow)
                    .where(ConsentRow.subject_pk == subject.id)
                    .order_by(ConsentRow.consented_at, ConsentRow.id)
                )
            )
            if not rows:
                raise StateError(
                    Message(
                        "subject %(subject_id)s has no consent to withdraw",
                        subject_id=repr(subject_id),
                    )
                )
            if any(r.withdrawn_on is not None for r in rows):
                raise StateError(
                    Message(
                        "subject %(subject_id)s withdrew consent already",
                        subject_id=repr(subject_id),
                    )
                )
            check_withdrawal(when, (r.consented_at for r in rows))
            for r in rows:
                r.withdrawn_on = when
                r.withdrawal_reason = why
            s.flush()
            return self._state(s, st, subject, on=max(when, self._today()))

    def of_subject(
        self, study: str, subject_id: str, *, actor: Actor, on: date | None = None
    ) -> SubjectConsent:
        """The subject's consents and their state on ``on`` (default: today)."""
        with self._read() as s:
            st = self._study(s, study)
            subject = self._subject(s, st, subject_id, actor, action="read_subject")
            return self._state(s, st, subject, on=on or self._today())

    def overview(self, study: str, *, actor: Actor, on: date | None = None) -> list[SubjectConsent]:
        """Every subject the actor may see with their consent state on ``on`` (default:
        today): who has consented, who needs re-consent, who withdrew."""
        when = on or self._today()
        with self._read() as s:
            st = self._study(s, study)
            subjects = s.scalars(
                select(SubjectRow)
                .where(SubjectRow.study_id == st.id)
                .order_by(SubjectRow.subject_id)
            ).all()
            out = []
            for subject in subjects:
                if actor.may("read_subject", study, self._site_code(s, subject.site_id)):
                    out.append(self._state(s, st, subject, on=when))
            return out

    def _state(self, s: Session, st: StudyRow, subject: SubjectRow, *, on: date) -> SubjectConsent:
        documents = _documents(s, st)
        consents = _consents(s, subject, documents)
        docs = [_document(d) for d in documents.values()]
        return SubjectConsent(subject.subject_id, consents, consent_state(docs, consents, on=on))
