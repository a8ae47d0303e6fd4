"""Risk of bias: RoB 2 for randomised trials, ROBINS-I for non-randomised comparisons.

RoB 2 (Sterne JAC et al. BMJ 2019;366:l4898): five domains, signalling questions answered
``Y``/``PY``/``PN``/``N``/``NI``/``NA`` with a supporting quote; each domain's judgement (Low,
Some concerns, High) follows the tool's published algorithm from the answers, and the overall
judgement is the worst domain (raised to High by the assessor, with a reason, when several domains
have some concerns). ROBINS-I (Sterne JAC et al. BMJ 2016;355:i4919): seven domain judgements;
overall = the worst, No information when a domain has no information and none is Serious or worse.

>>> a = next(x for x in load_rob2() if x.study == "Pittler2003" and x.outcome == "sassad")
>>> a.domains["D2"], a.overall
('Low', 'Some concerns')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from autoserum.errors import Expected, ValidationError
from autoserum.evidence._registry import Registry, load_registry

__all__ = [
    "ANSWERS",
    "ROB2_DOMAINS",
    "ROBINS_DOMAINS",
    "Rob2Assessment",
    "RobinsAssessment",
    "load_rob2",
    "load_robins_i",
    "rob2_domain",
]

ANSWERS = ("Y", "PY", "PN", "N", "NI", "NA")
ROB2_DOMAINS = {
    "D1": "Randomisation process",
    "D2": "Deviations from intended interventions",
    "D3": "Missing outcome data",
    "D4": "Measurement of the outcome",
    "D5": "Selection of the reported result",
}
ROBINS_DOMAINS = (
    "confounding",
    "selection",
    "classification",
    "deviations",
    "missing_data",
    "measurement",
    "reported_result",
)
_ROBINS_LEVELS = ("Low", "Moderate", "Serious", "Critical", "NI")
_LEVELS = ("Low", "Some concerns", "High")
_YES, _NO = ("Y", "PY"), ("N", "PN")

Answers = Mapping[str, tuple[str, str]]


def _a(ans: Answers, q: str) -> str:
    return ans[q][0] if q in ans else "NA"


def _worst(*levels: str) -> str:
    return max(levels, key=_LEVELS.index)


def _d1(ans: Answers) -> str:
    a11, a12, a13 = _a(ans, "1.1"), _a(ans, "1.2"), _a(ans, "1.3")
    if a12 in _NO:
        return "High"
    if a12 == "NI":
        return "High" if a13 in _YES else "Some concerns"
    return "Some concerns" if a11 in _NO or a13 in _YES else "Low"


def _d2(ans: Answers) -> str:
    a21, a22, a23 = _a(ans, "2.1"), _a(ans, "2.2"), _a(ans, "2.3")
    if (a21 in _NO and a22 in _NO) or a23 in _NO:
        part1 = "Low"
    elif a23 in _YES:
        a24, a25 = _a(ans, "2.4"), _a(ans, "2.5")
        part1 = "High" if a24 not in _NO and a25 not in _YES else "Some concerns"
    else:
        part1 = "Some concerns"
    a26, a27 = _a(ans, "2.6"), _a(ans, "2.7")
    part2 = "Low" if a26 in _YES else ("Some concerns" if a27 in _NO else "High")
    return _worst(part1, part2)


def _d3(ans: Answers) -> str:
    if _a(ans, "3.1") in _YES or _a(ans, "3.2") in _YES or _a(ans, "3.3") in _NO:
        return "Low"
    return "Some concerns" if _a(ans, "3.4") in _NO else "High"


def _d4(ans: Answers) -> str:
    a41, a42, a43 = _a(ans, "4.1"), _a(ans, "4.2"), _a(ans, "4.3")
    if a41 in _YES or a42 in _YES:
        return "High"
    floor = "Some concerns" if a42 == "NI" else "Low"
    if a43 in _NO:
        return floor
    if _a(ans, "4.4") in _NO:
        return floor
    return "Some concerns" if _a(ans, "4.5") in _NO else "High"


def _d5(ans: Answers) -> str:
    a51, a52, a53 = _a(ans, "5.1"), _a(ans, "5.2"), _a(ans, "5.3")
    if a52 in _YES or a53 in _YES:
        return "High"
    if a52 in _NO and a53 in _NO and a51 in _YES:
        return "Low"
    return "Some concerns"


_ALGORITHMS = {"D1": _d1, "D2": _d2, "D3": _d3, "D4": _d4, "D5": _d5}


def rob2_domain(domain: str, answers: Answers) -> str:
    """The RoB 2 judgement of ``domain`` (D1-D5) from its signalling-question answers.

    >>> answers = {"3.1": ("N", ""), "3.2": ("NI", ""), "3.3": ("PY", ""), "3.4": ("PN", "")}
    >>> rob2_domain("D3", answers)
    'Some concerns'
    """
    if domain not in _ALGORITHMS:
        raise ValidationError(
            "domain", domain, Expected("one of %(values)s", values=", ".join(ROB2_DOMAINS))
        )
    return _ALGORITHMS[domain](answers)


@dataclass(frozen=True)
class Rob2Assessment:
    """RoB 2 for one trial and outcome: answers with support, domain and overall judgements."""

    study: str
    outcome: str
    answers: Mapping[str, Answers]
    domains: Mapping[str, str]
    overall: str
    override_reason: str
    assessor: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "tool": "RoB 2",
            "study": self.study,
            "outcome": self.outcome,
            "domains": dict(self.domains),
            "overall": self.overall,
            "override_reason": self.override_reason,
            "answers": {
                d: {q: {"answer": a, "support": s} for q, (a, s) in ans.items()}
                for d, ans in self.answers.items()
            },
            "assessor": self.assessor,
            "date": self.date,
        }


def _answers(raw: Mapping[str, Any] | None, where: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for q, pair in (raw or {}).items():
        if not isinstance(pair, list) or len(pair) != 2 or pair[0] not in ANSWERS or not pair[1]:
            raise ValidationError(
                q,
                pair,
                Expected("[answer, support] with answer in Y/PY/PN/N/NI/NA"),
                location=where,
            )
        out[str(q)] = (str(pair[0]), str(pair[1]))
    return out


def _parse_rob2(doc: Mapping[str, Any], reg: Registry) -> tuple[Rob2Assessment, ...]:
    out = []
    for trial in doc["trials"]:
        sid = trial["study"]
        where = f"rob2.yaml:{sid}"
        st = reg.studies.get(sid)
        if st is None or st.status != "included" or not st.design.startswith("rct"):
            raise ValidationError(
                "study", sid, Expected("an included randomised trial"), location=where
            )
        study_level = {d: _answers(trial.get(d.lower()), where) for d in ("D1", "D2")}
        defaults = trial.get("outcome_defaults") or {}
        overrides = trial.get("outcome_overrides") or {}
        override = trial.get("overall_override")
        for outcome in trial["outcomes"]:
            answers = dict(study_level)
            for d in ("D3", "D4", "D5"):
                ans = _answers(defaults.get(d.lower()), where)
                ans.update(_answers((overrides.get(outcome) or {}).get(d.lower()), where))
                answers[d] = ans
            for d, ans in answers.items():
                if not ans:
                    raise ValidationError(
                        d, None, Expected("answers for %(d)s", d=d), location=f"{where}:{outcome}"
                    )
            domains = {d: rob2_domain(d, answers[d]) for d in ROB2_DOMAINS}
            overall = _worst(*domains.values())
            reason = ""
            if override is not None:
                if override[0] not in _LEVELS or _LEVELS.index(override[0]) < _LEVELS.index(
                    overall
                ):
                    raise ValidationError(
                        "overall_override",
                        override,
                        Expected("a judgement no lower than the domains'"),
                        location=where,
                    )
                overall, reason = str(override[0]), str(override[1])
            out.append(
                Rob2Assessment(
                    sid,
                    str(outcome),
                    answers,
                    domains,
                    overall,
                    reason,
                    str(doc["assessor"]),
                    str(doc["date"]),
                )
            )
    return tuple(out)


@cache
def load_rob2() -> tuple[Rob2Assessment, ...]:
    """The RoB 2 assessments shipped with the package (``data/rob2.yaml``), validated."""
    text = (resources.files("autoserum.evidence") / "data" / "rob2.yaml").read_text(
        encoding="utf-8"
    )
    return _parse_rob2(yaml.safe_load(text), load_registry())


@dataclass(frozen=True)
class RobinsAssessment:
    """ROBINS-I for one non-randomised comparison and outcome."""

    study: str
    outcome: str
    domains: Mapping[str, tuple[str, str]]
    overall: str
    assessor: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "tool": "ROBINS-I",
            "study": self.study,
            "outcome": self.outcome,
            "domains": {d: {"judgement": j, "support": s} for d, (j, s) in self.domains.items()},
            "overall": self.overall,
            "assessor": self.assessor,
            "date": self.date,
        }


def _robins_overall(levels: list[str]) -> str:
    graded = [lv for lv in levels if lv != "NI"]
    worst = max(graded, key=_ROBINS_LEVELS.index) if graded else "Low"
    if worst in ("Serious", "Critical") or "NI" not in levels:
        return worst
    return "NI"


@cache
def load_robins_i() -> tuple[RobinsAssessment, ...]:
    """The ROBINS-I assessments shipped with the package (``data/robins_i.yaml``)."""
    text = (resources.files("autoserum.evidence") / "data" / "robins_i.yaml").read_text(
        encoding="utf-8"
    )
    doc = yaml.safe_load(text)
    reg = load_registry()
    out = []
    for raw in doc["studies"]:
        where = f"robins_i.yaml:{raw.get('study')}"
        st = reg.studies.get(raw["study"])
        if st is None or st.design != "nonrandomised_controlled":
            raise ValidationError(
                "study", raw["study"], Expected("a non-randomised controlled study"), location=where
            )
        domains: dict[str, tuple[str, str]] = {}
        for d in ROBINS_DOMAINS:
            pair = (raw["domains"] or {}).get(d)
            if not pair or pair[0] not in _ROBINS_LEVELS or not pair[1]:
                raise ValidationError(
                    d, pair, Expected("[Low|Moderate|Serious|Critical|NI, support]"), location=where
                )
            domains[d] = (str(pair[0]), str(pair[1]))
        overall = _robins_overall([j for j, _ in domains.values()])
        out.append(
            RobinsAssessment(
                st.id, str(raw["outcome"]), domains, overall, str(doc["assessor"]), str(doc["date"])
            )
        )
    return tuple(out)
