"""Shared by the self-report tests (store, pages, browser): a protocol with a self-report
section and the subjects enrolled on day 0."""

from __future__ import annotations

import datetime as dt
from typing import Any

from autoserum.protocols import Protocol, load_protocol, parse_protocol_data
from autoserum.store import Actor, Store

DAY0 = dt.date(2026, 3, 2)
FACTS = {"atopic_dermatitis": True, "scorad": 40, "age": 30}


def epro_protocol(*, late: str = "refuse", show_score: bool = False) -> Protocol:
    """ast-nahm2023 with a self-report section: daily PP-NRS and sleep NRS (one grace day),
    weekly POEM, DLQI at week 4."""
    data: dict[str, Any] = load_protocol("ast-nahm2023").model_dump(mode="json")
    data["self_report"] = {
        "show_score": show_score,
        "schedules": [
            {"instrument": "pp_nrs", "frequency": "daily", "grace_days": 1, "late": late},
            {"instrument": "sleep_nrs", "frequency": "daily", "grace_days": 1, "late": late},
            {"instrument": "poem", "frequency": "weekly"},
            {"instrument": "dlqi", "frequency": "visit", "visits": ["week_4"]},
        ],
    }
    return parse_protocol_data(data)


def enrol(store: Store, study: str, site: str, subject_id: str, *, actor: Actor) -> None:
    """Screen, randomise and record the baseline visit on :data:`DAY0` (day 0)."""
    store.subjects.screen(study, site, subject_id, FACTS, screened_on="2026-02-20", actor=actor)
    store.subjects.randomise(study, subject_id, actor=actor)
    store.records.add_visit(study, subject_id, "baseline", DAY0, actor=actor)
