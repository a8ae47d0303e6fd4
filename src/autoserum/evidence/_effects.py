"""Study-level effects computed from the registry's results, with full provenance.

Each :class:`StudyEffect` keeps the :class:`~autoserum.meta.DerivedEffect` (value, variance,
method, formula), the result ids it used, whether any input or step was derived, the study's
data-quality flags and the source URLs.

>>> from autoserum.evidence import load_registry
>>> eff = study_effect(load_registry(), "nahm2020_exacerbation_w16_rr")
>>> eff.derived, round(eff.effect.yi, 4)
(True, -1.4255)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._registry import EffectSpec, Flag, Registry
from autoserum.meta import (
    DerivedEffect,
    binary_effect,
    effect_from_ci,
    effect_from_means,
    log_or_to_smd,
    smd_from_p,
    smd_from_t,
)

__all__ = ["StudyEffect", "study_effect"]


@dataclass(frozen=True)
class StudyEffect:
    """An effect of one study with how it was obtained."""

    spec: EffectSpec
    effect: DerivedEffect
    result_ids: tuple[str, ...]
    derived: bool
    derived_inputs: tuple[str, ...]
    flags: tuple[Flag, ...]
    sources: tuple[str, ...]

    @property
    def label(self) -> str:
        """Study and comparison, as shown in tables and forest plots."""
        return f"{self.spec.study} ({self.spec.comparison}, {self.spec.outcome})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.spec.id,
            "study": self.spec.study,
            "therapy": self.spec.therapy,
            "outcome": self.spec.outcome,
            "timepoint_weeks": self.spec.timepoint_weeks,
            "comparison": self.spec.comparison,
            "measure": self.spec.measure,
            "derived": self.derived,
            "derived_inputs": list(self.derived_inputs),
            "assumptions": list(self.spec.assumptions),
            "flags": [f.code for f in self.flags],
            "result_ids": list(self.result_ids),
            "sources": list(self.sources),
            **{k: v for k, v in self.effect.to_dict().items() if k != "measure"},
        }


def _value(reg: Registry, spec: EffectSpec, key: str, *, exact: bool = False) -> float:
    refs = spec.inputs.get(key)
    if refs is None:
        raise ValidationError(
            f"inputs.{key}", None, Expected("an input of this kind"), location=spec.id
        )
    total = 0.0
    for ref in refs:
        res = reg.results[ref]
        if exact and res.qualifier:
            raise ValidationError(
                ref,
                f"{res.qualifier} {res.value}",
                Expected("an exact value, not a bound"),
                location=spec.id,
            )
        if res.value is None:
            raise ValidationError(
                ref, "NR", Expected("a reported or derived value"), location=spec.id
            )
        total += res.value
    return total


def _compute(reg: Registry, spec: EffectSpec) -> DerivedEffect:
    def v(key: str, exact: bool = False) -> float:
        return _value(reg, spec, key, exact=exact)

    if spec.kind in ("md_ci", "md_ci_to_smd"):
        n1, n2 = v("n1"), v("n2")
        est, lo, hi = v("estimate"), v("ci_low"), v("ci_high")
        if spec.sign < 0:
            est, lo, hi = -est, -hi, -lo
        md = effect_from_ci("MD", est, lo, hi, df=n1 + n2 - 2)
        if spec.kind == "md_ci":
            return md
        smd = smd_from_t(md.yi / md.se, n1, n2)
        return DerivedEffect(
            measure="SMD",
            yi=smd.yi,
            vi=smd.vi,
            method="se_from_ci_t+smd_from_t",
            description=f"{md.description}; t = MD/SE = {md.yi / md.se:.4g}; {smd.description}",
            derived=True,
            inputs=dict(md.inputs) | {"n1": n1, "n2": n2},
        )
    if spec.kind == "smd_p":
        return smd_from_p(
            v("p_value", exact=True),
            v("n1"),
            v("n2"),
            favours_arm1=spec.direction == "favours_therapy",
        )
    if spec.kind == "means":
        return effect_from_means(
            spec.measure, v("m1"), v("sd1"), v("n1"), v("m2"), v("sd2"), v("n2")
        )
    frac = spec.control_fraction
    derived_counts = any(
        reg.results[r].status == "derived" for refs in spec.inputs.values() for r in refs
    )
    measure = "OR" if spec.kind == "counts_to_smd" else spec.measure
    eff = binary_effect(
        measure,
        v("e1"),
        v("n1"),
        v("e2") * frac,
        v("n2") * frac,
        counts_derived=derived_counts,
    )
    if frac != 1.0:
        eff = DerivedEffect(
            measure=eff.measure,
            yi=eff.yi,
            vi=eff.vi,
            method=eff.method + "+split_control",
            description=eff.description + f"; shared control x {frac:g} (Cochrane 23.3.4)",
            derived=True,
            inputs=eff.inputs,
        )
    if spec.kind == "counts":
        return eff
    smd = log_or_to_smd(eff)
    return DerivedEffect(
        measure="SMD",
        yi=spec.sign * smd.yi,
        vi=smd.vi,
        method=smd.method,
        description=smd.description
        + (" (sign reversed: response -> severity)" if spec.sign < 0 else ""),
        derived=True,
        inputs=smd.inputs,
    )


def study_effect(reg: Registry, effect_id: str) -> StudyEffect:
    """Compute the registry effect ``effect_id`` from its results."""
    spec = reg.effects.get(effect_id)
    if spec is None:
        raise ValidationError("effect", effect_id, Expected("an effect id of the registry"))
    ids = tuple(r for refs in spec.inputs.values() for r in refs)
    derived_inputs = tuple(r for r in ids if reg.results[r].status == "derived")
    eff = _compute(reg, spec)
    study = reg.studies[spec.study]
    sources = tuple(dict.fromkeys(reg.results[r].source_url for r in ids))
    return StudyEffect(
        spec=spec,
        effect=eff,
        result_ids=ids,
        derived=eff.derived or bool(derived_inputs),
        derived_inputs=derived_inputs,
        flags=study.flags,
        sources=sources,
    )
