"""The statistical analysis plan (SAP) as data: estimands per ICH E9(R1), endpoints, analysis
sets, covariates, missing-data handling and sensitivity analyses, multiplicity and subgroups.

A SAP is a TOML file (``docs/sap.md``) validated into frozen pydantic models; errors name the
field path. Its **hash** (:meth:`Sap.sha256`) is the SHA-256 of the validated content as
canonical JSON (sorted keys, no whitespace), so a re-formatted or re-commented file keeps its
hash and any change of substance changes it. ``analyze --sap`` and ``report --sap`` run exactly
the plan (:func:`autoserum.analysis.plan_analysis` reads the primary estimand) and the report
prints the hash.

Reference: ICH E9(R1) addendum on estimands and sensitivity analysis (EMA/CHMP/ICH/436221/2017);
Gamble C et al., Guidelines for the content of statistical analysis plans in clinical trials,
JAMA 2017;318:2337-43.

>>> sap = parse_sap_text(EXAMPLE_SAP)
>>> sap.primary.variable, sap.primary.week, sap.multiplicity.method
('scorad', 8.0, 'fixed_sequence')
>>> len(sap.sha256())
64
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from autoserum.analysis._format import INSTRUMENT_RANGES
from autoserum.errors import Expected, ValidationError
from autoserum.i18n import N_

__all__ = [
    "EXAMPLE_SAP",
    "AnalysisSet",
    "Endpoint",
    "Estimand",
    "IntercurrentEvent",
    "MissingData",
    "Multiplicity",
    "Sap",
    "Sensitivity",
    "Subgroup",
    "TimeToEventPlan",
    "parse_sap_file",
    "parse_sap_text",
]

Strategy = Literal["treatment_policy", "hypothetical", "composite", "while_on_treatment"]
Summary = Literal["mean_difference", "responder_difference", "hazard_ratio"]
Method = Literal["mmrm", "ancova"]
SetCode = Literal["fas", "per_protocol"]

_CODE = r"^[a-z][a-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class IntercurrentEvent(_Frozen):
    """An event after randomisation that affects the interpretation or existence of the
    measurements, and the strategy that handles it (ICH E9(R1) §A.3.2)."""

    event: str = Field(pattern=_CODE)
    description: str = ""
    strategy: Strategy
    rationale: str = ""


class Estimand(_Frozen):
    """The five attributes of an estimand: treatment (``arm`` vs ``control``), population
    (an analysis set), variable (an instrument total's change from baseline at ``week``, or
    response by ``responder`` rule), intercurrent events with strategies, and the
    population-level summary."""

    code: str = Field(pattern=_CODE)
    label: str
    role: Literal["primary", "secondary", "supportive"] = "primary"
    population: SetCode = "fas"
    variable: str
    week: float = Field(gt=0)
    responder: str | None = None
    summary: Summary = "mean_difference"
    method: Method = "mmrm"
    intercurrent_events: tuple[IntercurrentEvent, ...] = ()

    @property
    def responder_missing(self) -> str:
        """How a responder estimand counts a subject without a response at the week: as a
        non-responder when an intercurrent event is handled by the composite strategy (ICH
        E9(R1): the event is part of the variable: failure), else observed cases."""
        if self.responder and any(i.strategy == "composite" for i in self.intercurrent_events):
            return "non_responder"
        return "observed"

    @model_validator(mode="after")
    def _variable_is_an_instrument(self) -> Estimand:
        if self.variable not in INSTRUMENT_RANGES:
            raise ValueError(
                f"variable {self.variable!r} is not an instrument total; expected one of "
                + ", ".join(INSTRUMENT_RANGES)
            )
        if self.summary == "responder_difference" and not self.responder:
            raise ValueError("a responder_difference summary needs a responder rule")
        return self


class Endpoint(_Frozen):
    """A secondary (or exploratory) endpoint: an instrument total at a week."""

    variable: str
    week: float = Field(gt=0)
    role: Literal["secondary", "exploratory"] = "secondary"

    @model_validator(mode="after")
    def _variable_is_an_instrument(self) -> Endpoint:
        if self.variable not in INSTRUMENT_RANGES:
            raise ValueError(f"variable {self.variable!r} is not an instrument total")
        return self


class AnalysisSet(_Frozen):
    """An analysis set and its definition in words (the rule is the analysis datasets')."""

    code: SetCode
    definition: str


class Sensitivity(_Frozen):
    """A sensitivity analysis of the primary estimand: multiple imputation under MAR or a
    reference-based assumption, or a tipping-point (delta-adjusted) analysis."""

    method: Literal["mi_mar", "mi_j2r", "mi_cr", "mi_cir", "tipping_point", "observed_cases"]
    imputations: int = Field(default=100, ge=2)
    seed: int = 1
    deltas: tuple[float, ...] = ()
    label: str = ""


class MissingData(_Frozen):
    """How missing outcomes enter the primary analysis, and the sensitivity analyses."""

    primary: Literal["mmrm_mar", "observed_cases", "non_responder"] = "mmrm_mar"
    sensitivity: tuple[Sensitivity, ...] = ()


class Multiplicity(_Frozen):
    """The multiplicity strategy over the secondary endpoints: ``holm``, ``bh`` (Benjamini–
    Hochberg) or a ``fixed_sequence`` hierarchy tested in ``order`` at ``alpha``."""

    method: Literal["holm", "bh", "fixed_sequence", "none"] = "holm"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    order: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _order_for_a_sequence(self) -> Multiplicity:
        if self.method == "fixed_sequence" and not self.order:
            raise ValueError("a fixed_sequence strategy needs its order of endpoints")
        return self


class Subgroup(_Frozen):
    """A subgroup for the forest plot: a baseline variable, cut at ``cuts`` when numeric."""

    variable: str = Field(pattern=_CODE)
    label: str = ""
    cuts: tuple[float, ...] = ()


class TimeToEventPlan(_Frozen):
    """A time-to-first-event endpoint: the adverse-event ``terms`` that count as the event
    (e.g. ``eczema flare``), analysed by Kaplan–Meier, log-rank and Cox."""

    label: str = N_("time to first flare")  # the default label: a document translates it
    terms: tuple[str, ...] = Field(min_length=1)


class Sap(_Frozen):
    """A statistical analysis plan. Load one with :func:`parse_sap_file`."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    version: str
    protocol: str | None = None
    control: str | None = Field(default=None, pattern=_CODE)
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    alternative: Literal["two-sided", "less", "greater"] = "two-sided"
    estimands: tuple[Estimand, ...] = Field(min_length=1)
    endpoints: tuple[Endpoint, ...] = ()
    analysis_sets: tuple[AnalysisSet, ...] = ()
    covariates: tuple[str, ...] = ()
    mmrm_covariance: Literal["unstructured", "toeplitz", "ar1", "compound_symmetry"] = (
        "unstructured"
    )
    mmrm_df: Literal["residual", "satterthwaite", "kenward_roger"] = "residual"
    missing_data: MissingData = MissingData()
    multiplicity: Multiplicity = Multiplicity()
    subgroups: tuple[Subgroup, ...] = ()
    time_to_event: TimeToEventPlan | None = None

    @model_validator(mode="after")
    def _one_primary(self) -> Sap:
        primaries = [e.code for e in self.estimands if e.role == "primary"]
        if len(primaries) != 1:
            raise ValueError(f"exactly one primary estimand, got {len(primaries)}")
        codes = [e.code for e in self.estimands]
        if len(set(codes)) != len(codes):
            raise ValueError("estimand codes must be unique")
        known = {self.primary.variable, *(e.variable for e in self.endpoints)}
        missing = [v for v in self.multiplicity.order if v not in known]
        if missing:
            raise ValueError(
                f"multiplicity.order names {missing}, not an endpoint of the plan "
                f"({', '.join(sorted(known))})"
            )
        return self

    @property
    def primary(self) -> Estimand:
        """The primary estimand."""
        return next(e for e in self.estimands if e.role == "primary")

    def canonical_json(self) -> str:
        """The validated content as canonical JSON (sorted keys, no whitespace)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        """SHA-256 of :meth:`canonical_json`: the hash a report prints and a lock records."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "sap"


def _parse(data: Mapping[str, Any], location: str) -> Sap:
    try:
        return Sap.model_validate(data)
    except PydanticError as err:
        first = err.errors()[0]
        loc = tuple(p for p in first["loc"] if not str(p).startswith("function-after"))
        raise ValidationError(
            _field_path(loc),
            first.get("input") if not isinstance(first.get("input"), dict) else "…",
            first["msg"].removeprefix("Value error, "),
            location=location,
        ) from None


def parse_sap_text(text: str, *, location: str = "sap") -> Sap:
    """Validate a SAP from TOML text (errors name the field path)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError("toml", str(err), Expected("valid TOML"), location=location) from None
    return _parse(data, location)


def parse_sap_file(path: str | Path) -> Sap:
    """Read and validate a SAP file (TOML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("sap", str(path), Expected("an existing SAP file (.toml)")) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationError(
            "sap", str(path), Expected("a readable UTF-8 TOML file (%(err)s)", err=err)
        ) from None
    return parse_sap_text(text, location=str(path))


#: The SAP of the demo serum RCT (ast-nahm2023), also shipped as ``examples/sap-ast-nahm2023.toml``.
EXAMPLE_SAP = """\
code = "ast-nahm2023-sap"
title = "Statistical analysis plan: autologous serum vs saline placebo in atopic dermatitis"
version = "1.0"
protocol = "ast-nahm2023"
control = "placebo"
conf_level = 0.95
alternative = "two-sided"
covariates = ["site"]
mmrm_covariance = "unstructured"
mmrm_df = "kenward_roger"

[[estimands]]
code = "primary"
label = "Effect of serum vs placebo on SCORAD change at week 8 regardless of rescue"
population = "fas"
variable = "scorad"
week = 8
summary = "mean_difference"
method = "mmrm"

[[estimands.intercurrent_events]]
event = "rescue_medication"
description = "topical corticosteroid rescue for a flare"
strategy = "treatment_policy"
rationale = "rescue is part of the treatment regimen being compared"

[[estimands.intercurrent_events]]
event = "discontinuation"
description = "treatment discontinued before week 8"
strategy = "hypothetical"
rationale = "the effect had treatment continued, under MAR (MMRM)"

[[estimands]]
code = "easi50"
label = "EASI-50 at week 8, rescue counted as non-response"
role = "secondary"
population = "fas"
variable = "easi"
week = 8
responder = "easi_50"
summary = "responder_difference"
method = "ancova"

[[estimands.intercurrent_events]]
event = "rescue_medication"
strategy = "composite"
rationale = "needing rescue is a treatment failure"

[[endpoints]]
variable = "easi"
week = 8

[[endpoints]]
variable = "dlqi"
week = 8

[[analysis_sets]]
code = "fas"
definition = "randomised, treated, with a baseline and at least one post-baseline assessment"

[[analysis_sets]]
code = "per_protocol"
definition = "the FAS without major protocol deviations"

[missing_data]
primary = "mmrm_mar"

[[missing_data.sensitivity]]
method = "mi_j2r"
imputations = 100
seed = 2024

[[missing_data.sensitivity]]
method = "tipping_point"
deltas = [0, 2, 4, 6, 8, 10]
seed = 2024

[multiplicity]
method = "fixed_sequence"
alpha = 0.05
order = ["scorad", "easi", "dlqi"]

[time_to_event]
label = "time to first flare"
terms = ["atopic dermatitis exacerbation", "eczema flare"]

[[subgroups]]
variable = "scorad_baseline"
label = "baseline SCORAD"
cuts = [50]

[[subgroups]]
variable = "age"
cuts = [40]
"""
