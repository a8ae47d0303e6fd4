"""CDISC ADaM datasets of a study (ADSL, ADQS, ADAE, ADCM) from the analysis datasets, and the
visit table read back from ADSL + ADQS.

ADSL and ADQS are :func:`build_adsl` and :func:`build_bds` (what every analysis of autoserum
uses) with ADaM names (ADaM IG 1.3): ``TRT01P``/``TRT01A`` (the arm code), ``SAFFL``,
``FASFL``, ``PPROTFL``, ``RANDFL``, ``COMPLFL``, with the subject history (:data:`ADSL_HISTORY`:
race, ethnicity, Fitzpatrick type, age at onset and duration of atopic dermatitis, atopic
comorbidity and prior systemic treatment flags); in ADQS one ``PARAMCD`` per instrument total
(the SDTM total code, ``EASITOT``) with ``AVAL``, ``BASE``, ``CHG``, ``PCHG``, ``ABLFL``,
``ANL01FL``, ``AVISIT`` (the visit code), ``AVISITN`` (the study week) and ``DTYPE`` (empty:
observed values; imputations are not written), and one responder parameter per rule
(``EASI75``: ``AVALC`` Y/N, ``AVAL`` 1/0 on analysis records). :func:`visits_from_adam`
rebuilds the tidy visit table from ADSL + ADQS, so the analysis engine reproduces its results
from the ADaM files (``tests/exports/test_adam.py``).

>>> adam_paramcd("easi"), adam_paramcd("easi_mcid"), adam_paramcd("iga_success")
('EASITOT', 'EASIMCID', 'VIGASUCC')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import polars as pl

from autoserum.analysis._datasets import build_adsl, build_bds, parameters_in
from autoserum.analysis._format import INSTRUMENT_RANGES
from autoserum.analysis._responders import responder_definitions
from autoserum.study.cdisc import QS_PREFIX, Dataset, Variable, define_xml, qs_codes, write_xpt

__all__ = [
    "ADAM_DATASETS",
    "ADSL_HISTORY",
    "adam_datasets",
    "adam_paramcd",
    "visits_from_adam",
    "write_adam",
]


def _vars(*spec: tuple[str, str, str]) -> tuple[Variable, ...]:
    return tuple(
        Variable(n, label, "Num" if t == "N" else "Char", "Derived") for n, label, t in spec
    )


_ID = (("STUDYID", "Study Identifier", "C"), ("USUBJID", "Unique Subject Identifier", "C"),
       ("SUBJID", "Subject Identifier for the Study", "C"))  # fmt: skip

ADAM_DATASETS: dict[str, Dataset] = {
    "ADSL": Dataset("ADSL", "Subject-Level Analysis Dataset", "One record per subject", _vars(
        *_ID, ("SITEID", "Study Site Identifier", "C"), ("AGE", "Age", "N"),
        ("AGEU", "Age Units", "C"), ("SEX", "Sex", "C"), ("RACE", "Race", "C"),
        ("ETHNIC", "Ethnicity", "C"), ("FITZPAT", "Fitzpatrick Skin Type", "C"),
        ("ADONAGE", "Age at Onset of Atopic Dermatitis", "N"),
        ("ADDURY", "Duration of Atopic Dermatitis (Years)", "N"),
        ("ASTHMFL", "Asthma History Flag", "C"),
        ("ARHINFL", "Allergic Rhinitis History Flag", "C"),
        ("FALLGFL", "Food Allergy History Flag", "C"),
        ("PRSYSFL", "Prior Systemic Treatment Flag", "C"),
        ("TRT01P", "Planned Treatment for Period 01", "C"),
        ("TRT01A", "Actual Treatment for Period 01", "C"),
        ("RANDFL", "Randomized Population Flag", "C"), ("SAFFL", "Safety Population Flag", "C"),
        ("FASFL", "Full Analysis Set Population Flag", "C"),
        ("PPROTFL", "Per-Protocol Population Flag", "C"), ("COMPLFL", "Completers Flag", "C"),
    ), kind="ADaM"),
    "ADQS": Dataset("ADQS", "Questionnaire Analysis Dataset",
                    "One record per subject per parameter per analysis visit", _vars(
        *_ID, ("TRT01P", "Planned Treatment for Period 01", "C"),
        ("PARAMCD", "Parameter Code", "C"), ("PARAM", "Parameter", "C"),
        ("AVISIT", "Analysis Visit", "C"), ("AVISITN", "Analysis Visit (N)", "N"),
        ("AVAL", "Analysis Value", "N"), ("AVALC", "Analysis Value (C)", "C"),
        ("BASE", "Baseline Value", "N"), ("CHG", "Change from Baseline", "N"),
        ("PCHG", "Percent Change from Baseline", "N"), ("ABLFL", "Baseline Record Flag", "C"),
        ("ANL01FL", "Analysis Flag 01", "C"), ("DTYPE", "Derivation Type", "C"),
        ("SAFFL", "Safety Population Flag", "C"),
        ("FASFL", "Full Analysis Set Population Flag", "C"),
        ("PPROTFL", "Per-Protocol Population Flag", "C"),
    ), kind="ADaM"),
    "ADAE": Dataset("ADAE", "Adverse Events Analysis Dataset", "One record per adverse event",
                    _vars(
        *_ID, ("TRT01A", "Actual Treatment for Period 01", "C"),
        ("AESEQ", "Sequence Number", "N"),
        ("AETERM", "Reported Term for the Adverse Event", "C"),
        ("AESEV", "Severity/Intensity", "C"),
        ("AESER", "Serious Event", "C"), ("AEREL", "Causality", "C"),
        ("AEOUT", "Outcome of Adverse Event", "C"), ("ASTDY", "Analysis Start Relative Day", "N"),
        ("TRTEMFL", "Treatment Emergent Analysis Flag", "C"),
        ("SAFFL", "Safety Population Flag", "C"),
    ), kind="ADaM"),
    "ADCM": Dataset("ADCM", "Concomitant Medications Analysis Dataset",
                    "One record per medication", _vars(
        *_ID, ("TRT01A", "Actual Treatment for Period 01", "C"),
        ("CMSEQ", "Sequence Number", "N"),
        ("CMTRT", "Reported Name of Drug, Med, or Therapy", "C"),
        ("CMDOSTXT", "Dose Description", "C"),
        ("CMROUTE", "Route of Administration", "C"), ("CMINDC", "Indication", "C"),
        ("ASTDY", "Analysis Start Relative Day", "N"), ("SAFFL", "Safety Population Flag", "C"),
    ), kind="ADaM"),
}  # fmt: skip
"""ADaM datasets and their variables (names ≤ 8, labels ≤ 40)."""


ADSL_HISTORY: dict[str, pl.DataType] = {
    "subject_id": pl.String(),
    "race": pl.String(),
    "ethnicity": pl.String(),
    "fitzpatrick": pl.String(),
    "ad_onset_age": pl.Float64(),
    "ad_duration": pl.Float64(),
    "asthma": pl.Boolean(),
    "allergic_rhinitis": pl.Boolean(),
    "food_allergy": pl.Boolean(),
    "prior_systemic": pl.Boolean(),
}
"""The subject-history frame :func:`adam_datasets` takes (one row per subject; ADSL's
``RACE``, ``ETHNIC``, ``FITZPAT``, ``ADONAGE``, ``ADDURY``, ``ASTHMFL``, ``ARHINFL``,
``FALLGFL``, ``PRSYSFL``): built by the store from the package's rows
(``store/_cdisc.py:history_frame``), so blinded and de-identified as the package is."""

_HISTORY_VARS = {"race": "RACE", "ethnicity": "ETHNIC", "fitzpatrick": "FITZPAT",
                 "ad_onset_age": "ADONAGE", "ad_duration": "ADDURY"}  # fmt: skip
_HISTORY_FLAGS = {"asthma": "ASTHMFL", "allergic_rhinitis": "ARHINFL",
                  "food_allergy": "FALLGFL", "prior_systemic": "PRSYSFL"}  # fmt: skip


def adam_paramcd(code: str) -> str:
    """The ``PARAMCD`` of an instrument total (its SDTM total code) or responder rule."""
    if code in INSTRUMENT_RANGES:
        return qs_codes(code)[-1][1]
    instrument = next(
        (i for i in sorted(QS_PREFIX, key=len, reverse=True) if code.startswith(i + "_")), None
    )
    if instrument is None:  # a rule named otherwise (iga_success of viga_ad)
        return ("VIGA" + code.split("_", 1)[-1].upper())[:8]
    suffix = code[len(instrument) + 1 :].upper().replace("_", "")
    return (QS_PREFIX[instrument][:4] + suffix)[:8]


def _flag(column: str) -> pl.Expr:
    return pl.when(pl.col(column)).then(pl.lit("Y")).otherwise(pl.lit("N"))


def adam_datasets(
    study: str,
    visits: pl.DataFrame,
    *,
    adverse_events: pl.DataFrame | None = None,
    con_meds: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """ADSL, ADQS, ADAE and ADCM of a study's tidy visit table (and its adverse events and
    concomitant medications, tidy frames with ``subject_id``, and its subject ``history``,
    :data:`ADSL_HISTORY`: without it ADSL's history variables are empty; a subject
    without a row of it has them empty too)."""
    adsl = _with_history(build_adsl(visits), history)
    usubjid = (pl.lit(f"{study}-") + pl.col("subject_id")).alias("USUBJID")
    out_adsl = adsl.select(
        pl.lit(study).alias("STUDYID"),
        usubjid,
        pl.col("subject_id").alias("SUBJID"),
        (pl.col("site") if "site" in adsl.columns else pl.lit(None, pl.String)).alias("SITEID"),
        (pl.col("age") if "age" in adsl.columns else pl.lit(None)).cast(pl.Float64).alias("AGE"),
        pl.when(pl.col("age").is_not_null() if "age" in adsl.columns else pl.lit(False))
        .then(pl.lit("YEARS"))
        .otherwise(None)
        .alias("AGEU"),
        (pl.col("sex") if "sex" in adsl.columns else pl.lit(None, pl.String)).alias("SEX"),
        *(_history_var(c).alias(v) for c, v in _HISTORY_VARS.items()),
        *(_yes_no(f"_h_{c}").alias(v) for c, v in _HISTORY_FLAGS.items()),
        pl.col("arm").alias("TRT01P"),
        pl.when(pl.col("safety")).then(pl.col("arm")).otherwise(None).alias("TRT01A"),
        _flag("randomised").alias("RANDFL"),
        _flag("safety").alias("SAFFL"),
        _flag("fas").alias("FASFL"),
        _flag("per_protocol").alias("PPROTFL"),
        _flag("completed").alias("COMPLFL"),
    )
    params = [p for p in parameters_in(visits) if p in INSTRUMENT_RANGES]
    frames = {"ADSL": out_adsl, "ADQS": _adqs(study, visits, params)}
    trt = out_adsl.select("SUBJID", "TRT01A", "SAFFL")
    if adverse_events is not None:
        frames["ADAE"] = _adae(study, adverse_events, trt)
    if con_meds is not None:
        frames["ADCM"] = _adcm(study, con_meds, trt)
    return frames


def _with_history(adsl: pl.DataFrame, history: pl.DataFrame | None) -> pl.DataFrame:
    """``adsl`` with the columns of ``history`` (:data:`ADSL_HISTORY`) as ``_h_<name>``,
    empty for a subject without a history row."""
    if history is None:
        history = pl.DataFrame(schema=ADSL_HISTORY)
    renamed = history.select(
        pl.col(c).cast(t).alias("subject_id" if c == "subject_id" else f"_h_{c}")
        for c, t in ADSL_HISTORY.items()
    )
    return adsl.join(renamed, on="subject_id", how="left")


def _history_var(name: str) -> pl.Expr:
    """A history column of ADSL: race and ethnicity in capitals (as SDTM DM writes them)."""
    column = pl.col(f"_h_{name}")
    return column.str.to_uppercase() if name in ("race", "ethnicity") else column


def _yes_no(column: str) -> pl.Expr:
    """``Y``/``N`` of a boolean column, empty where it is."""
    return pl.when(pl.col(column)).then(pl.lit("Y")).when(~pl.col(column)).then(pl.lit("N"))


def _adqs(study: str, visits: pl.DataFrame, params: list[str]) -> pl.DataFrame:
    columns = ADAM_DATASETS["ADQS"].names
    if not params:
        return pl.DataFrame(schema={c: _type("ADQS", c) for c in columns})
    bds = build_bds(visits, params)
    head = [
        pl.lit(study).alias("STUDYID"),
        (pl.lit(f"{study}-") + pl.col("subject_id")).alias("USUBJID"),
        pl.col("subject_id").alias("SUBJID"),
        pl.col("arm").alias("TRT01P"),
        pl.col("visit").alias("AVISIT"),
        pl.col("week").cast(pl.Float64).alias("AVISITN"),
        pl.col("baseline").alias("BASE"),
        _flag("safety").alias("SAFFL"),
        _flag("fas").alias("FASFL"),
        _flag("per_protocol").alias("PPROTFL"),
        pl.lit(None, pl.String).alias("DTYPE"),
    ]
    totals = bds.select(
        *head,
        pl.col("parameter").replace_strict({p: adam_paramcd(p) for p in params}).alias("PARAMCD"),
        pl.col("parameter").replace_strict({p: f"{p} total" for p in params}).alias("PARAM"),
        pl.col("value").alias("AVAL"),
        pl.lit(None, pl.String).alias("AVALC"),
        pl.col("change").alias("CHG"),
        pl.col("percent_change").alias("PCHG"),
        pl.when(pl.col("baseline_flag")).then(pl.lit("Y")).otherwise(None).alias("ABLFL"),
        pl.when(pl.col("analysis_flag")).then(pl.lit("Y")).otherwise(None).alias("ANL01FL"),
    )
    parts = [totals]
    for p in params:
        for rule in responder_definitions(p):
            hit = pl.col(rule.code)
            parts.append(
                bds.filter((pl.col("parameter") == p) & pl.col("analysis_flag")).select(
                    *head,
                    pl.lit(adam_paramcd(rule.code)).alias("PARAMCD"),
                    pl.lit(rule.label[:200]).alias("PARAM"),
                    hit.cast(pl.Float64).alias("AVAL"),
                    pl.when(hit).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("AVALC"),
                    pl.lit(None, pl.Float64).alias("CHG"),
                    pl.lit(None, pl.Float64).alias("PCHG"),
                    pl.lit(None, pl.String).alias("ABLFL"),
                    pl.lit("Y").alias("ANL01FL"),
                )
            )
    return pl.concat([p.select(columns) for p in parts], how="vertical_relaxed").sort(
        "PARAMCD", "SUBJID", "AVISITN", maintain_order=True
    )


def _type(name: str, column: str) -> pl.DataType:
    var = next(v for v in ADAM_DATASETS[name].variables if v.name == column)
    return pl.Float64() if var.type == "Num" else pl.String()


def _events(
    name: str, study: str, frame: pl.DataFrame, trt: pl.DataFrame, mapping: Mapping[str, str]
) -> pl.DataFrame:
    columns = ADAM_DATASETS[name].names
    if frame.height == 0:
        return pl.DataFrame(schema={c: _type(name, c) for c in columns})
    seq = "AESEQ" if name == "ADAE" else "CMSEQ"
    out = frame.join(trt, left_on="subject_id", right_on="SUBJID", how="left").with_columns(
        pl.lit(study).alias("STUDYID"),
        (pl.lit(f"{study}-") + pl.col("subject_id")).alias("USUBJID"),
        pl.col("subject_id").alias("SUBJID"),
        (pl.int_range(pl.len()).over("subject_id") + 1).cast(pl.Float64).alias(seq),
        *(
            (pl.col(src) if src in frame.columns else pl.lit(None)).alias(dst)
            for dst, src in mapping.items()
        ),
    )
    return out.select(pl.col(c).cast(_type(name, c)) for c in columns)


def _adae(study: str, frame: pl.DataFrame, trt: pl.DataFrame) -> pl.DataFrame:
    week = pl.col("onset_week").cast(pl.Float64)
    days = (week * 7).round(0)
    frame = frame.with_columns(
        pl.col("severity").str.to_uppercase().alias("_sev"),
        pl.when(pl.col("serious")).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("_ser"),
        pl.col("related").str.replace_all("_", " ").str.to_uppercase().alias("_rel"),
        pl.col("outcome").str.to_uppercase().alias("_out"),
        pl.when(days >= 0).then(days + 1).otherwise(days).alias("_dy"),
        pl.when(week >= 0).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("_te"),
    )
    mapping = {"AETERM": "term", "AESEV": "_sev", "AESER": "_ser", "AEREL": "_rel",
               "AEOUT": "_out", "ASTDY": "_dy", "TRTEMFL": "_te"}  # fmt: skip
    return _events("ADAE", study, frame, trt, mapping)


def _adcm(study: str, frame: pl.DataFrame, trt: pl.DataFrame) -> pl.DataFrame:
    mapping = {"CMTRT": "drug", "CMDOSTXT": "dose", "CMROUTE": "route", "CMINDC": "indication",
               "ASTDY": "start_day"}  # fmt: skip
    return _events("ADCM", study, frame, trt, mapping)


def visits_from_adam(adsl: pl.DataFrame, adqs: pl.DataFrame) -> pl.DataFrame:
    """The tidy visit table (``subject_id, arm, site, week, visit, age, sex, treated,
    per_protocol`` and one column per instrument total) rebuilt from ADSL and ADQS."""
    totals = {adam_paramcd(p): p for p in INSTRUMENT_RANGES}
    values = adqs.filter(pl.col("PARAMCD").is_in(list(totals))).select(
        pl.col("SUBJID").alias("subject_id"),
        pl.col("AVISITN").alias("week"),
        pl.col("AVISIT").alias("visit"),
        pl.col("PARAMCD").replace_strict(totals).alias("parameter"),
        pl.col("AVAL").alias("value"),
    )
    wide = values.pivot("parameter", index=["subject_id", "week", "visit"], values="value")
    subjects = adsl.select(
        pl.col("SUBJID").alias("subject_id"),
        pl.col("TRT01P").alias("arm"),
        pl.col("SITEID").alias("site"),
        pl.col("AGE").alias("age"),
        pl.col("SEX").alias("sex"),
        (pl.col("SAFFL") == "Y").alias("treated"),
        (pl.col("PPROTFL") == "Y").alias("per_protocol"),
    )
    return subjects.join(wide, on="subject_id", how="inner").sort("subject_id", "week")


def write_adam(
    study: str, frames: Mapping[str, pl.DataFrame], out: Path, *, created: datetime
) -> list[Path]:
    """Write ADaM ``frames`` (from :func:`adam_datasets`) as XPT v5 files and define.xml."""
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_xpt(ADAM_DATASETS[name], frame, out / f"{name.lower()}.xpt")
        for name, frame in frames.items()
    ]
    define = out / "define.xml"
    define.write_bytes(
        define_xml(
            study,
            frames,
            created=created,
            standard="ADaMIG",
            version="1.3",
            datasets=ADAM_DATASETS,
        )
    )
    return [*written, define]
