"""The analysis plan of a study: which endpoint, week, control arm, population and predictors
an analysis uses, decided once from the request, the protocol and the data.

``autoserum analyze`` and ``autoserum report`` both call :func:`plan_analysis`, so they cannot
choose differently (issue 10: report took the protocol's control arm, analyze the arm named
placebo). Each decision records why it was taken (``reasons``: an English message with its
values, :class:`~autoserum.errors.Expected`), which the report prints in its language.

Rules, in order (the first that applies decides):

- endpoint: the one requested; the protocol's primary endpoint when the data have values of it;
  the first instrument total with values in the data;
- control: the one requested (it must be an arm of the data); the protocol's control arm when
  exactly one of them is in the data; the only arm named placebo/control/saline/vehicle/
  standard_care; none with a single arm; otherwise the request must name it;
- week: the one requested (a post-baseline week with values of the endpoint); else the last;
- predictors: the ones requested; else age, sex, eosinophils and IgE where the data have them.

>>> from autoserum.analysis import read_long
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> from autoserum.protocols import load_protocol
>>> plan = plan_analysis(frame, load_protocol("ast-nahm2023"))
>>> plan.endpoint, plan.week, plan.control, str(plan.reasons["control"])
('scorad', 8.0, 'placebo', 'the control arm of protocol ast-nahm2023')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from autoserum.analysis._datasets import build_adsl, build_bds, parameters_in
from autoserum.analysis._format import INSTRUMENT_RANGES, LAB_COLUMNS
from autoserum.analysis._sap import Sap
from autoserum.errors import Expected, ValidationError
from autoserum.protocols import Protocol

__all__ = [
    "CONTROL_NAMES",
    "DEFAULT_PREDICTORS",
    "AnalysisPlan",
    "Population",
    "choose_arms",
    "plan_analysis",
]

Population = Literal["fas", "per_protocol"]

#: Arm codes taken as the control when neither the request nor the protocol names one.
CONTROL_NAMES = ("placebo", "control", "saline", "vehicle", "standard_care")
#: Baseline characteristics compared between responders and non-responders by default.
DEFAULT_PREDICTORS = ("age", "sex", "eosinophils", "ige")
#: The reason of a choice the request made.
_REQUESTED = Expected("requested")


def _by_sap(sap: Sap) -> Expected:
    return Expected("SAP %(sap)s", sap=sap.code)


@dataclass(frozen=True)
class AnalysisPlan:
    """What one analysis of a study runs, with the reason for each choice."""

    endpoint: str
    week: float
    arms: tuple[str, ...]
    control: str | None
    population: Population
    predictors: tuple[str, ...]
    reasons: dict[str, Expected] = field(default_factory=dict, compare=False)
    sap: Sap | None = None
    conf_level: float = 0.95
    covariates: tuple[str, ...] = ()
    alternative: str = "two-sided"
    mmrm_covariance: str = "unstructured"
    mmrm_df: str = "residual"

    @property
    def treatments(self) -> tuple[str, ...]:
        """The arms compared with the control (empty without a control)."""
        return tuple(a for a in self.arms if a != self.control) if self.control else ()


def choose_arms(
    arms: Sequence[str], control: str | None, protocol: Protocol | None = None
) -> str | None:
    """The control arm (see the module's rules); :class:`ValidationError` when it is ambiguous.

    >>> choose_arms(["placebo", "serum"], None)
    'placebo'
    >>> choose_arms(["serum"], None) is None
    True
    """
    return _control(arms, control, protocol)[0]


def _control(
    arms: Sequence[str], control: str | None, protocol: Protocol | None
) -> tuple[str | None, Expected]:
    if control is not None:
        if control not in arms:
            raise ValidationError(
                "control", control, Expected("one of the arms: %(values)s", values=", ".join(arms))
            )
        return control, _REQUESTED
    if len(arms) < 2:
        return None, Expected("a single arm: no comparison between arms")
    if protocol is not None:
        declared = [a.code for a in protocol.arms if a.is_control and a.code in arms]
        if len(declared) == 1:
            return declared[0], Expected(
                "the control arm of protocol %(protocol)s", protocol=protocol.code
            )
    named = [a for a in arms if a.lower() in CONTROL_NAMES]
    if len(named) == 1:
        return named[0], Expected("the only arm named %(names)s", names="/".join(CONTROL_NAMES))
    raise ValidationError(
        "control", None, Expected("--control ARM naming one of: %(values)s", values=", ".join(arms))
    )


def _endpoint(
    frame: pl.DataFrame, protocol: Protocol | None, endpoint: str | None
) -> tuple[str, Expected]:
    present = [p for p in parameters_in(frame) if p in INSTRUMENT_RANGES]
    if endpoint is not None:
        if endpoint not in INSTRUMENT_RANGES and endpoint not in LAB_COLUMNS:
            raise ValidationError(
                "endpoint",
                endpoint,
                Expected("an instrument total: %(values)s", values=", ".join(INSTRUMENT_RANGES)),
            )
        return endpoint, _REQUESTED
    if protocol is not None and protocol.primary_endpoint.value in present:
        return str(protocol.primary_endpoint.value), Expected(
            "the primary endpoint of protocol %(protocol)s", protocol=protocol.code
        )
    if not present:
        raise ValidationError(
            "endpoint", None, Expected("an instrument total with values in the data")
        )
    return present[0], Expected("the first instrument total with values in the data")


def _week(frame: pl.DataFrame, endpoint: str, week: float | None) -> tuple[float, Expected]:
    if endpoint not in frame.columns or frame[endpoint].null_count() == frame.height:
        raise ValidationError(
            "endpoint", endpoint, Expected("an instrument total with values in the data")
        )
    bds = build_bds(frame, [endpoint]).filter(pl.col("analysis_flag"))
    weeks = sorted({float(w) for w in bds["week"].to_list()})
    if not weeks:
        raise ValidationError(
            "week", week, Expected("post-baseline values of %(endpoint)s", endpoint=endpoint)
        )
    if week is None:
        return weeks[-1], Expected("the last post-baseline week with values of the endpoint")
    if float(week) not in weeks:
        raise ValidationError(
            "week",
            week,
            Expected(
                "a post-baseline week of the data: %(values)s",
                values=", ".join(f"{w:g}" for w in weeks),
            ),
        )
    return float(week), _REQUESTED


def _from_sap(
    sap: Sap, endpoint: str | None, week: float | None, control: str | None, population: str
) -> tuple[str, float, str | None, Population]:
    """The primary estimand's choices; a request that contradicts the plan is refused."""
    e = sap.primary
    for name, asked, planned in (
        ("endpoint", endpoint, e.variable),
        ("week", week, e.week),
        ("control", control, sap.control),
    ):
        if asked is not None and planned is not None and asked != planned:
            raise ValidationError(
                name,
                asked,
                Expected(
                    "%(planned)s, as the statistical analysis plan %(code)s fixes",
                    planned=repr(planned),
                    code=sap.code,
                ),
            )
    if population not in ("fas", e.population):
        raise ValidationError(
            "population",
            population,
            Expected("%(population)s, the primary estimand's population", population=e.population),
        )
    return e.variable, e.week, control or sap.control, e.population


def plan_analysis(  # noqa: PLR0913 - one keyword per option of the request, as analyze passes them
    frame: pl.DataFrame,
    protocol: Protocol | None = None,
    *,
    endpoint: str | None = None,
    week: float | None = None,
    control: str | None = None,
    predictors: Sequence[str] | None = None,
    population: Population = "fas",
    sap: Sap | None = None,
    covariates: Sequence[str] | None = None,
    conf_level: float | None = None,
    alternative: str | None = None,
    stratification: Sequence[str] = (),
    mmrm_covariance: str | None = None,
    mmrm_df: str | None = None,
) -> AnalysisPlan:
    """Decide the analysis of the tidy visit ``frame`` (rules in the module docstring).

    With a statistical analysis plan ``sap``, its primary estimand fixes the endpoint, week and
    population and its ``control`` the control arm, and the plan its covariates, confidence
    level and alternative; a request that contradicts it is refused.

    Covariates besides baseline: the requested ones; the SAP's; else the ``stratification``
    factors of the randomisation (e.g. the store's site and declared factors) present in the
    data, as EMA/CHMP/295050/2013 recommends.
    """
    if population not in ("fas", "per_protocol"):
        raise ValidationError("population", population, Expected("fas or per_protocol"))
    why_sap: Expected | None = None
    if sap is not None:
        endpoint, week, control, population = _from_sap(sap, endpoint, week, control, population)
        why_sap = Expected(
            "the primary estimand of SAP %(sap)s %(version)s", sap=sap.code, version=sap.version
        )
    name, why_endpoint = _endpoint(frame, protocol, endpoint)
    at, why_week = _week(frame, name, week)
    adsl = build_adsl(frame)
    arms = tuple(sorted(adsl.filter(pl.col(population))["arm"].unique().to_list()))
    if not arms:
        raise ValidationError(
            "population", population, Expected("at least one subject in the population")
        )
    ctrl, why_control = _control(arms, control, protocol)
    if predictors is None:
        chosen = tuple(
            p for p in DEFAULT_PREDICTORS if p in adsl.columns or f"{p}_baseline" in adsl.columns
        )
        why_predictors = Expected("the default baseline characteristics present in the data")
    else:
        chosen, why_predictors = tuple(predictors), _REQUESTED
    covs, why_covs = _covariates(frame, sap, covariates, stratification)
    level = _fixed(sap, "conf_level", conf_level, 0.95)
    side = _fixed(sap, "alternative", alternative, "two-sided")
    covariance = _fixed(sap, "mmrm_covariance", mmrm_covariance, "unstructured")
    df_method = _fixed(sap, "mmrm_df", mmrm_df, "residual")
    reasons = {
        "endpoint": why_sap or why_endpoint,
        "week": why_sap or why_week,
        "control": _by_sap(sap) if sap is not None and sap.control else why_control,
        "predictors": why_predictors,
        "covariates": why_covs,
    }
    return AnalysisPlan(
        endpoint=name,
        week=at,
        arms=arms,
        control=ctrl,
        population=population,
        predictors=chosen,
        reasons=reasons,
        sap=sap,
        conf_level=float(level),
        covariates=covs,
        alternative=str(side),
        mmrm_covariance=str(covariance),
        mmrm_df=str(df_method),
    )


def _fixed(sap: Sap | None, name: str, asked: float | str | None, default: float | str) -> Any:
    """A setting the SAP fixes (a different request is refused), else the request or default."""
    if sap is None:
        return default if asked is None else asked
    planned = getattr(sap, name)
    if asked is not None and asked != planned:
        raise ValidationError(
            name,
            asked,
            Expected("%(planned)s, as the statistical analysis plan fixes", planned=repr(planned)),
        )
    return planned


def _covariates(
    frame: pl.DataFrame,
    sap: Sap | None,
    asked: Sequence[str] | None,
    stratification: Sequence[str],
) -> tuple[tuple[str, ...], Expected]:
    if sap is not None:
        if asked is not None and tuple(asked) != sap.covariates:
            raise ValidationError(
                "covariates",
                ",".join(asked),
                Expected("%(covariates)s, as the SAP fixes", covariates=list(sap.covariates)),
            )
        return sap.covariates, _by_sap(sap)
    if asked is not None:
        return tuple(asked), _REQUESTED
    present = tuple(s for s in stratification if s in frame.columns)
    if present:
        return present, Expected("the stratification factors of the randomisation")
    return (), Expected("baseline only (no stratification factor in the data)")
