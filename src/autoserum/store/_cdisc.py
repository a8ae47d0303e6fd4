"""The inputs of the CDISC ADaM export read from the store (``docs/exports.md``): the
concomitant medications of a study's package rows with their study day."""

from __future__ import annotations

import polars as pl

from autoserum.store._package import PackageContent
from autoserum.study.cdisc import study_day

__all__ = ["con_med_frame"]


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
