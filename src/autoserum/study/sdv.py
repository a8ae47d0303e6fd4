"""Source-data verification (SDV): a monitor marks a record (a form) verified against the
source; the study's **SDV plan** says which records need it: ``full`` (every record of source
data) or ``targeted`` (eligibility, consent, the primary endpoint, adverse events; ICH E6(R3)
3.11.4 risk-based monitoring). A later change to a verified record clears its verification.

>>> plan = SdvPlan("targeted", ("consent", "adverse_events"))
>>> needs_sdv(plan, "adverse_event"), needs_sdv(plan, "lab")
(True, False)
>>> needs_sdv(SdvPlan("targeted", ("primary_endpoint",)), "assessment", instrument="easi",
...           primary="easi")
True
>>> SdvProgress("S1", None, required=4, verified=3).percent
75.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from autoserum.errors import Expected, ValidationError

__all__ = [
    "SDV_ENTITIES",
    "SDV_PLANS",
    "SDV_TARGETS",
    "SdvPlan",
    "SdvProgress",
    "needs_sdv",
]

SDV_PLANS: Final[tuple[str, ...]] = ("full", "targeted")
"""``full``: every record of source data; ``targeted``: the records of the plan's targets."""

SDV_ENTITIES: Final[tuple[str, ...]] = (
    "subject",
    "consent",
    "visit",
    "assessment",
    "lab",
    "injection",
    "adverse_event",
    "con_med",
)
"""Record types holding source data (a ``full`` plan verifies every one of them)."""

#: target → the record type it covers (the primary endpoint: assessments of its instrument)
SDV_TARGETS: Final[dict[str, str]] = {
    "eligibility": "subject",
    "consent": "consent",
    "primary_endpoint": "assessment",
    "adverse_events": "adverse_event",
}


@dataclass(frozen=True)
class SdvPlan:
    """A study's SDV plan: ``full`` or ``targeted`` with its targets (:data:`SDV_TARGETS`)."""

    kind: str = "full"
    targets: tuple[str, ...] = tuple(SDV_TARGETS)

    def __post_init__(self) -> None:
        if self.kind not in SDV_PLANS:
            raise ValidationError(
                "sdv.plan", self.kind, Expected("one of %(values)s", values=", ".join(SDV_PLANS))
            )
        for target in self.targets:
            if target not in SDV_TARGETS:
                raise ValidationError(
                    "sdv.targets",
                    target,
                    Expected("one of %(values)s", values=", ".join(SDV_TARGETS)),
                )


def needs_sdv(
    plan: SdvPlan, entity: str, *, instrument: str | None = None, primary: str | None = None
) -> bool:
    """Whether a record of ``entity`` (an assessment: of ``instrument``) needs verification
    under ``plan`` (``primary``: the instrument of the study's primary endpoint)."""
    if entity not in SDV_ENTITIES:
        return False
    if plan.kind == "full":
        return True
    for target in plan.targets:
        if SDV_TARGETS[target] != entity:
            continue
        if target != "primary_endpoint" or (instrument is not None and instrument == primary):
            return True
    return False


@dataclass(frozen=True)
class SdvProgress:
    """How far verification has come at a site (``subject_id`` ``None``) or for a subject."""

    site: str
    subject_id: str | None
    required: int
    verified: int

    @property
    def percent(self) -> float:
        """Verified records in % of those the plan requires (100 when none is required)."""
        return 100.0 if self.required == 0 else round(100 * self.verified / self.required, 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "site": self.site,
            "subject_id": self.subject_id,
            "required": self.required,
            "verified": self.verified,
            "percent": self.percent,
        }
