"""The evidence registry shipped as package data: studies, results, effects, analyses.

Files in ``autoserum/evidence/data/``: ``studies.yaml`` (citation, design, condition,
population, arms, regimen, protocol code, sources, data-quality flags), ``results.csv`` (one row
per value as reported, with its source URL; ``status`` reported / derived / NR; a derived value
carries its ``method``), ``effects.yaml`` (how each study-level effect is computed from results)
and ``analyses.yaml`` (the pooled analyses and what was left out, with reasons).

:func:`load_registry` validates every cross-reference and raises
:class:`~autoserum.errors.ValidationError` naming the file, field and value.

>>> reg = load_registry()
>>> reg.studies["Pittler2003"].protocol_code
'abt-pittler2003'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._records import (
    STUDY_STATUSES,
    Identifiers,
    Screening,
    parse_identifiers,
    parse_screening,
)

__all__ = [
    "CONDITIONS",
    "DERIVATIONS",
    "DESIGNS",
    "PROTOCOL_CODES",
    "QUANTITIES",
    "STATUSES",
    "THERAPIES",
    "Analysis",
    "Arm",
    "EffectSpec",
    "Flag",
    "LeftOut",
    "Registry",
    "Result",
    "Study",
    "load_registry",
    "parse_registry",
]

CONDITIONS = ("AD", "CSU", "eczema", "healthy", "AD+CSU")
THERAPIES = ("ABT", "AST", "AIGT", "AAHT", "APT")
DESIGNS = (
    "rct_placebo",
    "rct_active",
    "nonrandomised_controlled",
    "single_arm",
    "case_series",
    "case_report",
    "cohort",
    "animal",
    "systematic_review",
    "review_protocol",
    "editorial",
    "NR",
)
#: The protocol library codes (``autoserum.protocols``) a study's regimen may link to.
PROTOCOL_CODES = (
    "abt-pittler2003",
    "ast-nahm2023",
    "asim-choi2024",
    "aaht-zhao2022",
    "aigt-nahm2020",
)
STATUSES = ("reported", "derived", "NR")
QUANTITIES = (
    "n",
    "events",
    "percent",
    "mean_baseline",
    "sd_baseline",
    "spread_baseline",
    "mean_endpoint",
    "sd_endpoint",
    "spread_endpoint",
    "mean_change",
    "sd_change",
    "pct_change",
    "md_adjusted",
    "ci_low",
    "ci_high",
    "p_value",
    "qualitative",
)
KINDS = ("md_ci", "md_ci_to_smd", "smd_p", "means", "counts", "counts_to_smd")
#: What an effect estimates and how it was derived: pooling needs one derivation for all effects.
DERIVATIONS = (
    "ancova_adjusted_md",
    "pct_change_p",
    "endpoint_means",
    "counts",
    "responder_or_to_smd",
)
SOURCE_KINDS = ("primary_abstract", "secondary_review", "conference_abstract")


@dataclass(frozen=True)
class Arm:
    """An arm of a study."""

    code: str
    label: str
    product: str
    is_control: bool


@dataclass(frozen=True)
class Flag:
    """A data-quality flag (e.g. ``sign_ambiguity``) with its explanation."""

    code: str
    text: str


@dataclass(frozen=True)
class Study:
    """A study of the registry."""

    id: str
    citation: str
    year: int | None
    condition: str
    therapy: tuple[str, ...]
    design: str
    blinding: str
    country: str
    population: str
    regimen: str
    protocol_code: str | None
    arms: tuple[Arm, ...]
    sources: tuple[str, ...]
    flags: tuple[Flag, ...]
    status: str
    status_reason: str
    identifiers: Identifiers
    screening: Screening

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what ``autoserum evidence --json`` lists)."""
        return {
            "id": self.id,
            "citation": self.citation,
            "year": self.year,
            "condition": self.condition,
            "therapy": list(self.therapy),
            "design": self.design,
            "status": self.status,
            "status_reason": self.status_reason,
            "identifiers": self.identifiers.to_dict(),
            "screening": self.screening.to_dict(),
            "protocol_code": self.protocol_code,
            "flags": [f.code for f in self.flags],
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Result:
    """One value as reported (or derived, or NR) with its source."""

    result_id: str
    study_id: str
    outcome: str
    timepoint_weeks: str
    arm: str
    quantity: str
    qualifier: str
    value: float | None
    status: str
    method: str
    reported_as: str
    source_url: str
    source_kind: str
    note: str


@dataclass(frozen=True)
class EffectSpec:
    """How a study-level effect is computed from results (see ``effects.yaml``)."""

    id: str
    study: str
    therapy: str
    outcome: str
    domain: str
    timepoint_weeks: float
    comparison: str
    measure: str
    kind: str
    derivation: str
    sign: int
    direction: str | None
    control_fraction: float
    inputs: Mapping[str, tuple[str, ...]]
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """A pooled analysis: its effects, optional subgroup variable and stated limits."""

    id: str
    condition: str
    title: str
    measure: str
    effects: tuple[str, ...]
    subgroup: str | None
    direction: str
    limits: tuple[str, ...]


@dataclass(frozen=True)
class LeftOut:
    """A study outcome left out of pooling, and why."""

    study: str
    condition: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class Registry:
    """The whole registry, validated."""

    studies: Mapping[str, Study]
    results: Mapping[str, Result]
    effects: Mapping[str, EffectSpec]
    analyses: Mapping[str, Analysis]
    left_out: tuple[LeftOut, ...]


def _need(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj or obj[key] in (None, ""):
        raise ValidationError(key, obj.get(key), Expected("a value"), location=where)
    return obj[key]


def _one_of(value: Any, allowed: tuple[str, ...], field: str, where: str) -> str:
    if value not in allowed:
        raise ValidationError(
            field, value, Expected("one of %(values)s", values=", ".join(allowed)), location=where
        )
    return str(value)


def _study(raw: Mapping[str, Any]) -> Study:
    where = f"studies.yaml:{raw.get('id')}"
    therapies = tuple(_one_of(t, THERAPIES, "therapy", where) for t in _need(raw, "therapy", where))
    code = raw.get("protocol_code")
    if code is not None:
        _one_of(code, PROTOCOL_CODES, "protocol_code", where)
    status = _one_of(raw.get("status"), STUDY_STATUSES, "status", where)
    reason = str(raw.get("status_reason") or "")
    if status != "included" and not reason:
        raise ValidationError(
            "status_reason",
            reason,
            Expected("the reason a record is %(status)s", status=status),
            location=where,
        )
    arms = tuple(
        Arm(str(a["code"]), str(a["label"]), str(a["product"]), bool(a["is_control"]))
        for a in raw.get("arms") or ()
    )
    if status == "included" and not arms:
        raise ValidationError("arms", [], Expected("the arms of an included study"), location=where)
    sources = tuple(str(s) for s in _need(raw, "sources", where))
    for s in sources:
        if not s.startswith(("http://", "https://", "issue:")):
            raise ValidationError(
                "sources", s, Expected("an http(s) URL or issue:N"), location=where
            )
    return Study(
        id=str(_need(raw, "id", where)),
        citation=str(_need(raw, "citation", where)),
        year=raw.get("year"),
        condition=_one_of(raw.get("condition"), CONDITIONS, "condition", where),
        therapy=therapies,
        design=_one_of(raw.get("design"), DESIGNS, "design", where),
        blinding=str(_need(raw, "blinding", where)),
        country=str(_need(raw, "country", where)),
        population=str(_need(raw, "population", where)),
        regimen=str(_need(raw, "regimen", where)),
        protocol_code=code,
        arms=arms,
        sources=sources,
        flags=tuple(Flag(str(f["code"]), str(f["text"])) for f in raw.get("flags") or ()),
        status=status,
        status_reason=reason,
        identifiers=parse_identifiers(raw.get("identifiers"), where),
        screening=parse_screening(raw.get("screening"), status, where),
    )


def _result(row: Mapping[str, str], line: int, studies: Mapping[str, Study]) -> Result:
    where = f"results.csv line {line}"
    study = studies.get(row["study_id"])
    if study is None:
        raise ValidationError(
            "study_id", row["study_id"], Expected("a study of studies.yaml"), location=where
        )
    arm_codes = {a.code for a in study.arms} | {"all"}
    if not all(part in arm_codes for part in row["arm"].split("-")):
        raise ValidationError(
            "arm", row["arm"], Expected("an arm of %(id)s or 'a-b'", id=study.id), location=where
        )
    _one_of(row["quantity"], QUANTITIES, "quantity", where)
    status = _one_of(row["status"], STATUSES, "status", where)
    _one_of(row["qualifier"], ("", "<", ">"), "qualifier", where)
    _one_of(row["source_kind"], SOURCE_KINDS, "source_kind", where)
    if not row["source_url"].startswith(("http://", "https://")):
        raise ValidationError(
            "source_url", row["source_url"], Expected("an http(s) URL"), location=where
        )
    raw = row["value"].strip()
    if status == "NR":
        if raw:
            raise ValidationError("value", raw, Expected("empty when status is NR"), location=where)
        value = None
    else:
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError("value", raw, Expected("a number"), location=where) from None
    if status == "derived" and not row["method"].strip():
        raise ValidationError(
            "method", "", Expected("how a derived value was derived"), location=where
        )
    if status != "derived" and row["method"].strip():
        raise ValidationError(
            "method", row["method"], Expected("empty unless derived"), location=where
        )
    return Result(
        result_id=row["result_id"],
        study_id=row["study_id"],
        outcome=row["outcome"],
        timepoint_weeks=row["timepoint_weeks"],
        arm=row["arm"],
        quantity=row["quantity"],
        qualifier=row["qualifier"],
        value=value,
        status=status,
        method=row["method"],
        reported_as=row["reported_as"],
        source_url=row["source_url"],
        source_kind=row["source_kind"],
        note=row["note"],
    )


def _effect(raw: Mapping[str, Any], reg_results: Mapping[str, Result]) -> EffectSpec:
    where = f"effects.yaml:{raw.get('id')}"
    inputs: dict[str, tuple[str, ...]] = {}
    for key, ref in dict(_need(raw, "inputs", where)).items():
        refs = tuple(ref) if isinstance(ref, list) else (str(ref),)
        for r in refs:
            res = reg_results.get(r)
            if res is None:
                raise ValidationError(
                    f"inputs.{key}", r, Expected("a result_id of results.csv"), location=where
                )
            if res.study_id != raw.get("study"):
                raise ValidationError(
                    f"inputs.{key}",
                    r,
                    Expected("a result of %(raw)s", raw=raw.get("study")),
                    location=where,
                )
            if res.value is None:
                raise ValidationError(
                    f"inputs.{key}",
                    r,
                    Expected("a reported or derived value, not NR"),
                    location=where,
                )
        inputs[str(key)] = refs
    return EffectSpec(
        id=str(_need(raw, "id", where)),
        study=str(_need(raw, "study", where)),
        therapy=str(_need(raw, "therapy", where)),
        outcome=str(_need(raw, "outcome", where)),
        domain=str(_need(raw, "domain", where)),
        timepoint_weeks=float(_need(raw, "timepoint_weeks", where)),
        comparison=str(_need(raw, "comparison", where)),
        measure=_one_of(raw.get("measure"), ("MD", "SMD", "RR", "OR", "RD"), "measure", where),
        kind=_one_of(raw.get("kind"), KINDS, "kind", where),
        derivation=_one_of(raw.get("derivation"), DERIVATIONS, "derivation", where),
        sign=int(raw.get("sign", 1)),
        direction=raw.get("direction"),
        control_fraction=float(raw.get("control_fraction", 1.0)),
        inputs=inputs,
        assumptions=tuple(str(a) for a in _need(raw, "assumptions", where)),
    )


def parse_registry(
    studies_yaml: str, results_csv: str, effects_yaml: str, analyses_yaml: str
) -> Registry:
    """Parse and validate the four registry files given as text."""
    studies: dict[str, Study] = {}
    for raw in yaml.safe_load(studies_yaml)["studies"]:
        st = _study(raw)
        if st.id in studies:
            raise ValidationError(
                "id", st.id, Expected("a unique study id"), location="studies.yaml"
            )
        studies[st.id] = st
    results: dict[str, Result] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(results_csv)), start=2):
        res = _result(row, line, studies)
        if res.result_id in results:
            raise ValidationError(
                "result_id",
                res.result_id,
                Expected("a unique id"),
                location=f"results.csv line {line}",
            )
        results[res.result_id] = res
    effects: dict[str, EffectSpec] = {}
    for raw in yaml.safe_load(effects_yaml)["effects"]:
        if raw.get("study") not in studies:
            raise ValidationError(
                "study", raw.get("study"), Expected("a study id"), location="effects.yaml"
            )
        eff = _effect(raw, results)
        effects[eff.id] = eff
    doc = yaml.safe_load(analyses_yaml)
    analyses: dict[str, Analysis] = {}
    for raw in doc["analyses"]:
        where = f"analyses.yaml:{raw.get('id')}"
        for e in raw["effects"]:
            if e not in effects:
                raise ValidationError(
                    "effects", e, Expected("an effect id of effects.yaml"), location=where
                )
            if effects[e].measure != raw["measure"]:
                raise ValidationError(
                    "effects",
                    e,
                    Expected("an effect on the %(raw)s scale", raw=raw["measure"]),
                    location=where,
                )
        analyses[raw["id"]] = Analysis(
            id=str(raw["id"]),
            condition=_one_of(raw.get("condition"), (*CONDITIONS, "AD+CSU"), "condition", where),
            title=str(raw["title"]),
            measure=str(raw["measure"]),
            effects=tuple(raw["effects"]),
            subgroup=(
                _one_of(raw["subgroup"], ("therapy", "condition"), "subgroup", where)
                if raw.get("subgroup")
                else None
            ),
            direction=str(raw["direction"]),
            limits=tuple(raw.get("limits") or ()),
        )
    left = []
    for raw in doc.get("left_out") or ():
        if raw["study"] not in studies:
            raise ValidationError(
                "study", raw["study"], Expected("a study id"), location="analyses.yaml:left_out"
            )
        left.append(
            LeftOut(
                str(raw["study"]), str(raw["condition"]), str(raw["outcome"]), str(raw["reason"])
            )
        )
    return Registry(studies, results, effects, analyses, tuple(left))


@cache
def load_registry() -> Registry:
    """Load the registry shipped with the package (validated; cached)."""
    data = resources.files("autoserum.evidence") / "data"
    return parse_registry(
        (data / "studies.yaml").read_text(encoding="utf-8"),
        (data / "results.csv").read_text(encoding="utf-8"),
        (data / "effects.yaml").read_text(encoding="utf-8"),
        (data / "analyses.yaml").read_text(encoding="utf-8"),
    )
