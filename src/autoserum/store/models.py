"""The database schema as SQLAlchemy 2 typed models.

Every table of study data carries ``study_id`` (and ``subject_pk`` below the subject) so that the
audit trail can be filtered by study and subject, and a ``version`` for optimistic concurrency
(``version_id_col`` with application-set versions: an UPDATE matches ``WHERE version = old``).
``__entity__`` is the name of the table in the audit trail and in ``update_record``.

The data columns of every record type (site, subject, visit, assessment, lab, injection, adverse
event, con-med, deviation, unblinding) and their CHECK constraints are derived from the entity
registry (:mod:`autoserum.study.entities`, through ``store/_columns.py``); a model here adds
only its keys, links, unique constraints and indexes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from autoserum.i18n import LANGUAGES, N_
from autoserum.permissions import ROLES
from autoserum.store._columns import in_vocabulary, record_checks, record_columns
from autoserum.store._types import JSONText, UTCDateTime
from autoserum.study.entities import entity
from autoserum.study.locks import LEVELS
from autoserum.study.queries import QUERY_STATUSES
from autoserum.study.safety import follow_up_of
from autoserum.study.signatures import MEANINGS, SIGNATURE_LEVELS

__all__ = [
    "AUDITED",
    "SECURITY_EVENTS",
    "AdverseEventRow",
    "AliquotRow",
    "AllocationListRow",
    "AllocationRow",
    "ApiTokenRow",
    "AssessmentRow",
    "AuditHeadRow",
    "AuditRow",
    "Base",
    "BloodDrawRow",
    "ComorbidityRow",
    "ConMedRow",
    "ConsentDocumentRow",
    "ConsentRow",
    "DeviationRow",
    "DisposalRow",
    "InjectionRow",
    "LabRow",
    "LockRow",
    "LoginFailureRow",
    "PatientLinkRow",
    "PhotoRatingRow",
    "PhotoRow",
    "PreparationRow",
    "PriorTreatmentRow",
    "ProEntryRow",
    "ProcessingRow",
    "ProtocolVersionRow",
    "QueryMessageRow",
    "QueryRow",
    "SecurityEventRow",
    "SessionRow",
    "SignatureRow",
    "SiteRow",
    "StorageEventRow",
    "StudyRow",
    "SubjectRow",
    "UnblindingRow",
    "UserRow",
    "UserSiteRow",
    "VerificationRow",
    "VisitRow",
    "VitalSignRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _columns(name: str) -> type[Any]:
    """The data columns of record type ``name``, as the entity registry declares them."""
    return record_columns(entity(name))


class Base(DeclarativeBase):
    """Declarative base with a naming convention (stable constraint names for migrations)."""

    metadata = MetaData(naming_convention=NAMING)


class _Versioned:
    """Mixin: record id and optimistic-concurrency version."""

    __entity__: ClassVar[str]
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        table = cls.__table__  # type: ignore[attr-defined]
        return {"version_id_col": table.c.version, "version_id_generator": False}


class StudyRow(_Versioned, Base):
    __tablename__ = "studies"
    __entity__ = "study"
    name: Mapped[str] = mapped_column(String(200), unique=True)
    protocol_code: Mapped[str] = mapped_column(String(100))
    protocol: Mapped[Any] = mapped_column(JSONText)
    open_label: Mapped[bool] = mapped_column(Boolean)
    has_run_in: Mapped[bool] = mapped_column(Boolean)
    seed: Mapped[int] = mapped_column(BigInteger)
    allocation_n: Mapped[int] = mapped_column(Integer)
    column_order: Mapped[Any] = mapped_column(JSONText, nullable=True)
    stratify_by: Mapped[Any] = mapped_column(JSONText, nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the number of the study's latest protocol version (1 until amended; ``protocol_versions``)
    protocol_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def study_id(self) -> int:
        return self.id


class SiteRow(_columns("site"), _Versioned, Base):  # type: ignore[misc]
    __tablename__ = "sites"
    __entity__ = "site"
    __table_args__ = (UniqueConstraint("study_id", "code"),)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))


class UserRow(_Versioned, Base):
    __tablename__ = "users"
    __entity__ = "user"
    __table_args__ = (
        CheckConstraint(in_vocabulary("role", ROLES), name="role"),
        CheckConstraint(
            "language IS NULL OR " + in_vocabulary("language", LANGUAGES), name="language"
        ),
    )
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    all_sites: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    unblinded: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the printed name shown with the user's electronic signatures (21 CFR 11.50)
    full_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the language of the user's pages (autoserum.i18n.LANGUAGES); None: the browser's
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)


class UserSiteRow(_Versioned, Base):
    """A user's membership of one site (of one study): whose subjects the user may act on."""

    __tablename__ = "user_sites"
    __entity__ = "user_site"
    __table_args__ = (UniqueConstraint("user_id", "site_id", name="uq_user_sites_user_id_site_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(200), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailureRow(Base):
    """One failed login from a client address (the throttle's window, shared by processes)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_client_at", "client", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AllocationListRow(_Versioned, Base):
    __tablename__ = "allocation_lists"
    __entity__ = "allocation_list"
    __table_args__ = (UniqueConstraint("study_id", "stratum"),)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    stratum: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(Integer)
    arms: Mapped[Any] = mapped_column(JSONText)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AllocationRow(Base):
    """One concealed entry of an allocation list (not audited: reproducible from its seed)."""

    __tablename__ = "allocations"
    __table_args__ = (UniqueConstraint("list_id", "sequence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("allocation_lists.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    block: Mapped[int] = mapped_column(Integer)
    block_size: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(50))
    subject_pk: Mapped[int | None] = mapped_column(
        ForeignKey("subjects.id"), nullable=True, unique=True
    )


class SubjectRow(_columns("subject"), _Versioned, Base):  # type: ignore[misc]
    __tablename__ = "subjects"
    __entity__ = "subject"
    __table_args__ = (
        UniqueConstraint("study_id", "subject_id"),
        UniqueConstraint("allocation_id", name="uq_subjects_allocation_id"),
        *record_checks(entity("subject")),
    )
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)

    @property
    def subject_pk(self) -> int:
        return self.id


class _SubjectChild(_Versioned):
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)


class VisitRow(_columns("visit"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "visits"
    __entity__ = "visit"
    __table_args__ = (
        UniqueConstraint("subject_pk", "visit_code", name="uq_visits_subject_pk_visit_code"),
    )


class AssessmentRow(_columns("assessment"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "assessments"
    __entity__ = "assessment"
    __table_args__ = (UniqueConstraint("visit_id", "instrument"),)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))


class LabRow(_columns("lab"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "labs"
    __entity__ = "lab"
    __table_args__ = (UniqueConstraint("visit_id", "analyte"), *record_checks(entity("lab")))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))


class InjectionRow(_columns("injection"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "injections"
    __entity__ = "injection"
    __table_args__ = record_checks(entity("injection"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("blood_draws.id"), nullable=True, index=True
    )
    aliquot_id: Mapped[int | None] = mapped_column(
        ForeignKey("aliquots.id"), nullable=True, index=True
    )
    preparation_id: Mapped[int | None] = mapped_column(
        ForeignKey("preparations.id"), nullable=True, index=True
    )


class AdverseEventRow(_columns("adverse_event"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "adverse_events"
    __entity__ = "adverse_event"
    __table_args__ = record_checks(entity("adverse_event"))

    @property
    def follow_up(self) -> int:
        """The event's follow-up number (the registry's derived ``follow_up``): each follow-up
        is a correction, a new version; 0 as first reported."""
        return follow_up_of(self.version)

    @staticmethod
    def version_of(follow_up: int | None) -> int:
        """The version of an event imported as of its ``follow_up`` (empty: as first
        reported), so that its export says the same again."""
        return 1 + (follow_up or 0)


class ConMedRow(_columns("con_med"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "con_meds"
    __entity__ = "con_med"
    __table_args__ = record_checks(entity("con_med"))


class DeviationRow(_columns("deviation"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "deviations"
    __entity__ = "deviation"
    __table_args__ = record_checks(entity("deviation"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True, index=True)
    injection_id: Mapped[int | None] = mapped_column(
        ForeignKey("injections.id"), nullable=True, index=True
    )


# --- the autologous product's chain of identity (entities.PRODUCT_CHAIN) -----------------
class BloodDrawRow(_columns("blood_draw"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "blood_draws"
    __entity__ = "blood_draw"
    __table_args__ = (UniqueConstraint("study_id", "code"),)


class ProcessingRow(_columns("processing"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "processings"
    __entity__ = "processing"
    draw_id: Mapped[int] = mapped_column(ForeignKey("blood_draws.id"), index=True)


class AliquotRow(_columns("aliquot"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "aliquots"
    __entity__ = "aliquot"
    __table_args__ = (UniqueConstraint("study_id", "code"),)
    processing_id: Mapped[int] = mapped_column(ForeignKey("processings.id"), index=True)


class StorageEventRow(_columns("storage_event"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "storage_events"
    __entity__ = "storage_event"
    __table_args__ = record_checks(entity("storage_event"))
    aliquot_id: Mapped[int] = mapped_column(ForeignKey("aliquots.id"), index=True)


class DisposalRow(_columns("disposal"), _SubjectChild, Base):  # type: ignore[misc]
    """The disposal of exactly one of an aliquot, a blinded kit (of any arm) or a blood draw."""

    __tablename__ = "disposals"
    __entity__ = "disposal"
    __table_args__ = (
        CheckConstraint(
            "(aliquot_id IS NOT NULL AND preparation_id IS NULL AND blood_draw_id IS NULL)"
            " OR (aliquot_id IS NULL AND preparation_id IS NOT NULL AND blood_draw_id IS NULL)"
            " OR (aliquot_id IS NULL AND preparation_id IS NULL AND blood_draw_id IS NOT NULL)",
            name="one_of",
        ),
    )
    aliquot_id: Mapped[int | None] = mapped_column(
        ForeignKey("aliquots.id"), nullable=True, index=True
    )
    preparation_id: Mapped[int | None] = mapped_column(
        ForeignKey("preparations.id"), nullable=True, index=True
    )
    blood_draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("blood_draws.id"), nullable=True, index=True
    )


class PreparationRow(_columns("preparation"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "preparations"
    __entity__ = "preparation"
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        CheckConstraint("aliquot_id IS NULL OR blood_draw_id IS NULL", name="one_source"),
        *record_checks(entity("preparation")),
    )
    aliquot_id: Mapped[int | None] = mapped_column(
        ForeignKey("aliquots.id"), nullable=True, index=True
    )
    #: whole blood of a double-blind whole-blood arm (at most one of the two sources).
    blood_draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("blood_draws.id"), nullable=True, index=True
    )


# --- lesion photographs and their blinded central rating (docs/photos.md) -----------------
class PhotoRow(_columns("photo"), _SubjectChild, Base):  # type: ignore[misc]
    """A photograph's metadata and content hash; its bytes are in the file store."""

    __tablename__ = "photos"
    __entity__ = "photo"
    __table_args__ = (
        UniqueConstraint("study_id", "code", name="uq_photos_study_id_code"),
        *record_checks(entity("photo")),
    )
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)


class PhotoRatingRow(_columns("photo_rating"), _SubjectChild, Base):  # type: ignore[misc]
    """One rater's blinded rating of one photograph (one per rater and photograph)."""

    __tablename__ = "photo_ratings"
    __entity__ = "photo_rating"
    __table_args__ = (
        UniqueConstraint("photo_id", "rater", name="uq_photo_ratings_photo_id_rater"),
    )
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), index=True)


# --- subject history and vital signs -----------------------------------------------------
class VitalSignRow(_columns("vital_sign"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "vital_signs"
    __entity__ = "vital_sign"
    __table_args__ = (UniqueConstraint("visit_id", name="uq_vital_signs_visit_id"),)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))


class PriorTreatmentRow(_columns("prior_treatment"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "prior_treatments"
    __entity__ = "prior_treatment"
    __table_args__ = record_checks(entity("prior_treatment"))


class ComorbidityRow(_columns("comorbidity"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "comorbidities"
    __entity__ = "comorbidity"
    __table_args__ = record_checks(entity("comorbidity"))


# --- self-report by the patient (docs/epro.md) ------------------------------------------
class PatientLinkRow(_columns("patient_link"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "patient_links"
    __entity__ = "patient_link"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_patient_links_token_hash"),)


class ProEntryRow(_columns("pro_entry"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "pro_entries"
    __entity__ = "pro_entry"
    __table_args__ = (
        UniqueConstraint(
            "subject_pk", "instrument", "slot", name="uq_pro_entries_subject_pk_instrument_slot"
        ),
        UniqueConstraint(
            "subject_pk", "submission_id", name="uq_pro_entries_subject_pk_submission_id"
        ),
        *record_checks(entity("pro_entry")),
    )
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient_links.id"), nullable=True, index=True
    )


class ConsentDocumentRow(_Versioned, Base):
    """One approved version of a study's consent document in one language
    (fields: :data:`autoserum.study.consent.DOCUMENT_FIELDS`)."""

    __tablename__ = "consent_documents"
    __entity__ = "consent_document"
    __table_args__ = (
        UniqueConstraint(
            "study_id",
            "document_version",
            "language",
            name="uq_consent_documents_study_id_document_version_language",
        ),
    )
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    document_version: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ConsentRow(_SubjectChild, Base):
    """A subject's consent to one document version, and its withdrawal
    (fields: :data:`autoserum.study.consent.CONSENT_FIELDS`)."""

    __tablename__ = "consents"
    __entity__ = "consent"
    document_id: Mapped[int] = mapped_column(ForeignKey("consent_documents.id"), index=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    obtained_by: Mapped[str] = mapped_column(String(200))
    witness: Mapped[str | None] = mapped_column(String(200), nullable=True)
    representative: Mapped[str | None] = mapped_column(String(200), nullable=True)
    components: Mapped[Any] = mapped_column(JSONText, nullable=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def withdrawn(self) -> bool:
        """Whether consent was withdrawn (the package's derived ``withdrawn``)."""
        return self.withdrawn_on is not None


class LockRow(_Versioned, Base):
    """A lock on a record, a visit, a subject or the study (the database lock, with its
    manifest), and its audited lifting (levels: :data:`autoserum.study.locks.LEVELS`)."""

    __tablename__ = "locks"
    __entity__ = "lock"
    __table_args__ = (CheckConstraint(in_vocabulary("level", LEVELS), name="level"),)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    subject_pk: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    level: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str | None] = mapped_column(String(30), nullable=True)
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    locked_by: Mapped[str] = mapped_column(String(100))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unlocked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unlock_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest: Mapped[Any] = mapped_column(JSONText, nullable=True)

    @property
    def unlocked(self) -> bool:
        """Whether the lock was lifted (the package's derived ``unlocked``)."""
        return self.unlocked_at is not None


# --- data review: queries, source-data verification, electronic signatures (issue 12) ------
class QueryRow(_Versioned, Base):
    """A data query on a record (``field`` null) or one field of it
    (statuses: :data:`autoserum.study.queries.QUERY_STATUSES`); ``finding`` names the finding
    of an automatic check (``rule``) so that it is raised once."""

    __tablename__ = "queries"
    __entity__ = "query"
    __table_args__ = (
        CheckConstraint(in_vocabulary("status", QUERY_STATUSES), name="status"),
        Index("ix_queries_study_id_status", "study_id", "status"),
        Index("ix_queries_finding", "finding"),
    )
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    entity: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(50), nullable=True)
    status: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str | None] = mapped_column(String(50), nullable=True)
    finding: Mapped[str | None] = mapped_column(String(300), nullable=True)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QueryMessageRow(_Versioned, Base):
    """One message of a query's thread (kind: open, answer, close, reopen, cancel); an answer
    made with a correction names it in ``correction`` (entity, record, new version, fields)."""

    __tablename__ = "query_messages"
    __entity__ = "query_message"
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    correction: Mapped[Any] = mapped_column(JSONText, nullable=True)


class VerificationRow(_Versioned, Base):
    """A record (form) verified against the source by a monitor; ``cleared_at`` set when the
    record changed later (or the verification was withdrawn)."""

    __tablename__ = "verifications"
    __entity__ = "verification"
    __table_args__ = (Index("ix_verifications_entity_record_id", "entity", "record_id"),)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    entity: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    record_version: Mapped[int] = mapped_column(Integer)
    verified_by: Mapped[str] = mapped_column(String(100))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleared_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def cleared(self) -> bool:
        """Whether the verification was cleared (the package's derived ``cleared``)."""
        return self.cleared_at is not None


class SignatureRow(_Versioned, Base):
    """An electronic signature of a visit, a casebook or the study, bound to the SHA-256 of
    the signed content; ``invalidated_at`` set when the content changed later."""

    __tablename__ = "signatures"
    __entity__ = "signature"
    __table_args__ = (
        CheckConstraint(in_vocabulary("level", SIGNATURE_LEVELS), name="level"),
        CheckConstraint(in_vocabulary("meaning", MEANINGS), name="meaning"),
    )
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    subject_pk: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    level: Mapped[str] = mapped_column(String(10))
    meaning: Mapped[str] = mapped_column(String(20))
    signer: Mapped[str] = mapped_column(String(100))
    printed_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    local_signed_at: Mapped[str] = mapped_column(String(40))
    content_sha256: Mapped[str] = mapped_column(String(64))
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invalid_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def invalidated(self) -> bool:
        """Whether the signature was invalidated (the package's derived ``invalidated``)."""
        return self.invalidated_at is not None


# --- protocol amendments (issue 12) ---------------------------------------------------------
class ProtocolVersionRow(_Versioned, Base):
    """An amendment of a study's protocol: version ``number`` (2, 3, ...; version 1 is the
    protocol frozen into ``studies.protocol``), effective from ``effective_on``, what changed,
    who approved it, the amended protocol (:mod:`autoserum.protocols._versions`)."""

    __tablename__ = "protocol_versions"
    __entity__ = "protocol_version"
    __table_args__ = (
        UniqueConstraint("study_id", "number", name="uq_protocol_versions_study_id_number"),
    )
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[Any] = mapped_column(JSONText)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnblindingRow(_columns("unblinding"), _SubjectChild, Base):  # type: ignore[misc]
    __tablename__ = "unblindings"
    __entity__ = "unblinding"


class AuditRow(Base):
    """One append-only audit record: one field of one record changed in one transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_record", "entity", "record_id"),
        Index("ix_audit_log_study_at", "study_id", "at"),  # the day-range filter (0009)
        Index("ix_audit_log_study_username", "study_id", "username"),  # author filter (0025)
        Index("ix_audit_log_study_entity", "study_id", "entity"),  # record-type filter (0025)
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    txn: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    study_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    subject_pk: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    entity: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    field: Mapped[str | None] = mapped_column(String(50), nullable=True)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditHeadRow(Base):
    """The head of one audit hash chain (one chain per study; chain 0 holds the rows without a
    study): its length, the hash of its last row and an HMAC of both when a key is set. A cache
    and a checkpoint: ``audit verify`` recomputes the chain from the rows."""

    __tablename__ = "audit_heads"
    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)


AUDITED: dict[str, type[Any]] = {
    c.__entity__: c
    for c in (
        StudyRow,
        SiteRow,
        UserRow,
        UserSiteRow,
        AllocationListRow,
        SubjectRow,
        VisitRow,
        AssessmentRow,
        LabRow,
        InjectionRow,
        AdverseEventRow,
        ConMedRow,
        DeviationRow,
        UnblindingRow,
        BloodDrawRow,
        ProcessingRow,
        AliquotRow,
        StorageEventRow,
        DisposalRow,
        PreparationRow,
        PhotoRow,
        PhotoRatingRow,
        VitalSignRow,
        PriorTreatmentRow,
        ComorbidityRow,
        PatientLinkRow,
        ProEntryRow,
        ConsentDocumentRow,
        ConsentRow,
        LockRow,
        QueryRow,
        QueryMessageRow,
        VerificationRow,
        SignatureRow,
        ProtocolVersionRow,
    )
}
"""Entity name → model of every audited table."""


SECURITY_EVENTS: dict[str, str] = {
    "login": N_("a successful login (web: the client address; CLI: --user proved)"),
    "login_failed": N_("a failed login: wrong password, unknown user or locked account (reason)"),
    "lockout": N_("an account locked after repeated failed logins"),
    "token_created": N_("an API token created (its id, label and expiry)"),
    "token_revoked": N_("an API token revoked (one, or every token at a password change)"),
    "password_changed": N_(
        "a password set (the user's sessions ended, tokens revoked unless kept)"
    ),
    "export": N_("a study exported (study, what, blinded or not)"),
    "unblinding_view": N_("a concealed arm shown to a user (emergency unblinding)"),
}
"""The kinds of security events, with what each records (``security_events.kind``)."""


class SecurityEventRow(Base):
    """One append-only security event (logins, tokens, passwords, exports, unblinding views):
    separate from the data changes of ``audit_log``, hash-chained the same way (one chain,
    :data:`autoserum.store._chain.SECURITY_CHAIN`). ``actor`` acted; ``username`` is the
    account concerned (as typed, for a failed login); ``detail`` is canonical JSON."""

    __tablename__ = "security_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    username: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    client: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
