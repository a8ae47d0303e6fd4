"""Informed consent (ICH E6(R3) 2.8; 21 CFR 50.27): the study's consent documents, a subject's
consent records, and the one rule every writer asks before it collects data.

- A **document** is one approved version of the information sheet and consent form in one
  language, effective from a date, identified by the SHA-256 of its file.
- A **consent** is a subject's signature on one document version: when, who obtained it, an
  optional impartial witness or legally authorised representative, and the optional
  components the subject agreed to or declined (photographs, sample storage, ...).
- **Withdrawal** of consent ends collection from its date on; what was collected before is kept.
- A newer document version in the subject's language, effective on a date, makes every subject
  who consented to an older version **need re-consent** (flagged; their consent stays valid
  until then, as the ethics committee decides).

Which steps need consent: everything after the pre-screen. Screening (the eligibility facts
and the screening visit that registers the subject) may be done before; randomisation and
every new record of the subject (visits, assessments, labs, injections, adverse events,
con-meds, deviations) need a consent valid on the date of what is recorded. A study with no
consent document registered does not manage consent in autoserum (data imported from
elsewhere, simulations) and is not gated.

>>> doc = ConsentDocument("1.0", "en", date(2026, 1, 5), "ab" * 32)
>>> c = Consent("S01", "1.0", "en", datetime(2026, 2, 16, 9, 30, tzinfo=UTC), "Dr A")
>>> consent_state([doc], [c], on=date(2026, 2, 16)).status
'valid'
>>> consent_state([doc], [c], on=date(2026, 2, 15)).status
'none'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from autoserum.errors import Expected, Message, ValidationError

__all__ = [
    "COMPONENTS",
    "CONSENT_EXPORT_COLUMNS",
    "CONSENT_FIELDS",
    "DOCUMENT_FIELDS",
    "IDENTIFYING_CONSENT_COLUMNS",
    "LANGUAGE_PATTERN",
    "SHA256_PATTERN",
    "Consent",
    "ConsentDocument",
    "ConsentState",
    "check_component",
    "check_components",
    "check_consented",
    "check_in_effect",
    "check_language",
    "check_sha256",
    "check_withdrawal",
    "consent_state",
]

#: Optional components of a consent, each agreed (``True``) or declined (``False``).
COMPONENTS: Final[tuple[str, ...]] = (
    "photographs",
    "sample_storage",
    "future_research",
    "genetic_testing",
    "recontact",
)

#: The fields of a consent document, in one place (name, type, label).
DOCUMENT_FIELDS: Final[tuple[tuple[str, str, str], ...]] = (
    ("document_version", "text", "Document version"),
    ("language", "text", "Language (BCP 47, e.g. en, de, ko)"),
    ("effective_on", "date", "Effective from"),
    ("sha256", "text", "SHA-256 of the document file"),
    ("title", "text", "Title"),
)

#: The fields of a subject's consent record, in one place (name, type, label).
CONSENT_FIELDS: Final[tuple[tuple[str, str, str], ...]] = (
    ("document_version", "text", "Document version signed"),
    ("language", "text", "Language"),
    ("consented_at", "datetime", "Signed at (date and time)"),
    ("obtained_by", "text", "Person obtaining consent"),
    ("witness", "text", "Impartial witness (optional)"),
    ("representative", "text", "Legally authorised representative (optional)"),
    ("components", "components", "Optional components"),
    ("withdrawn_on", "date", "Consent withdrawn on"),
    ("withdrawal_reason", "text", "Reason for withdrawal"),
)

#: Columns of the consent export (``<stem>.consent.csv``): one row per consent signed.
CONSENT_EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "subject_id",
    "site",
    "document_version",
    "language",
    "consented_at",
    "obtained_by",
    "witness",
    "representative",
    *(f"component_{c}" for c in COMPONENTS),
    "withdrawn_on",
    "withdrawal_reason",
)

#: Columns naming people (staff, witnesses, representatives) or their words: left empty in a
#: de-identified export (statistician).
IDENTIFYING_CONSENT_COLUMNS: Final[frozenset[str]] = frozenset(
    {"obtained_by", "witness", "representative", "withdrawal_reason"}
)

#: A document's SHA-256 (lower-case hexadecimal) as a regular expression.
SHA256_PATTERN: Final = r"^[0-9a-f]{64}$"
#: A BCP 47 language tag (``en``, ``pt-BR``) as a regular expression.
LANGUAGE_PATTERN: Final = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

_SHA256 = re.compile(SHA256_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)


@dataclass(frozen=True)
class ConsentDocument:
    """One approved version of the consent document in one language."""

    document_version: str
    language: str
    effective_on: date
    sha256: str
    title: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Consent:
    """A subject's consent to one document version (and its withdrawal, once withdrawn)."""

    subject_id: str
    document_version: str
    language: str
    consented_at: datetime
    obtained_by: str
    witness: str | None = None
    representative: str | None = None
    components: Mapping[str, bool] = field(default_factory=dict)
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    id: int | None = None
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the field names of :data:`CONSENT_FIELDS`."""
        return {
            "id": self.id,
            "subject_id": self.subject_id,
            "document_version": self.document_version,
            "language": self.language,
            "consented_at": self.consented_at.isoformat(),
            "obtained_by": self.obtained_by,
            "witness": self.witness,
            "representative": self.representative,
            "components": dict(sorted(self.components.items())),
            "withdrawn_on": None if self.withdrawn_on is None else self.withdrawn_on.isoformat(),
            "withdrawal_reason": self.withdrawal_reason,
            "version": self.version,
        }


@dataclass(frozen=True)
class ConsentState:
    """A subject's consent on a date: ``status`` is ``none`` (never consented by then),
    ``valid``, ``reconsent`` (valid, but a newer document version is effective) or
    ``withdrawn``; ``current`` is the document version the subject should sign now."""

    status: str
    signed_version: str | None
    current: str | None
    withdrawn_on: date | None = None

    @property
    def allows_collection(self) -> bool:
        """Whether data may be collected on that date."""
        return self.status in {"valid", "reconsent"}


def check_sha256(field_name: str, value: Any) -> str:
    """A lower-case hex SHA-256 digest."""
    text = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(text, str) or not _SHA256.match(text):
        raise ValidationError(
            field_name, value, Expected("a SHA-256 digest: 64 hexadecimal characters")
        )
    return text


def check_language(field_name: str, value: Any) -> str:
    """A BCP 47 language tag such as ``en``, ``de`` or ``pt-BR``."""
    if not isinstance(value, str) or not _LANGUAGE.match(value.strip()):
        raise ValidationError(
            field_name, value, Expected("a language tag such as en, de, ko or pt-BR")
        )
    return value.strip()


def check_components(value: Any) -> dict[str, bool]:
    """The optional components as ``{component: agreed}``, each of :data:`COMPONENTS`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            "components", value, Expected("a mapping of component to true or false")
        )
    out: dict[str, bool] = {}
    for name, agreed in value.items():
        if name not in COMPONENTS:
            raise ValidationError(
                "components", name, Expected("one of %(values)s", values=", ".join(COMPONENTS))
            )
        if not isinstance(agreed, bool):
            raise ValidationError(f"components.{name}", agreed, Expected("true or false"))
        out[str(name)] = agreed
    return out


def check_in_effect(document: ConsentDocument, consented_at: datetime) -> None:
    """Refuse a consent signed before its document version took effect (field
    ``consented_at``).

    >>> doc = ConsentDocument("2.0", "en", date(2026, 4, 1), "ab" * 32)
    >>> check_in_effect(doc, datetime(2026, 4, 1, 8, tzinfo=UTC))
    >>> try:
    ...     check_in_effect(doc, datetime(2026, 3, 31, 8, tzinfo=UTC))
    ... except ValidationError as err:
    ...     print(err.expected)
    a date on or after 2026-04-01, when version 2.0 took effect
    """
    if document.effective_on > consented_at.astimezone(UTC).date():
        raise ValidationError(
            "consented_at",
            consented_at.isoformat(),
            Expected(
                "a date on or after %(effective_on)s, when version "
                "%(document_version)s took effect",
                effective_on=document.effective_on,
                document_version=document.document_version,
            ),
        )


def check_withdrawal(withdrawn_on: date, consented_at: Iterable[datetime]) -> None:
    """Refuse a withdrawal dated before the subject's first consent (field ``withdrawn_on``).

    >>> try:
    ...     check_withdrawal(date(2026, 2, 1), [datetime(2026, 2, 16, tzinfo=UTC)])
    ... except ValidationError as err:
    ...     print(err.expected)
    a date on or after the consent (2026-02-16)
    """
    first = min(at.astimezone(UTC).date() for at in consented_at)
    if withdrawn_on < first:
        raise ValidationError(
            "withdrawn_on",
            withdrawn_on.isoformat(),
            Expected("a date on or after the consent (%(first)s)", first=first),
        )


def _current(documents: Iterable[ConsentDocument], language: str, on: date) -> str | None:
    """The version of the document in ``language`` in effect on ``on`` (the latest effective)."""
    best: ConsentDocument | None = None
    for d in documents:
        eligible = d.language == language and d.effective_on <= on
        if eligible and (
            best is None or (d.effective_on, d.id or 0) > (best.effective_on, best.id or 0)
        ):
            best = d
    return None if best is None else best.document_version


def consent_state(
    documents: Sequence[ConsentDocument], consents: Sequence[Consent], *, on: date
) -> ConsentState:
    """The subject's consent on ``on`` from the study's documents and the subject's consents.

    >>> v1 = ConsentDocument("1.0", "en", date(2026, 1, 5), "ab" * 32, id=1)
    >>> v2 = ConsentDocument("2.0", "en", date(2026, 4, 1), "cd" * 32, id=2)
    >>> c = Consent("S01", "1.0", "en", datetime(2026, 2, 16, tzinfo=UTC), "Dr A")
    >>> consent_state([v1, v2], [c], on=date(2026, 4, 2)).status
    'reconsent'
    """
    withdrawn = min((c.withdrawn_on for c in consents if c.withdrawn_on is not None), default=None)
    signed = [c for c in consents if c.consented_at.astimezone(UTC).date() <= on]
    if withdrawn is not None and withdrawn <= on:
        last = signed[-1].document_version if signed else None
        return ConsentState("withdrawn", last, None, withdrawn)
    if not signed:
        return ConsentState("none", None, None)
    latest = max(signed, key=lambda c: (c.consented_at, c.id or 0))
    current = _current(documents, latest.language, on)
    versions = {c.document_version for c in signed if c.language == latest.language}
    status = "valid" if current is None or current in versions else "reconsent"
    return ConsentState(status, latest.document_version, current or latest.document_version)


def check_consented(
    subject_id: str,
    documents: Sequence[ConsentDocument],
    consents: Sequence[Consent],
    *,
    on: date,
    what: str | Message,
) -> ConsentState:
    """Refuse (:class:`ValidationError`, field ``consent``) to ``what`` on ``on`` unless the
    subject's consent is valid then; a study without consent documents is not gated.

    >>> doc = ConsentDocument("1.0", "en", date(2026, 1, 5), "ab" * 32)
    >>> try:
    ...     check_consented("S01", [doc], [], on=date(2026, 2, 1), what="randomise")
    ... except ValidationError as err:
    ...     print(err.field, err.value)
    consent None
    """
    state = consent_state(documents, consents, on=on)
    if not documents or state.allows_collection:
        return state
    if state.status == "withdrawn":
        raise ValidationError(
            "consent",
            f"withdrawn on {state.withdrawn_on}",
            Expected(
                "consent of subject %(subject_id)s valid on %(on)s to "
                "%(what)s: no data are collected after consent is withdrawn",
                subject_id=subject_id,
                on=on,
                what=what,
            ),
        )
    raise ValidationError(
        "consent",
        None,
        Expected(
            "informed consent of subject %(subject_id)s given on or "
            "before %(on)s to %(what)s (record the consent first)",
            subject_id=subject_id,
            on=on,
            what=what,
        ),
    )


def check_component(
    subject_id: str,
    documents: Sequence[ConsentDocument],
    consents: Sequence[Consent],
    component: str,
    *,
    on: date,
    what: str | Message,
) -> ConsentState:
    """Refuse (:class:`ValidationError`, field ``consent``) to ``what`` on ``on`` unless the
    subject's consent is valid then **and** its latest signed consent agreed to the optional
    ``component`` (one of :data:`COMPONENTS`). Unlike :func:`check_consented`, a study without
    consent documents is no exemption: no consent, no component.

    >>> doc = ConsentDocument("1.0", "en", date(2026, 1, 5), "ab" * 32)
    >>> c = Consent("S01", "1.0", "en", datetime(2026, 2, 1, tzinfo=UTC), "Dr A",
    ...             components={"photographs": False})
    >>> try:
    ...     check_component("S01", [doc], [c], "photographs", on=date(2026, 2, 2), what="photo")
    ... except ValidationError as err:
    ...     print(err.field, err.value)
    consent photographs declined
    """
    if component not in COMPONENTS:  # a programming error, never user input
        raise ValidationError(
            "component", component, Expected("one of %(values)s", values=", ".join(COMPONENTS))
        )
    state = consent_state(documents, consents, on=on)
    if state.status == "withdrawn" or not state.allows_collection:
        check_consented(subject_id, documents or _ANY_DOCUMENT, consents, on=on, what=what)
    signed = [c for c in consents if c.consented_at.astimezone(UTC).date() <= on]
    latest = max(signed, key=lambda c: (c.consented_at, c.id or 0))
    agreed = latest.components.get(component)
    if agreed is not True:
        shown = "not asked" if agreed is None else "declined"
        raise ValidationError(
            "consent",
            f"{component} {shown}",
            Expected(
                "a consent of subject %(subject_id)s with the optional "
                "component %(component)s agreed, valid on %(on)s, to "
                "%(what)s (record a consent that includes it first)",
                subject_id=subject_id,
                component=repr(component),
                on=on,
                what=what,
            ),
        )
    return state


#: A stand-in document list so that :func:`check_consented` refuses when a study keeps no
#: consent documents (a component needs a consent whatever the study manages).
_ANY_DOCUMENT: Final[tuple[ConsentDocument, ...]] = (
    ConsentDocument("any", "en", date.min, "0" * 64),
)
