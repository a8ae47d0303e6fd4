"""The inputs of the CDISC ADaM export read from the store (``docs/exports.md``): the
concomitant medications of a study's package rows with their study day, and the subject
history of its subjects (ADSL)."""

from __future__ import annotations

from typing import Any

import polars as pl

from autoserum.store._package import PackageContent
from autoserum.study.cdisc import study_day
from autoserum.study.history import ad_duration

__all__ = ["con_med_frame", "history_frame"]


def con_med_frame(content: PackageContent) -> pl.DataFrame:
    """The concomitant medications of a package's rows, with their study day (ADCM)."""
    day0 = {s["subject_id"]: s.get("day0") for s in content.rows.get("subject", [])}
    rows = [
        {
            "subject_id": cm["subject_id"],
            **{k: cm.get(k) for k in ("name", "dose", "route", "indication")},
            "start_day": study_day(cm.get("start_date"), day0.get(cm["subject_id"])),
        }
        for cm in content.rows.get("con_med", [])
    ]
    schema = {"subject_id": pl.String, "name": pl.String, "dose": pl.String,
              "route": pl.String, "indication": pl.String, "start_day": pl.Int64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def history_frame(content: PackageContent) -> pl.DataFrame:
    """The subject history of a package's rows, one row per subject
    (:data:`autoserum.analysis.ADSL_HISTORY`): race, ethnicity, Fitzpatrick type and age at
    onset as recorded on the subject, the disease duration (:func:`ad_duration`: age minus
    age at onset), a flag per atopic comorbidity of ADSL (recorded or not) and whether a
    previous systemic treatment is recorded. Read from the package, it is blinded and
    de-identified as the package is (as SDTM DM, MH and CM are)."""
    from autoserum.analysis import ADSL_HISTORY

    conditions: dict[str, set[str]] = {}
    for c in content.rows.get("comorbidity", []):
        conditions.setdefault(str(c["subject_id"]), set()).add(str(c.get("condition")))
    treated = {str(t["subject_id"]) for t in content.rows.get("prior_treatment", [])}
    rows = []
    for s in content.rows.get("subject", []):
        sid = str(s["subject_id"])
        onset = s.get("ad_onset_age")
        had = conditions.get(sid, set())
        rows.append({
            "subject_id": sid, "race": s.get("race"), "ethnicity": s.get("ethnicity"),
            "fitzpatrick": s.get("fitzpatrick"), "ad_onset_age": _float(onset),
            "ad_duration": _float(ad_duration(s.get("age"), onset)),
            "asthma": "asthma" in had, "allergic_rhinitis": "allergic_rhinitis" in had,
            "food_allergy": "food_allergy" in had, "prior_systemic": sid in treated,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=ADSL_HISTORY, orient="row")
