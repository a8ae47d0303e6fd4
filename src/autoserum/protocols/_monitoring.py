"""The protocol's monitoring section: which automatic checks raise data queries (with their
parameters) and the SDV plan. Every protocol has it; the defaults are those shipped for AD
(docs/monitoring.md gives each rule's rationale). In a protocol file::

    [monitoring]
    sdv_plan = "targeted"
    sdv_targets = ["eligibility", "consent", "primary_endpoint", "adverse_events"]

    [monitoring.checks]
    rules = ["visit_window", "missing_assessment", "ae_before_consent"]
    missing_after_days = 14
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

__all__ = ["CHECK_RULES", "DEFAULT_LAB_LIMITS", "CheckSettings", "Monitoring"]

CheckRule = Literal[
    "visit_window",
    "missing_assessment",
    "easi_scorad_extent",
    "score_direction",
    "lab_limits",
    "ae_before_consent",
    "injection_without_preparation",
]
CHECK_RULES: tuple[CheckRule, ...] = get_args(CheckRule)
"""Every automatic check (docs/monitoring.md)."""

#: Soft limits (canonical units) beyond which a lab value is queried as unusual for an adult
#: AD trial population; the hard plausibility limits of ``study.labs`` refuse the value outright.
DEFAULT_LAB_LIMITS: dict[str, tuple[float, float]] = {
    "ige": (0.0, 30000.0),
    "eosinophils": (0.0, 5.0),
    "eosinophils_pct": (0.0, 40.0),
    "il10": (0.0, 100.0),
    "ifng": (0.0, 500.0),
    "treg_il10": (0.0, 30.0),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class CheckSettings(_Frozen):
    """The automatic checks a study runs, with their parameters."""

    rules: tuple[CheckRule, ...] = CHECK_RULES
    missing_after_days: NonNegativeInt = 7
    extent_tolerance: float = Field(default=10.0, ge=0, le=100)
    direction_threshold: float = Field(default=25.0, gt=0, le=1000)
    lab_limits: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: dict(DEFAULT_LAB_LIMITS)
    )

    @model_validator(mode="after")
    def _ordered_limits(self) -> CheckSettings:
        for analyte, (low, high) in self.lab_limits.items():
            if low > high:
                raise ValueError(f"lab_limits.{analyte}: low {low} above high {high}")
        return self


SdvTarget = Literal["eligibility", "consent", "primary_endpoint", "adverse_events"]


class Monitoring(_Frozen):
    """Automatic checks and the SDV plan (``full`` or ``targeted`` to ``sdv_targets``)."""

    checks: CheckSettings = Field(default_factory=CheckSettings)
    sdv_plan: Literal["full", "targeted"] = "targeted"
    sdv_targets: tuple[SdvTarget, ...] = (
        "eligibility",
        "consent",
        "primary_endpoint",
        "adverse_events",
    )
