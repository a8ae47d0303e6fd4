"""The protocol schema: frozen pydantic models of a therapy protocol as data.

Every detail that comes from a publication carries its provenance (``source``):

- ``"published"``: stated by the cited source (``reference`` says where);
- ``"autoserum default"``: an operational parameter a study needs that no source gives (e.g. a
  visit window), chosen by autoserum and documented in ``note``;
- ``"unknown"``: a detail the source does not publish; the value is then absent, never invented.

Study days count from the first injection: **day 0 = first injection**; screening and run-in days
are negative. Reference: docs/protocols.md (the file format).

>>> Fact(value=5, unit="mL", source="published").describe()
'5 mL'
>>> Fact(source="unknown", note="volume not reported").describe()
'unknown'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, field_validator

from autoserum.protocols._monitoring import Monitoring
from autoserum.protocols._self_report import SelfReport
from autoserum.study.history import DEFAULT_ETHNICITIES, DEFAULT_RACES
from autoserum.study.medication import ATC_PREFIX_PATTERN, POTENCY_EU, DrugClass, PotencyEU
from autoserum.study.tidy import INSTRUMENT_PARAMETERS

__all__ = [
    "DEFAULT_MAX_VOLUME_ML",
    "DEFAULT_MEDICATION",
    "DEFAULT_SAFETY",
    "INSTRUMENT_CODES",
    "LAB_CODES",
    "Arm",
    "Conflict",
    "Demographics",
    "Design",
    "Dose",
    "EligibilityRule",
    "Fact",
    "InjectionPlan",
    "InjectionSite",
    "Medication",
    "MedicationRule",
    "Phase",
    "PhaseCode",
    "Product",
    "ProductProcess",
    "Protocol",
    "Safety",
    "SafetyTerm",
    "Source",
    "SpecialInterest",
    "VisitPlan",
]

Source = Literal["published", "autoserum default", "unknown"]
Design = Literal["parallel", "single_arm", "case_report"]
Blinding = Literal["double_blind", "single_blind", "assessor_blind", "open_label"]
Product = Literal["whole_blood", "serum", "igg", "saline", "none"]
PhaseCode = Literal["screening", "run_in", "treatment", "follow_up"]

#: Instrument totals of the shared vocabulary (docs/data-format.md) a visit may schedule.
INSTRUMENT_CODES: tuple[str, ...] = INSTRUMENT_PARAMETERS
#: Laboratory columns of the shared vocabulary (docs/data-format.md).
LAB_CODES: tuple[str, ...] = ("ige", "eosinophils", "eosinophils_pct", "il10", "ifng", "treg_il10")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Fact(_Frozen):
    """One detail of a protocol with its provenance; ``value`` is absent when unknown."""

    value: float | str | None = None
    unit: str | None = None
    source: Source
    reference: str | None = None
    note: str | None = None

    @property
    def known(self) -> bool:
        """True when the value is given (published or an autoserum default)."""
        return self.source != "unknown"

    def describe(self) -> str:
        """The value with its unit for display, or ``'unknown'``."""
        if self.value is None:
            return "unknown"
        value = self.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{value} {self.unit}" if self.unit else str(value)


class Dose(Fact):
    """The dose per injection; ``per_injection`` lists it injection by injection when it varies
    (e.g. Pittler 2003: 1-2-3-2-1 mL)."""

    per_injection: tuple[float, ...] | None = None

    def at(self, number: int) -> float | str | None:
        """The dose declared for injection ``number`` (1-based): its entry of
        ``per_injection`` for a schedule (``None`` beyond it), else ``value``."""
        if self.per_injection is None:
            return self.value
        if 1 <= number <= len(self.per_injection):
            return self.per_injection[number - 1]
        return None


class InjectionSite(_Frozen):
    """Where an injection goes: a muscle (name may be unknown) or an acupoint (e.g. ST36)."""

    kind: Literal["muscle", "acupoint"]
    name: str | None = None
    code: str | None = None
    laterality: Literal["bilateral", "left", "right", "alternating", "unspecified"] = "unspecified"
    source: Source
    reference: str | None = None
    note: str | None = None


#: The largest volume of one injection when the protocol declares none (autoserum default).
DEFAULT_MAX_VOLUME_ML = 10


def _default_max_volume() -> Fact:
    return Fact(
        value=DEFAULT_MAX_VOLUME_ML,
        unit="mL",
        source="autoserum default",
        note=(
            "largest volume of one injection: no source states one; published autologous "
            "blood/serum injections are 1-5 mL (Pittler 2003: 1-3 mL; Nahm 2023: 5 mL), so "
            "10 mL refuses typing and unit errors without refusing any published dose"
        ),
    )


#: The longest a filled blinded kit keeps when the protocol declares none (autoserum default).
DEFAULT_KIT_SHELF_LIFE_HOURS = 24


def _default_kit_shelf_life() -> Fact:
    return Fact(
        value=DEFAULT_KIT_SHELF_LIFE_HOURS,
        unit="h",
        source="autoserum default",
        note=(
            "longest a filled blinded kit (syringe) keeps, the same for every arm: no source "
            "states one; a syringe filled on the day it is given. An arm's product that keeps "
            "for less (storage_max_days, max_minutes_draw_to_injection) shortens it for every "
            "arm's kits alike (autoserum.study.aliquots.kit_shelf_life)"
        ),
    )


class ProductProcess(_Frozen):
    """How an arm's autologous product is made, step by step, each step a fact (published,
    autoserum default or unknown): the blood draw, its processing (clotting and centrifugation
    for serum; Protein A purification, protein concentration and purity for IgG), the aliquots,
    their storage (temperature, shelf life, freeze-thaw limit) and, for whole blood drawn and
    re-injected in one sitting, the longest time from draw to injection. The chain of identity
    (``autoserum.study.aliquots``) checks injections against it."""

    draw_volume: Fact
    tube: Fact
    clotting_minutes: Fact | None = None
    centrifuge_g: Fact | None = None
    centrifuge_minutes: Fact | None = None
    centrifuge_temperature: Fact | None = None
    purification: Fact | None = None
    protein_concentration: Fact | None = None
    purity: Fact | None = None
    aliquot_volume: Fact | None = None
    aliquot_count: Fact | None = None
    storage_temperature: Fact | None = None
    storage_max_days: Fact | None = None
    freeze_thaw_max: Fact | None = None
    max_minutes_draw_to_injection: Fact | None = None


class Arm(_Frozen):
    """One arm: the product, how it is prepared, dosed and given, and its allocation ratio.

    ``max_volume`` is the largest volume of one injection in mL (a recorded injection above
    it is refused); when the file gives none it is the autoserum default of 10 mL. ``process``
    declares how an autologous product is made (:class:`ProductProcess`).
    """

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    product: Product
    is_control: bool = False
    allocation_ratio: PositiveInt = 1
    preparation: Fact
    dose: Dose
    route: Fact
    sites: tuple[InjectionSite, ...] = ()
    max_volume: Fact = Field(default_factory=_default_max_volume)
    process: ProductProcess | None = None


class Phase(_Frozen):
    """A phase of the study: screening, run-in, treatment or follow-up, as a day range."""

    code: PhaseCode
    label: str
    start_day: int
    end_day: int
    source: Source
    reference: str | None = None
    note: str | None = None


class _Planned(_Frozen):
    day: int
    window_before: NonNegativeInt | None = None
    window_after: NonNegativeInt | None = None
    phase: PhaseCode
    day_source: Source = "published"
    window_source: Source = "autoserum default"
    note: str | None = None


class VisitPlan(_Planned):
    """A planned visit: target ``day`` with its window and what is due there.

    A window bound of ``None`` means no limit on that side.
    """

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    instruments: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    other_assessments: tuple[str, ...] = ()


class InjectionPlan(_Planned):
    """A planned injection (``number`` counts from 1), given to every arm on the same day."""

    number: PositiveInt


class EligibilityRule(_Frozen):
    """A condition a candidate must meet, on one named fact (``age``, ``scorad``, ``bsa``, ...).

    ``minimum``/``maximum`` bound a numeric fact (inclusive); ``equals`` requires a value. A rule
    with ``source = "unknown"`` records a published criterion whose threshold is not published:
    it has no bounds and cannot be evaluated.
    """

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    fact: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    minimum: float | None = None
    maximum: float | None = None
    equals: bool | str | None = None
    source: Source
    reference: str | None = None
    note: str | None = None


class MedicationRule(_Frozen):
    """A group of drugs named by ATC code at any level (``D07A``, ``L04AF``) and/or by class
    (``autoserum.study.medication.DRUG_CLASSES``); ``max_potency_eu`` limits topical
    corticosteroids to a potency class (I-IV) or milder. A con-med matches when its ATC code
    starts with one of ``atc`` or its class is one of ``classes``, within the potency limit.
    """

    description: str
    atc: tuple[Annotated[str, Field(pattern=ATC_PREFIX_PATTERN)], ...] = ()
    classes: tuple[DrugClass, ...] = ()
    max_potency_eu: PotencyEU | None = None
    source: Source
    reference: str | None = None
    note: str | None = None

    def matches(
        self, *, atc_code: str | None, drug_class: str | None, potency_eu: str | None
    ) -> bool:
        """True when a con-med of this ATC code, class and potency belongs to the group."""
        named = (atc_code is not None and any(atc_code.startswith(a) for a in self.atc)) or (
            drug_class is not None and drug_class in self.classes
        )
        if not named:
            return False
        if self.max_potency_eu is None or potency_eu is None:
            return True
        return POTENCY_EU.index(potency_eu) <= POTENCY_EU.index(self.max_potency_eu)


_MEDICATION_NOTE = (
    "autoserum default: the source does not report co-treatment rules; topical corticosteroids "
    "up to potent (European class III) as rescue for a flare, and systemic treatments of AD "
    "prohibited during the study, as is usual in AD trials"
)


class Medication(_Frozen):
    """The protocol's rules on concomitant medication: what may be given as **rescue** (and
    when), and what is **prohibited** during the study (a prohibited con-med taken on or after
    day 0 is a protocol deviation)."""

    rescue: tuple[MedicationRule, ...] = ()
    rescue_criteria: Fact
    prohibited: tuple[MedicationRule, ...] = ()


#: The rules a protocol gets when its file declares none (autoserum defaults throughout).
DEFAULT_MEDICATION = Medication(
    rescue=(
        MedicationRule(
            description="topical corticosteroids up to potent (class III)",
            atc=("D07A",),
            classes=("tcs",),
            max_potency_eu="III",
            source="autoserum default",
            note=_MEDICATION_NOTE,
        ),
    ),
    rescue_criteria=Fact(
        value="a flare of atopic dermatitis that the investigator judges intolerable",
        source="autoserum default",
        note=_MEDICATION_NOTE,
    ),
    prohibited=(
        MedicationRule(
            description="systemic treatments of atopic dermatitis",
            atc=(
                "H02A",
                "L04AD01",
                "L04AX01",
                "L04AX03",
                "L04AA06",
                "L04AF",
                "D11AH05",
                "D11AH07",
                "D11AH08",
            ),
            classes=(
                "systemic_corticosteroid",
                "systemic_immunosuppressant",
                "biologic",
                "jak_inhibitor",
                "phototherapy",
            ),
            source="autoserum default",
            note=_MEDICATION_NOTE,
        ),
    ),
)


def _normal(term: str) -> str:
    return " ".join(term.lower().replace("-", " ").split())


class SafetyTerm(_Frozen):
    """An adverse event the reference safety information lists as **expected** (ICH E2A),
    named by a term and its synonyms (matched ignoring case, hyphens and spacing) and
    optionally a MedDRA preferred-term code (8 digits)."""

    term: str
    synonyms: tuple[str, ...] = ()
    meddra_pt: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    source: Source
    reference: str | None = None
    note: str | None = None

    def matches(self, term: str, meddra_pt: str | None = None) -> bool:
        """True when ``term`` (or its MedDRA PT code) is this expected event."""
        if meddra_pt is not None and self.meddra_pt == meddra_pt:
            return True
        return _normal(term) in {_normal(t) for t in (self.term, *self.synonyms)}


class SpecialInterest(_Frozen):
    """An adverse event of special interest (AESI): an event whose term contains one of
    ``words`` (ignoring case, hyphens and spacing) belongs to it."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    words: tuple[str, ...] = Field(min_length=1)
    source: Source
    reference: str | None = None
    note: str | None = None

    def matches(self, term: str) -> bool:
        """True when ``term`` is of this special interest."""
        text = _normal(term)
        return any(_normal(w) in text for w in self.words)


class Safety(_Frozen):
    """The protocol's reference safety information (expected adverse events) and its adverse
    events of special interest."""

    reference_safety_information: tuple[SafetyTerm, ...] = ()
    special_interest: tuple[SpecialInterest, ...] = ()

    def expected(self, term: str, meddra_pt: str | None = None) -> bool:
        """Whether an event is listed in the reference safety information.

        >>> DEFAULT_SAFETY.expected("Injection-site  Haematoma")
        True
        """
        return any(t.matches(term, meddra_pt) for t in self.reference_safety_information)

    def interests(self, term: str) -> tuple[str, ...]:
        """The codes of the special interests an event belongs to.

        >>> DEFAULT_SAFETY.interests("injection site cellulitis")
        ('injection_site_reaction', 'infection')
        """
        return tuple(s.code for s in self.special_interest if s.matches(term))

    def aesi(self, term: str) -> str | None:
        """The ``aesi`` field of an event: its special interests' codes joined by ``", "``,
        or ``None`` (the one form the store, the import and the simulator write).

        >>> DEFAULT_SAFETY.aesi("injection site cellulitis"), DEFAULT_SAFETY.aesi("headache")
        ('injection_site_reaction, infection', None)
        """
        return ", ".join(self.interests(term)) or None


_SAFETY_NOTE = (
    "autoserum default: the source publishes no reference safety information; the local "
    "reactions of an intramuscular or acupoint injection of autologous material"
)


def _expected(term: str, *synonyms: str) -> SafetyTerm:
    return SafetyTerm(term=term, synonyms=synonyms, source="autoserum default", note=_SAFETY_NOTE)


#: The safety information a protocol gets when its file declares none (autoserum defaults).
DEFAULT_SAFETY = Safety(
    reference_safety_information=(
        _expected("injection site pain"),
        _expected("injection site bruising", "injection site bruise"),
        _expected("injection site haematoma", "injection site hematoma"),
        _expected("injection site swelling"),
        _expected("injection site erythema"),
        _expected("injection site infection"),
    ),
    special_interest=(
        SpecialInterest(
            code="injection_site_reaction",
            description="injection-site reactions",
            words=("injection site",),
            source="autoserum default",
            note="the local hazard of repeated injections",
        ),
        SpecialInterest(
            code="infection",
            description="infections",
            words=("infection", "cellulitis", "abscess", "eczema herpeticum", "sepsis"),
            source="autoserum default",
            note="the hazard of handling and re-injecting blood products",
        ),
        SpecialInterest(
            code="ad_flare",
            description="flare of atopic dermatitis",
            words=("atopic dermatitis exacerbation", "eczema exacerbation", "flare"),
            source="autoserum default",
            note="the disease worsening that rescue treats",
        ),
    ),
)


#: The longest category of ethnicity or race (the subject's column width).
CATEGORY_MAX = 60


class Demographics(_Frozen):
    """The categories of ethnicity and race a study collects (a subject's value must be one of
    them). A protocol that declares none gets the CDISC SDTM terms
    (:data:`autoserum.study.history.DEFAULT_ETHNICITIES` and ``DEFAULT_RACES``); a study may
    declare its own (a Korean study: ``race = ["KOREAN", "OTHER ASIAN", "OTHER"]``), written to
    SDTM DM as declared, in capitals."""

    ethnicity: tuple[Annotated[str, Field(min_length=1, max_length=CATEGORY_MAX)], ...] = Field(
        default=DEFAULT_ETHNICITIES, min_length=1
    )
    race: tuple[Annotated[str, Field(min_length=1, max_length=CATEGORY_MAX)], ...] = Field(
        default=DEFAULT_RACES, min_length=1
    )
    source: Source = "autoserum default"
    reference: str | None = None
    note: str | None = None


class Conflict(_Frozen):
    """Facts on which the sources disagree, and which one this protocol file follows."""

    topic: str
    statements: tuple[str, ...] = Field(min_length=2)
    resolution: str


class Protocol(_Frozen):
    """A therapy protocol as data. Load one with :func:`autoserum.protocols.load_protocol`."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    citation: str
    identifiers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    design: Design
    blinding: Blinding
    condition: str
    population: Fact
    primary_endpoint: Fact
    arms: tuple[Arm, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)
    visits: tuple[VisitPlan, ...] = Field(min_length=1)
    injections: tuple[InjectionPlan, ...] = Field(min_length=1)
    eligibility: tuple[EligibilityRule, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    medication: Medication = DEFAULT_MEDICATION
    safety: Safety = DEFAULT_SAFETY
    monitoring: Monitoring = Field(default_factory=Monitoring)
    self_report: SelfReport = Field(default_factory=SelfReport)
    demographics: Demographics = Field(default_factory=Demographics)
    #: How long a filled blinded kit keeps, in hours, whatever the arm (an autoserum default of
    #: 24 h unless the protocol states one).
    kit_shelf_life: Fact = Field(default_factory=_default_kit_shelf_life)
    notes: tuple[str, ...] = ()

    @field_validator("kit_shelf_life")
    @classmethod
    def _positive_hours(cls, fact: Fact) -> Fact:
        if fact.unit != "h" or not isinstance(fact.value, int | float) or fact.value <= 0:
            raise ValueError(f"expected a number of hours > 0 (unit h), got {fact.describe()}")
        return fact

    def arm(self, code: str) -> Arm:
        """The arm with this code (KeyError if absent)."""
        for arm in self.arms:
            if arm.code == code:
                return arm
        raise KeyError(code)

    def visit(self, code: str) -> VisitPlan:
        """The visit with this code (KeyError if absent)."""
        for visit in self.visits:
            if visit.code == code:
                return visit
        raise KeyError(code)

    @property
    def allocation_ratios(self) -> tuple[tuple[str, int], ...]:
        """(arm code, ratio) pairs, as :func:`autoserum.study.randomisation.allocation_list`
        takes them."""
        return tuple((arm.code, arm.allocation_ratio) for arm in self.arms)

    @property
    def open_label(self) -> bool:
        """True when arms are not masked (open-label designs)."""
        return self.blinding == "open_label"
