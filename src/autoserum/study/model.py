"""Entities of the study model: immutable records as the store hands them out.

Identifiers: ``subject_id`` is the study's own identifier of a subject (never a name); ``id``
is the record id of the store (stable, used by ``update_record`` and the audit trail); every
record carries its ``version`` for optimistic concurrency.

>>> Site(code="s01", name="Seoul").code
's01'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, make_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from autoserum.study.entities import EntitySpec, entity
from autoserum.study.history import ad_duration
from autoserum.study.status import SubjectStatus

__all__ = [
    "AdverseEvent",
    "Aliquot",
    "Arm",
    "Assessment",
    "BloodDraw",
    "Comorbidity",
    "ConMed",
    "Deviation",
    "Disposal",
    "Injection",
    "LabResult",
    "Photo",
    "PhotoRating",
    "Preparation",
    "PriorTreatment",
    "ProEntry",
    "Processing",
    "ProductLife",
    "Record",
    "Site",
    "StorageEvent",
    "Study",
    "Subject",
    "SubjectDetail",
    "Unblinding",
    "Visit",
    "VitalSign",
    "record_class",
]


@dataclass(frozen=True)
class Study:
    """A study: its name, the protocol it runs and how it is blinded."""

    name: str
    protocol_code: str
    open_label: bool
    has_run_in: bool
    arms: tuple[Arm, ...] = ()
    stratify_by: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Stratification factors besides the site: ``(name, levels)`` pairs, by name."""
    start_date: date | None = None
    """The study start: no date of a subject's record before it (``None``: not declared)."""


@dataclass(frozen=True)
class Arm:
    """An arm of the study's protocol."""

    code: str
    label: str
    product: str
    is_control: bool


@dataclass(frozen=True)
class Site:
    """A study site."""

    code: str
    name: str


@dataclass(frozen=True)
class Subject:
    """A subject. ``arm`` is ``None`` before allocation and ``"blinded"`` for a blinded viewer."""

    id: int
    subject_id: str
    site: str
    status: SubjectStatus
    arm: str | None
    facts: Mapping[str, Any] = field(default_factory=dict)
    age: Decimal | None = None
    sex: str | None = None
    per_protocol: bool | None = None
    treated: bool | None = None
    withdrawal_reason: str | None = None
    unblinded: bool = False
    version: int = 1
    language: str | None = None  # of the subject's own pages (autoserum.i18n.LANGUAGES)
    # demographics and AD history (autoserum.study.history)
    birth_date: date | None = None
    ethnicity: str | None = None
    race: str | None = None
    fitzpatrick: str | None = None
    ad_onset_age: Decimal | None = None

    @property
    def ad_duration(self) -> Decimal | None:
        """Years with atopic dermatitis: age minus age at onset (``None`` if either is
        unknown)."""
        return ad_duration(self.age, self.ad_onset_age)


@dataclass(frozen=True, kw_only=True)
class Record:
    """A recorded record of a subject: its store id, the subject's identifier and its version.

    The record types below are derived from the entity registry
    (:mod:`autoserum.study.entities`): one frozen dataclass per type, with a field per field of
    its declaration and per link (``visit_id``); a field masked for blinded viewers holds
    ``"blinded"``. Their fields are typed by the registry, not statically (``Any``).
    """

    id: int
    subject_id: str
    version: int = 1

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


def _out_of_window(self: Any) -> bool:
    """Whether the visit fell outside its window (a protocol deviation)."""
    return self.deviation_days is not None


def record_class(spec: EntitySpec, *, doc: str = "") -> type[Record]:
    """The frozen dataclass of the records of ``spec``: :class:`Record` plus its links and
    fields (keyword-only)."""
    names = (*spec.links, *spec.names)
    namespace: dict[str, Any] = {"__doc__": doc or f"A record: {spec.label or spec.name}."}
    if spec.name == "visit":
        namespace["out_of_window"] = property(_out_of_window)
    name = "".join(part.capitalize() for part in spec.name.split("_"))
    cls = make_dataclass(
        name,
        [(n, Any) for n in names],
        bases=(Record,),
        namespace=namespace,
        frozen=True,
        kw_only=True,
    )
    cls.__module__ = __name__
    return cls


if TYPE_CHECKING:
    Visit = Record
    Assessment = Record
    LabResult = Record
    Injection = Record
    AdverseEvent = Record
    ConMed = Record
    Deviation = Record
    BloodDraw = Record
    Processing = Record
    Aliquot = Record
    StorageEvent = Record
    Disposal = Record
    Preparation = Record
    Photo = Record
    PhotoRating = Record
    VitalSign = Record
    PriorTreatment = Record
    Comorbidity = Record
    ProEntry = Record
else:
    Visit = record_class(
        entity("visit"), doc="An actual visit, with its planned window and the deviation in days."
    )
    Assessment = record_class(
        entity("assessment"), doc="An instrument filled at a visit, with its exact total."
    )
    LabResult = record_class(entity("lab"), doc="A lab value in its canonical UCUM unit.")
    Injection = record_class(
        entity("injection"), doc='An injection given. ``product`` is "blinded" when blinded.'
    )
    AdverseEvent = record_class(entity("adverse_event"), doc="An adverse event.")
    ConMed = record_class(entity("con_med"), doc="A concomitant medication.")
    Deviation = record_class(entity("deviation"), doc="A protocol deviation.")
    BloodDraw = record_class(entity("blood_draw"), doc="A blood draw (whole blood: the product).")
    Processing = record_class(
        entity("processing"), doc="The processing of a draw, its deviations flagged."
    )
    Aliquot = record_class(entity("aliquot"), doc="An aliquot of a subject's product.")
    StorageEvent = record_class(entity("storage_event"), doc="A storage event of an aliquot.")
    Disposal = record_class(
        entity("disposal"), doc="The disposal of an aliquot, a blinded kit or a blood draw."
    )
    Preparation = record_class(
        entity("preparation"), doc='A blinded kit. ``product`` is "blinded" when blinded.'
    )
    Photo = record_class(
        entity("photo"),
        doc="A lesion photograph's metadata and hash (its bytes in the file store).",
    )
    PhotoRating = record_class(entity("photo_rating"), doc="A blinded rating of a photograph.")
    VitalSign = record_class(entity("vital_sign"), doc="The vital signs measured at a visit.")
    PriorTreatment = record_class(
        entity("prior_treatment"), doc="A systemic treatment of AD before the study."
    )
    Comorbidity = record_class(entity("comorbidity"), doc="An atopic comorbidity.")
    ProEntry = record_class(
        entity("pro_entry"), doc="An entry the patient made through a self-report link."
    )


@dataclass(frozen=True)
class Unblinding:
    """An emergency unblinding of one subject."""

    id: int
    subject_id: str
    username: str
    reason: str
    at: str


@dataclass(frozen=True)
class ProductLife:
    """A subject's autologous product from draw to injection, as one viewer may see it: a
    blinded viewer gets the kits only (their product ``"blinded"``) and ``blinded`` set.
    ``status`` gives each aliquot's state by its id (``available``, ``injected``,
    ``disposed``, ``expired``, ``thawed too often``); ``use_by`` each kit's use-by by its id
    (``study.aliquots.kit_use_by``: the same rule for every kit, so shown to blinded viewers)."""

    subject_id: str
    blinded: bool
    draws: tuple[BloodDraw, ...] = ()
    processings: tuple[Processing, ...] = ()
    aliquots: tuple[Aliquot, ...] = ()
    storage_events: tuple[StorageEvent, ...] = ()
    disposals: tuple[Disposal, ...] = ()
    kits: tuple[Preparation, ...] = ()
    injections: tuple[Injection, ...] = ()
    status: Mapping[int, str] = field(default_factory=dict)
    use_by: Mapping[int, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectDetail:
    """A subject with everything recorded about them."""

    subject: Subject
    visits: tuple[Visit, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    labs: tuple[LabResult, ...] = ()
    injections: tuple[Injection, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    con_meds: tuple[ConMed, ...] = ()
    deviations: tuple[Deviation, ...] = ()
    vital_signs: tuple[VitalSign, ...] = ()
    prior_treatments: tuple[PriorTreatment, ...] = ()
    comorbidities: tuple[Comorbidity, ...] = ()
